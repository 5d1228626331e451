//! EAP (RFC 3748) as RADIUS carries it (RFC 3579): packets, their
//! fragmentation into and reassembly from `EAP-Message` attributes, and the
//! rule that every request carrying EAP has a valid `Message-Authenticator`.
//!
//! No I/O and no state: the conversation (identifiers, `State`, timeouts) is
//! the server's. Every decode checks lengths exactly and never panics.
//!
//! ```
//! use matrixauth_radius::eap::{self, EapCode, EapPacket, EapType};
//!
//! let request = EapPacket::request(7, EapType::Identity, b"");
//! let wire = request.encode()?;
//! assert_eq!(wire, [1, 7, 0, 5, 1]);
//! let attributes = eap::to_attributes(&wire)?;
//! assert_eq!(attributes.len(), 1);
//! assert_eq!(EapPacket::decode(&wire)?.code, EapCode::Request);
//! # Ok::<(), matrixauth_radius::Error>(())
//! ```

use core::fmt;

use crate::{Attribute, Error, MAX_VALUE, MessageAuthenticator, Packet, Result, attr};

/// The EAP header: Code, Identifier, Length (RFC 3748 §4).
pub const HEADER: usize = 4;
/// The default bound on a reassembled EAP packet (bytes). A RADIUS packet is
/// at most 4096 bytes, so nothing longer can arrive in one request anyway.
pub const DEFAULT_MAX_EAP: usize = 4096;

/// An EAP code (RFC 3748 §4); others are kept as `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EapCode {
    /// 1: from the authenticator (the server).
    Request,
    /// 2: from the peer.
    Response,
    /// 3: the authentication succeeded.
    Success,
    /// 4: the authentication failed.
    Failure,
    /// Anything else (5 and 6 are RFC 6696's Initiate/Finish).
    Unknown(u8),
}

impl EapCode {
    /// The code of byte `b`.
    pub fn from_u8(b: u8) -> Self {
        match b {
            1 => EapCode::Request,
            2 => EapCode::Response,
            3 => EapCode::Success,
            4 => EapCode::Failure,
            other => EapCode::Unknown(other),
        }
    }

    /// The byte of this code.
    pub fn to_u8(self) -> u8 {
        match self {
            EapCode::Request => 1,
            EapCode::Response => 2,
            EapCode::Success => 3,
            EapCode::Failure => 4,
            EapCode::Unknown(b) => b,
        }
    }
}

/// An EAP method type (RFC 3748 §5); others are kept as `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EapType {
    /// 1: Identity (RFC 3748 §5.1).
    Identity,
    /// 2: Notification (RFC 3748 §5.2).
    Notification,
    /// 3: Legacy Nak, in a response only (RFC 3748 §5.3.1).
    Nak,
    /// 6: Generic Token Card (RFC 3748 §5.6).
    Gtc,
    /// 26: EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2).
    MsChapV2,
    /// Anything else (254, Expanded, included).
    Unknown(u8),
}

impl EapType {
    /// The type of byte `b`.
    pub fn from_u8(b: u8) -> Self {
        match b {
            1 => EapType::Identity,
            2 => EapType::Notification,
            3 => EapType::Nak,
            6 => EapType::Gtc,
            26 => EapType::MsChapV2,
            other => EapType::Unknown(other),
        }
    }

    /// The byte of this type.
    pub fn to_u8(self) -> u8 {
        match self {
            EapType::Identity => 1,
            EapType::Notification => 2,
            EapType::Nak => 3,
            EapType::Gtc => 6,
            EapType::MsChapV2 => 26,
            EapType::Unknown(b) => b,
        }
    }
}

/// One EAP packet. Requests and responses carry a type and its data;
/// Success and Failure carry neither; a packet of an unknown code keeps the
/// bytes after its header in `data`, with no type. `Debug` never prints the
/// data of a GTC or MSCHAPv2 response: the first is the typed answer in the
/// clear, the second an NT-Response that lets the answer be searched offline.
#[derive(Clone, PartialEq, Eq)]
pub struct EapPacket {
    /// The code.
    pub code: EapCode,
    /// The identifier: a response carries its request's.
    pub identifier: u8,
    /// The method type: `Some` exactly for requests and responses.
    pub kind: Option<EapType>,
    /// The type data (after the type byte), or the body of an unknown code.
    pub data: Vec<u8>,
}

impl fmt::Debug for EapPacket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("EapPacket");
        d.field("code", &self.code).field("identifier", &self.identifier).field("kind", &self.kind);
        if self.code == EapCode::Response && matches!(self.kind, Some(EapType::Gtc | EapType::MsChapV2)) {
            d.field("data", &"<redacted>");
        } else {
            d.field("data", &self.data);
        }
        d.finish()
    }
}

impl EapPacket {
    /// A request of `kind` carrying `data`.
    pub fn request(identifier: u8, kind: EapType, data: &[u8]) -> Self {
        EapPacket { code: EapCode::Request, identifier, kind: Some(kind), data: data.to_vec() }
    }

    /// A response of `kind` carrying `data`.
    pub fn response(identifier: u8, kind: EapType, data: &[u8]) -> Self {
        EapPacket { code: EapCode::Response, identifier, kind: Some(kind), data: data.to_vec() }
    }

    /// An EAP-Success. RFC 3748 §4.2: its identifier is that of the response
    /// it answers.
    pub fn success(identifier: u8) -> Self {
        EapPacket { code: EapCode::Success, identifier, kind: None, data: Vec::new() }
    }

    /// An EAP-Failure, identifier as for [`EapPacket::success`].
    pub fn failure(identifier: u8) -> Self {
        EapPacket { code: EapCode::Failure, identifier, kind: None, data: Vec::new() }
    }

    /// Decodes exactly one EAP packet: the Length field must equal
    /// `bytes.len()` (RADIUS carries one whole packet, so a mismatch is a
    /// truncated or padded reassembly), Success and Failure are exactly 4
    /// bytes, requests and responses at least 5 (they have a type).
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let Some(([code, identifier, len_hi, len_lo], body)) = bytes.split_first_chunk::<HEADER>() else {
            return Err(Error::BadEap);
        };
        if usize::from(u16::from_be_bytes([*len_hi, *len_lo])) != bytes.len() {
            return Err(Error::BadEap);
        }
        let code = EapCode::from_u8(*code);
        let identifier = *identifier;
        match code {
            EapCode::Request | EapCode::Response => {
                let Some((kind, data)) = body.split_first() else { return Err(Error::BadEap) };
                Ok(EapPacket { code, identifier, kind: Some(EapType::from_u8(*kind)), data: data.to_vec() })
            }
            EapCode::Success | EapCode::Failure if body.is_empty() => {
                Ok(EapPacket { code, identifier, kind: None, data: Vec::new() })
            }
            EapCode::Success | EapCode::Failure => Err(Error::BadEap),
            EapCode::Unknown(_) => Ok(EapPacket { code, identifier, kind: None, data: body.to_vec() }),
        }
    }

    /// Encodes the packet. [`Error::BadEap`] for a request or response
    /// without a type, a Success or Failure with one or with data;
    /// [`Error::EapTooLong`] past 65535 bytes.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut out = Vec::with_capacity(HEADER + 1 + self.data.len());
        out.extend_from_slice(&[self.code.to_u8(), self.identifier, 0, 0]);
        match (self.code, self.kind) {
            (EapCode::Request | EapCode::Response, Some(kind)) => out.push(kind.to_u8()),
            (EapCode::Success | EapCode::Failure, None) if self.data.is_empty() => {}
            (EapCode::Unknown(_), None) => {}
            _ => return Err(Error::BadEap),
        }
        out.extend_from_slice(&self.data);
        let len = u16::try_from(out.len()).map_err(|_| Error::EapTooLong)?;
        if let Some(field) = out.get_mut(2..HEADER) {
            field.copy_from_slice(&len.to_be_bytes());
        }
        Ok(out)
    }

    /// The identity of an Identity response (RFC 3748 §5.1), as sent (not
    /// NUL-terminated, not necessarily UTF-8); `None` for any other packet.
    pub fn identity(&self) -> Option<&[u8]> {
        (self.code == EapCode::Response && self.kind == Some(EapType::Identity)).then_some(&self.data[..])
    }

    /// The methods a Nak response asks for instead (RFC 3748 §5.3.1); `None`
    /// for any other packet. `[0]` means "no alternative".
    pub fn nak_types(&self) -> Option<Vec<EapType>> {
        (self.code == EapCode::Response && self.kind == Some(EapType::Nak))
            .then(|| self.data.iter().map(|b| EapType::from_u8(*b)).collect())
    }
}

/// Splits an encoded EAP packet into `EAP-Message` attributes of at most 253
/// bytes each, in order (RFC 3579 §3.1). The caller puts them consecutively
/// in the RADIUS packet (`Packet::encode_response` keeps their order and puts
/// `Message-Authenticator` first). An empty `eap` gives one empty attribute,
/// which is how a NAS signals EAP-Start.
pub fn to_attributes(eap: &[u8]) -> Result<Vec<Attribute>> {
    if eap.is_empty() {
        return Ok(vec![Attribute::new(attr::EAP_MESSAGE, &[])?]);
    }
    eap.chunks(MAX_VALUE).map(|chunk| Attribute::new(attr::EAP_MESSAGE, chunk)).collect()
}

/// Puts a decoded RADIUS packet's `EAP-Message` attributes back together,
/// in order (RFC 3579 §3.1). `Ok(None)` when there are none; an empty
/// vector for EAP-Start (one empty attribute). [`Error::BadEap`] when the
/// attributes are not consecutive, as §3.1 requires; [`Error::EapTooLong`]
/// as soon as the total passes `max` bytes (use [`DEFAULT_MAX_EAP`] unless
/// there is a reason). The result is not yet checked as EAP: pass it to
/// [`EapPacket::decode`].
pub fn reassemble(packet: &Packet, max: usize) -> Result<Option<Vec<u8>>> {
    let mut out: Option<Vec<u8>> = None;
    let mut ended = false;
    for a in &packet.attributes {
        if a.kind != attr::EAP_MESSAGE {
            ended = out.is_some();
            continue;
        }
        if ended {
            return Err(Error::BadEap);
        }
        let buf = out.get_or_insert_with(Vec::new);
        if buf.len() + a.value().len() > max {
            return Err(Error::EapTooLong);
        }
        buf.extend_from_slice(a.value());
    }
    Ok(out)
}

/// Reassembles and decodes the EAP packet of a RADIUS packet: `Ok(None)`
/// without `EAP-Message`, otherwise [`reassemble`] then
/// [`EapPacket::decode`] (so EAP-Start, an empty message, is
/// [`Error::BadEap`] here).
pub fn decode_from(packet: &Packet, max: usize) -> Result<Option<EapPacket>> {
    match reassemble(packet, max)? {
        None => Ok(None),
        Some(bytes) => EapPacket::decode(&bytes).map(Some),
    }
}

/// What RFC 3579 §3.2 makes of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EapAuthenticity {
    /// No `EAP-Message`: the EAP rule does not apply (the PAP rules do).
    NotEap,
    /// EAP with a valid `Message-Authenticator`: go on.
    Authentic,
    /// EAP without a `Message-Authenticator`, or with a wrong, malformed or
    /// repeated one, or a packet that does not decode: silently discard it.
    Discard,
}

/// Applies RFC 3579 §3.2 to the request `wire` as received: a request with
/// `EAP-Message` must carry a valid `Message-Authenticator` (checked by
/// [`crate::check_message_authenticator`], in constant time) or be
/// discarded. Replies need no check here: `Packet::encode_response` always
/// puts a `Message-Authenticator` first.
pub fn check_eap_request(secret: &[u8], wire: &[u8]) -> EapAuthenticity {
    let Ok(packet) = Packet::decode(wire) else { return EapAuthenticity::Discard };
    if packet.get(attr::EAP_MESSAGE).is_none() {
        return EapAuthenticity::NotEap;
    }
    match crate::check_message_authenticator(secret, wire) {
        MessageAuthenticator::Valid => EapAuthenticity::Authentic,
        MessageAuthenticator::Absent | MessageAuthenticator::Invalid => EapAuthenticity::Discard,
    }
}
