//! # matrixauth-radius
//!
//! The RADIUS protocol (RFC 2865) as `matrixauth serve` speaks it, as a codec
//! that does no I/O: bytes in, typed packets and replies out. It covers
//! what an SSL-VPN appliance sends a second-factor server:
//!
//! - packets and attributes, decoded with strict length checks (a reader
//!   that cannot over-read) and encoded back byte for byte; unknown codes
//!   and attribute types are kept, never dropped;
//! - PAP `User-Password` hiding (RFC 2865 §5.2), passwords of 16 bytes and
//!   longer included;
//! - the Response Authenticator (RFC 2865 §3);
//! - `Message-Authenticator` (RFC 3579 §3.2, HMAC-MD5), checked on requests
//!   in constant time and placed **first** in every response, as the
//!   BlastRADIUS (CVE-2024-3596) mitigations require;
//! - `State`, `Reply-Message`, `Session-Timeout`, `Proxy-State` and
//!   Status-Server (RFC 5997);
//! - the codec pieces of EAP over RADIUS ([`eap`]: RFC 3748 packets, RFC 3579
//!   EAP-Message fragmentation and reassembly, the Message-Authenticator rule)
//!   and of EAP-MSCHAPv2 ([`mschapv2`]: packets, RFC 2759 hashes, RFC 3079
//!   MPPE keys, RFC 2548 key attributes). The server does not speak EAP yet.
//!
//! ```
//! use matrixauth_radius::{Attribute, Code, Packet, attr};
//!
//! // RFC 2865 §7.1: nemo's Access-Request, shared secret "xyzzy5461".
//! let bytes = [
//!     0x01, 0x00, 0x00, 0x38, 0x0f, 0x40, 0x3f, 0x94, 0x73, 0x97, 0x80, 0x57, 0xbd, 0x83, 0xd5, 0xcb,
//!     0x98, 0xf4, 0x22, 0x7a, 0x01, 0x06, 0x6e, 0x65, 0x6d, 0x6f, 0x02, 0x12, 0x0d, 0xbe, 0x70, 0x8d,
//!     0x93, 0xd4, 0x13, 0xce, 0x31, 0x96, 0xe4, 0x3f, 0x78, 0x2a, 0x0a, 0xee, 0x04, 0x06, 0xc0, 0xa8,
//!     0x01, 0x10, 0x05, 0x06, 0x00, 0x00, 0x00, 0x03,
//! ];
//! let request = Packet::decode(&bytes)?;
//! assert_eq!(request.code, Code::AccessRequest);
//! assert_eq!(request.get(attr::USER_NAME), Some(&b"nemo"[..]));
//! let password = request.password(b"xyzzy5461")?.expect("PAP");
//! assert_eq!(&password[..], b"arctangent");
//! assert_eq!(request.encode()?, bytes);
//!
//! // A reply: Message-Authenticator first, then the Response Authenticator.
//! let reply = request.reply(Code::AccessAccept, vec![Attribute::new(attr::REPLY_MESSAGE, b"ok")?]);
//! let wire = reply.encode_response(b"xyzzy5461", &request.authenticator)?;
//! assert!(matrixauth_radius::response_is_authentic(b"xyzzy5461", &request.authenticator, &wire));
//! # Ok::<(), matrixauth_radius::Error>(())
//! ```

#![forbid(unsafe_code)]
#![deny(unused_must_use)]

use core::fmt;

pub mod eap;
pub mod mschapv2;

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Smallest packet: the 20-byte header.
pub const MIN_PACKET: usize = 20;
/// Largest packet (RFC 2865 §3).
pub const MAX_PACKET: usize = 4096;
/// Largest attribute value (one length byte, two header bytes).
pub const MAX_VALUE: usize = 253;
/// Longest PAP password (RFC 2865 §5.2).
pub const MAX_PASSWORD: usize = 128;

/// Attribute types this server reads or writes (RFC 2865 §5, RFC 3579).
pub mod attr {
    /// User-Name.
    pub const USER_NAME: u8 = 1;
    /// User-Password (PAP, hidden).
    pub const USER_PASSWORD: u8 = 2;
    /// CHAP-Password.
    pub const CHAP_PASSWORD: u8 = 3;
    /// NAS-IP-Address.
    pub const NAS_IP_ADDRESS: u8 = 4;
    /// NAS-Port.
    pub const NAS_PORT: u8 = 5;
    /// Service-Type.
    pub const SERVICE_TYPE: u8 = 6;
    /// Reply-Message: text for the user.
    pub const REPLY_MESSAGE: u8 = 18;
    /// State: opaque, echoed by the client with the next request.
    pub const STATE: u8 = 24;
    /// Session-Timeout: seconds.
    pub const SESSION_TIMEOUT: u8 = 27;
    /// Calling-Station-Id: the client's address as the NAS sees it (RFC 2865 §5.31).
    pub const CALLING_STATION_ID: u8 = 31;
    /// NAS-Identifier.
    pub const NAS_IDENTIFIER: u8 = 32;
    /// Proxy-State: copied back unchanged, in order.
    pub const PROXY_STATE: u8 = 33;
    /// Message-Authenticator (HMAC-MD5, RFC 3579 §3.2).
    pub const MESSAGE_AUTHENTICATOR: u8 = 80;
    /// EAP-Message (RFC 3579 §3.1): an EAP packet, possibly split over several attributes.
    pub const EAP_MESSAGE: u8 = 79;
    /// Vendor-Specific (RFC 2865 §5.26): carries MS-MPPE-Send-Key and MS-MPPE-Recv-Key.
    pub const VENDOR_SPECIFIC: u8 = 26;
}

/// What went wrong decoding or encoding a packet. Carries no packet
/// content (a password must never reach a log through an error).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Fewer than 20 bytes, or a Length field below 20.
    TooShort,
    /// More than 4096 bytes, or a Length field above 4096.
    TooLong,
    /// The Length field says more bytes than arrived.
    Truncated,
    /// An attribute's length is below 2 or runs past the packet.
    BadAttributeLength,
    /// An attribute value over 253 bytes (encoding).
    ValueTooLong,
    /// A User-Password that is not a multiple of 16 bytes, or over 128.
    BadPassword,
    /// More than one attribute of a type that may appear once.
    Duplicate,
    /// An EAP packet whose Length field disagrees with its bytes, whose code
    /// needs a type it lacks, or EAP-Message attributes that are not
    /// consecutive (RFC 3748 §4, RFC 3579 §3.1).
    BadEap,
    /// EAP-Message attributes that add up to more than the bound.
    EapTooLong,
    /// An EAP-MSCHAPv2 packet that is malformed (draft-kamath-pppext-eap-mschapv2).
    BadMsChapV2,
    /// An MS-MPPE key attribute that does not decrypt to a well-formed key,
    /// or a key that cannot be encrypted (RFC 2548 §2.4.2).
    BadMppeKey,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::TooShort => "packet shorter than 20 bytes",
            Error::TooLong => "packet longer than 4096 bytes",
            Error::Truncated => "packet shorter than its Length field",
            Error::BadAttributeLength => "attribute length out of range",
            Error::ValueTooLong => "attribute value longer than 253 bytes",
            Error::BadPassword => "User-Password is not 16 to 128 bytes in blocks of 16",
            Error::Duplicate => "attribute repeated where it may appear once",
            Error::BadEap => "EAP packet or EAP-Message attributes malformed",
            Error::EapTooLong => "EAP packet longer than the bound",
            Error::BadMsChapV2 => "EAP-MSCHAPv2 packet malformed",
            Error::BadMppeKey => "MS-MPPE key attribute malformed",
        })
    }
}

impl std::error::Error for Error {}

/// `Result` with this crate's [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

/// A packet code; codes this crate does not know are kept as `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// 1.
    AccessRequest,
    /// 2.
    AccessAccept,
    /// 3.
    AccessReject,
    /// 4.
    AccountingRequest,
    /// 5.
    AccountingResponse,
    /// 11.
    AccessChallenge,
    /// 12 (RFC 5997).
    StatusServer,
    /// 13.
    StatusClient,
    /// Anything else.
    Unknown(u8),
}

impl Code {
    /// The code of byte `b`.
    pub fn from_u8(b: u8) -> Self {
        match b {
            1 => Code::AccessRequest,
            2 => Code::AccessAccept,
            3 => Code::AccessReject,
            4 => Code::AccountingRequest,
            5 => Code::AccountingResponse,
            11 => Code::AccessChallenge,
            12 => Code::StatusServer,
            13 => Code::StatusClient,
            other => Code::Unknown(other),
        }
    }

    /// The byte of this code.
    pub fn to_u8(self) -> u8 {
        match self {
            Code::AccessRequest => 1,
            Code::AccessAccept => 2,
            Code::AccessReject => 3,
            Code::AccountingRequest => 4,
            Code::AccountingResponse => 5,
            Code::AccessChallenge => 11,
            Code::StatusServer => 12,
            Code::StatusClient => 13,
            Code::Unknown(b) => b,
        }
    }
}

/// One attribute: a type and up to 253 bytes of value. `Debug` never
/// prints the value of a User-Password, CHAP-Password or EAP-Message (which
/// can carry an EAP-GTC answer in the clear or an MSCHAPv2 NT-Response).
#[derive(Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The type byte.
    pub kind: u8,
    value: Vec<u8>,
}

impl fmt::Debug for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Attribute");
        d.field("kind", &self.kind);
        if matches!(self.kind, attr::USER_PASSWORD | attr::CHAP_PASSWORD | attr::EAP_MESSAGE) {
            d.field("value", &"<redacted>");
        } else {
            d.field("value", &self.value);
        }
        d.finish()
    }
}

impl Attribute {
    /// An attribute; [`Error::ValueTooLong`] past 253 bytes.
    pub fn new(kind: u8, value: &[u8]) -> Result<Self> {
        if value.len() > MAX_VALUE {
            return Err(Error::ValueTooLong);
        }
        Ok(Attribute { kind, value: value.to_vec() })
    }

    /// A 32-bit integer attribute (Session-Timeout, …).
    pub fn integer(kind: u8, value: u32) -> Self {
        Attribute { kind, value: value.to_be_bytes().to_vec() }
    }

    /// Text split over as many attributes of `kind` as it needs (at most 253
    /// bytes each), cut at line ends where possible and never inside a UTF-8
    /// character: several Reply-Messages in order, as RFC 2865 §5.18 allows.
    pub fn text(kind: u8, text: &str) -> Vec<Self> {
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            let mut cut = rest.len().min(MAX_VALUE);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            if cut < rest.len()
                && let Some(nl) = rest.get(..cut).and_then(|s| s.rfind('\n'))
            {
                cut = nl + 1;
            }
            let (head, tail) = rest.split_at(cut);
            out.push(Attribute { kind, value: head.as_bytes().to_vec() });
            rest = tail;
        }
        out
    }

    /// The value.
    pub fn value(&self) -> &[u8] {
        &self.value
    }
}

/// A decoded packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The code.
    pub code: Code,
    /// The identifier (matches a reply to its request).
    pub identifier: u8,
    /// The Request Authenticator of a request, the Response Authenticator
    /// of a reply.
    pub authenticator: [u8; 16],
    /// Every attribute, in order.
    pub attributes: Vec<Attribute>,
}

/// Reads bytes without over-reading: every read is bounds-checked.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
}

impl Packet {
    /// Decodes `bytes`. The Length field decides where the packet ends;
    /// bytes after it are padding and ignored (RFC 2865 §3). Every attribute
    /// length is checked.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < MIN_PACKET {
            return Err(Error::TooShort);
        }
        if bytes.len() > MAX_PACKET {
            return Err(Error::TooLong);
        }
        let mut r = Reader { rest: bytes };
        let code = Code::from_u8(r.u8().ok_or(Error::TooShort)?);
        let identifier = r.u8().ok_or(Error::TooShort)?;
        let len_bytes = r.take(2).ok_or(Error::TooShort)?;
        let length = usize::from(u16::from_be_bytes([
            len_bytes.first().copied().unwrap_or(0),
            len_bytes.get(1).copied().unwrap_or(0),
        ]));
        if length < MIN_PACKET {
            return Err(Error::TooShort);
        }
        if length > MAX_PACKET {
            return Err(Error::TooLong);
        }
        if length > bytes.len() {
            return Err(Error::Truncated);
        }
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(r.take(16).ok_or(Error::TooShort)?);
        let mut attrs = Reader { rest: bytes.get(MIN_PACKET..length).ok_or(Error::Truncated)? };
        let mut attributes = Vec::new();
        while !attrs.rest.is_empty() {
            let kind = attrs.u8().ok_or(Error::BadAttributeLength)?;
            let len = usize::from(attrs.u8().ok_or(Error::BadAttributeLength)?);
            if len < 2 {
                return Err(Error::BadAttributeLength);
            }
            let value = attrs.take(len - 2).ok_or(Error::BadAttributeLength)?;
            attributes.push(Attribute { kind, value: value.to_vec() });
        }
        Ok(Packet { code, identifier, authenticator, attributes })
    }

    /// Encodes the packet as it is (authenticator included).
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(64);
        out.push(self.code.to_u8());
        out.push(self.identifier);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.authenticator);
        for a in &self.attributes {
            if a.value.len() > MAX_VALUE {
                return Err(Error::ValueTooLong);
            }
            out.push(a.kind);
            out.push((a.value.len() + 2) as u8);
            out.extend_from_slice(&a.value);
        }
        if out.len() > MAX_PACKET {
            return Err(Error::TooLong);
        }
        let len = (out.len() as u16).to_be_bytes();
        if let Some(field) = out.get_mut(2..4) {
            field.copy_from_slice(&len);
        }
        Ok(out)
    }

    /// The first attribute of `kind`'s value.
    pub fn get(&self, kind: u8) -> Option<&[u8]> {
        self.attributes.iter().find(|a| a.kind == kind).map(|a| a.value.as_slice())
    }

    /// Every attribute of `kind`, in order.
    pub fn all(&self, kind: u8) -> impl Iterator<Item = &Attribute> {
        self.attributes.iter().filter(move |a| a.kind == kind)
    }

    /// The PAP password, revealed with the shared secret (`None` without a
    /// User-Password; [`Error::Duplicate`] with two). Wiped on drop.
    pub fn password(&self, secret: &[u8]) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let mut hidden = self.all(attr::USER_PASSWORD);
        let Some(first) = hidden.next() else { return Ok(None) };
        if hidden.next().is_some() {
            return Err(Error::Duplicate);
        }
        unhide_password(secret, &self.authenticator, first.value()).map(Some)
    }

    /// A reply to this request: the same identifier, `attributes`, then the
    /// request's Proxy-State attributes copied unchanged and in order (RFC
    /// 2865 §5.33). [`Packet::encode_response`] adds Message-Authenticator
    /// first and computes the Response Authenticator.
    #[must_use]
    pub fn reply(&self, code: Code, mut attributes: Vec<Attribute>) -> Packet {
        attributes.extend(self.all(attr::PROXY_STATE).cloned());
        Packet { code, identifier: self.identifier, authenticator: [0; 16], attributes }
    }

    /// Encodes a reply to the request whose Request Authenticator is
    /// `request_authenticator`: a Message-Authenticator is put first (any
    /// other is removed), computed over the packet with the Request
    /// Authenticator in place (RFC 3579 §3.2), then the Response
    /// Authenticator `MD5(Code+ID+Length+RequestAuth+Attributes+Secret)`
    /// (RFC 2865 §3) is written.
    pub fn encode_response(&self, secret: &[u8], request_authenticator: &[u8; 16]) -> Result<Vec<u8>> {
        let mut attributes = vec![Attribute { kind: attr::MESSAGE_AUTHENTICATOR, value: vec![0; 16] }];
        attributes.extend(self.attributes.iter().filter(|a| a.kind != attr::MESSAGE_AUTHENTICATOR).cloned());
        let packet = Packet {
            code: self.code,
            identifier: self.identifier,
            authenticator: *request_authenticator,
            attributes,
        };
        let mut wire = packet.encode()?;
        let ma = hmac_md5(secret, &wire);
        // The Message-Authenticator value sits right after the header and its two type/length bytes.
        if let Some(slot) = wire.get_mut(MIN_PACKET + 2..MIN_PACKET + 18) {
            slot.copy_from_slice(&ma);
        }
        write_response_authenticator(secret, &mut wire);
        Ok(wire)
    }

    /// Encodes a request as a client sends it: Message-Authenticator first
    /// (any other is removed), computed over the packet with this packet's
    /// Request Authenticator (RFC 3579 §3.2). For tests, benchmarks and
    /// health checks; the authenticator must be fresh and random per request.
    pub fn encode_request(&self, secret: &[u8]) -> Result<Vec<u8>> {
        let mut attributes = vec![Attribute { kind: attr::MESSAGE_AUTHENTICATOR, value: vec![0; 16] }];
        attributes.extend(self.attributes.iter().filter(|a| a.kind != attr::MESSAGE_AUTHENTICATOR).cloned());
        let mut wire = Packet { attributes, ..self.clone() }.encode()?;
        let ma = hmac_md5(secret, &wire);
        if let Some(slot) = wire.get_mut(MIN_PACKET + 2..MIN_PACKET + 18) {
            slot.copy_from_slice(&ma);
        }
        Ok(wire)
    }

    /// Encodes a reply without a Message-Authenticator, as RFC 2865's own
    /// examples are: for the known-answer tests, and for legacy clients'
    /// peers. `matrixauth serve` always uses [`Packet::encode_response`].
    pub fn encode_response_without_message_authenticator(
        &self,
        secret: &[u8],
        request_authenticator: &[u8; 16],
    ) -> Result<Vec<u8>> {
        let packet = Packet { authenticator: *request_authenticator, ..self.clone() };
        let mut wire = packet.encode()?;
        write_response_authenticator(secret, &mut wire);
        Ok(wire)
    }
}

fn hmac_md5(key: &[u8], data: &[u8]) -> [u8; 16] {
    let mut mac = match <Hmac<Md5> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        // HMAC takes keys of every length.
        Err(_) => <Hmac<Md5> as KeyInit>::new(&hmac::digest::Key::<Hmac<Md5>>::default()),
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn write_response_authenticator(secret: &[u8], wire: &mut [u8]) {
    let mut h = Md5::new();
    h.update(&*wire);
    h.update(secret);
    let digest: [u8; 16] = h.finalize().into();
    if let Some(field) = wire.get_mut(4..MIN_PACKET) {
        field.copy_from_slice(&digest);
    }
}

/// How a request's Message-Authenticator checks out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageAuthenticator {
    /// There is none.
    Absent,
    /// Present and right.
    Valid,
    /// Present and wrong, malformed (not 16 bytes) or repeated: the request
    /// is not from a holder of the secret, or was altered.
    Invalid,
}

/// Checks the Message-Authenticator of the request `wire` (as received):
/// HMAC-MD5 under `secret` over the packet with the attribute's value
/// zeroed (RFC 3579 §3.2), compared in constant time.
pub fn check_message_authenticator(secret: &[u8], wire: &[u8]) -> MessageAuthenticator {
    let Ok(packet) = Packet::decode(wire) else { return MessageAuthenticator::Invalid };
    let mut found = None;
    let mut offset = MIN_PACKET;
    for a in &packet.attributes {
        if a.kind == attr::MESSAGE_AUTHENTICATOR {
            if found.is_some() || a.value.len() != 16 {
                return MessageAuthenticator::Invalid;
            }
            found = Some(offset + 2);
        }
        offset += a.value.len() + 2;
    }
    let Some(at) = found else { return MessageAuthenticator::Absent };
    let length = offset;
    let Some(received) = wire.get(at..at + 16) else { return MessageAuthenticator::Invalid };
    let mut zeroed = wire.get(..length).unwrap_or(&[]).to_vec();
    if let Some(slot) = zeroed.get_mut(at..at + 16) {
        slot.fill(0);
    }
    if bool::from(hmac_md5(secret, &zeroed).ct_eq(received)) {
        MessageAuthenticator::Valid
    } else {
        MessageAuthenticator::Invalid
    }
}

/// Whether `wire` is an authentic reply to the request whose authenticator
/// is `request_authenticator`: the Response Authenticator and, if present,
/// the Message-Authenticator. For tests and clients.
pub fn response_is_authentic(secret: &[u8], request_authenticator: &[u8; 16], wire: &[u8]) -> bool {
    let Ok(packet) = Packet::decode(wire) else { return false };
    let Ok(mut as_sent) = packet.encode() else { return false };
    if let Some(field) = as_sent.get_mut(4..MIN_PACKET) {
        field.copy_from_slice(request_authenticator);
    }
    let mut h = Md5::new();
    h.update(&as_sent);
    h.update(secret);
    let expected: [u8; 16] = h.finalize().into();
    if !bool::from(expected.ct_eq(&packet.authenticator)) {
        return false;
    }
    match packet.get(attr::MESSAGE_AUTHENTICATOR) {
        None => true,
        Some(_) => check_message_authenticator(secret, &as_sent) == MessageAuthenticator::Valid,
    }
}

/// The PAP keystream blocks: `b1 = MD5(S + RA)`, `bi = MD5(S + c(i-1))`.
fn pap_block(secret: &[u8], previous: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(secret);
    h.update(previous);
    h.finalize().into()
}

/// Hides a PAP password (RFC 2865 §5.2): padded with NULs to a multiple of
/// 16 bytes (at least 16), at most 128.
pub fn hide_password(secret: &[u8], request_authenticator: &[u8; 16], password: &[u8]) -> Result<Vec<u8>> {
    if password.len() > MAX_PASSWORD {
        return Err(Error::BadPassword);
    }
    let padded_len = password.len().div_ceil(16).max(1) * 16;
    let mut out = Zeroizing::new(vec![0u8; padded_len]);
    for (o, p) in out.iter_mut().zip(password) {
        *o = *p;
    }
    let mut previous: Vec<u8> = request_authenticator.to_vec();
    for chunk in out.chunks_mut(16) {
        let b = pap_block(secret, &previous);
        for (c, k) in chunk.iter_mut().zip(b.iter()) {
            *c ^= k;
        }
        previous = chunk.to_vec();
    }
    Ok(out.to_vec())
}

/// Reveals a hidden PAP password; trailing NULs (the padding) are removed.
/// The result is wiped on drop.
pub fn unhide_password(
    secret: &[u8],
    request_authenticator: &[u8; 16],
    hidden: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    if hidden.is_empty() || !hidden.len().is_multiple_of(16) || hidden.len() > MAX_PASSWORD {
        return Err(Error::BadPassword);
    }
    let mut out = Zeroizing::new(Vec::with_capacity(hidden.len()));
    let mut previous: &[u8] = request_authenticator;
    for chunk in hidden.chunks(16) {
        let b = pap_block(secret, previous);
        out.extend(chunk.iter().zip(b.iter()).map(|(c, k)| c ^ k));
        previous = chunk;
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    Ok(out)
}
