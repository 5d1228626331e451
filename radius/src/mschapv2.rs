//! EAP-MSCHAPv2: the packets of draft-kamath-pppext-eap-mschapv2, the
//! hashes of RFC 2759, the MPPE keys of RFC 3079 and their RADIUS
//! attributes, MS-MPPE-Send-Key and MS-MPPE-Recv-Key (RFC 2548 §2.4.2–3).
//!
//! No I/O, no randomness: challenges and salts come from the caller.
//! Secrets (password, NT hash, its hash, master and start keys) are returned
//! in [`Zeroizing`] and wiped on drop; NT-Responses and authenticator
//! responses are compared in constant time.
//!
//! **Side channels.** MD4, SHA-1 and MD5 do no secret-indexed memory access.
//! DES (RFC 2759 §8.6, keyed with the NT hash) comes from the RustCrypto
//! `des` crate, whose S-boxes are table lookups indexed by key-dependent
//! bits: [`challenge_response`] is not free of secret-indexed memory access.
//! It is kept in one private function (`des_encrypt`) so a constant-time DES can
//! replace it before the server checks pending challenges with it (issue 25).
//!
//! ```
//! use matrixauth_radius::mschapv2;
//!
//! // RFC 2759 §9.2.
//! let hash = mschapv2::nt_password_hash("clientPass");
//! assert_eq!(hash[0], 0x44);
//! ```

use des::Des;
use des::cipher::{BlockCipherEncrypt, KeyInit};
use md4::Md4;
use md5::{Digest, Md5};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::eap::{EapCode, EapPacket, EapType};
use crate::{Attribute, Error, MAX_VALUE, Result, attr};

/// The MSCHAPv2 OpCodes (draft-kamath-pppext-eap-mschapv2).
pub mod opcode {
    /// Challenge, from the server.
    pub const CHALLENGE: u8 = 1;
    /// Response, from the peer.
    pub const RESPONSE: u8 = 2;
    /// Success: a request with the authenticator response, or the peer's ack.
    pub const SUCCESS: u8 = 3;
    /// Failure: a request with `E=… R=… C=… V=… M=…`, or the peer's ack.
    pub const FAILURE: u8 = 4;
}

/// Microsoft's vendor number (RFC 2548 §2).
pub const VENDOR_MICROSOFT: u32 = 311;
/// MS-MPPE-Send-Key's vendor type (RFC 2548 §2.4.2).
pub const MS_MPPE_SEND_KEY: u8 = 16;
/// MS-MPPE-Recv-Key's vendor type (RFC 2548 §2.4.3).
pub const MS_MPPE_RECV_KEY: u8 = 17;
/// `E=691`: authentication failure (RFC 2759 §6).
pub const ERROR_AUTHENTICATION_FAILURE: u32 = 691;
/// The Value-Size of a Response: peer challenge, 8 reserved, NT-Response, flags.
const RESPONSE_VALUE: usize = 49;

/// One EAP-MSCHAPv2 packet: the type data of an EAP packet of type 26.
/// `Debug` never prints a Response's NT-Response: with the challenges it
/// lets a short answer be searched offline, so it stays out of logs.
#[derive(Clone, PartialEq, Eq)]
pub enum MsChapV2 {
    /// The server's challenge (OpCode 1).
    Challenge {
        /// MS-CHAPv2-ID: echoed in the response.
        id: u8,
        /// The 16-byte authenticator challenge.
        challenge: [u8; 16],
        /// The server's name.
        name: Vec<u8>,
    },
    /// The peer's response (OpCode 2).
    Response {
        /// MS-CHAPv2-ID of the challenge answered.
        id: u8,
        /// The 16-byte peer challenge.
        peer_challenge: [u8; 16],
        /// The 24-byte NT-Response.
        nt_response: [u8; 24],
        /// Flags; zero (RFC 2759 §4).
        flags: u8,
        /// The user name as the peer sends it (may carry `DOMAIN\`).
        name: Vec<u8>,
    },
    /// The server's Success request (OpCode 3): `S=<40 hex> M=<message>`.
    SuccessRequest {
        /// MS-CHAPv2-ID.
        id: u8,
        /// The message, see [`success_message`].
        message: Vec<u8>,
    },
    /// The server's Failure request (OpCode 4): `E=691 R=0 C=… V=3 M=…`.
    FailureRequest {
        /// MS-CHAPv2-ID.
        id: u8,
        /// The message, see [`failure_message`].
        message: Vec<u8>,
    },
    /// The peer's acknowledgement of a Success request (OpCode 3 alone).
    SuccessAck,
    /// The peer's acknowledgement of a Failure request (OpCode 4 alone).
    FailureAck,
    /// Any other OpCode (Change-Password, 7, included), with the bytes after it.
    Unknown {
        /// The OpCode.
        opcode: u8,
        /// The rest.
        body: Vec<u8>,
    },
}

impl core::fmt::Debug for MsChapV2 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MsChapV2::Challenge { id, challenge, name } => f
                .debug_struct("Challenge")
                .field("id", id)
                .field("challenge", challenge)
                .field("name", name)
                .finish(),
            MsChapV2::Response { id, peer_challenge, flags, name, .. } => f
                .debug_struct("Response")
                .field("id", id)
                .field("peer_challenge", peer_challenge)
                .field("nt_response", &"<redacted>")
                .field("flags", flags)
                .field("name", name)
                .finish(),
            MsChapV2::SuccessRequest { id, message } => {
                f.debug_struct("SuccessRequest").field("id", id).field("message", message).finish()
            }
            MsChapV2::FailureRequest { id, message } => {
                f.debug_struct("FailureRequest").field("id", id).field("message", message).finish()
            }
            MsChapV2::SuccessAck => f.write_str("SuccessAck"),
            MsChapV2::FailureAck => f.write_str("FailureAck"),
            MsChapV2::Unknown { opcode, body } => {
                f.debug_struct("Unknown").field("opcode", opcode).field("body", body).finish()
            }
        }
    }
}

impl MsChapV2 {
    /// Decodes the type data of an EAP-MSCHAPv2 packet. MS-Length must equal
    /// the type data's length; a Challenge's Value-Size must be 16, a
    /// Response's 49 with its 8 reserved bytes zero. A Success or Failure of
    /// one byte is the peer's ack; longer, the server's request.
    pub fn decode(data: &[u8]) -> Result<Self> {
        let Some((&op, rest)) = data.split_first() else { return Err(Error::BadMsChapV2) };
        if rest.is_empty() {
            return match op {
                opcode::SUCCESS => Ok(MsChapV2::SuccessAck),
                opcode::FAILURE => Ok(MsChapV2::FailureAck),
                opcode::CHALLENGE | opcode::RESPONSE => Err(Error::BadMsChapV2),
                _ => Ok(MsChapV2::Unknown { opcode: op, body: Vec::new() }),
            };
        }
        if !matches!(op, opcode::CHALLENGE | opcode::RESPONSE | opcode::SUCCESS | opcode::FAILURE) {
            return Ok(MsChapV2::Unknown { opcode: op, body: rest.to_vec() });
        }
        let Some(([id, len_hi, len_lo], body)) = rest.split_first_chunk::<3>() else {
            return Err(Error::BadMsChapV2);
        };
        if usize::from(u16::from_be_bytes([*len_hi, *len_lo])) != data.len() {
            return Err(Error::BadMsChapV2);
        }
        let id = *id;
        match op {
            opcode::CHALLENGE => {
                let Some((&16, value)) = body.split_first() else { return Err(Error::BadMsChapV2) };
                let Some((challenge, name)) = value.split_first_chunk::<16>() else {
                    return Err(Error::BadMsChapV2);
                };
                Ok(MsChapV2::Challenge { id, challenge: *challenge, name: name.to_vec() })
            }
            opcode::RESPONSE => {
                let Some((&size, value)) = body.split_first() else { return Err(Error::BadMsChapV2) };
                if usize::from(size) != RESPONSE_VALUE {
                    return Err(Error::BadMsChapV2);
                }
                let Some((peer_challenge, value)) = value.split_first_chunk::<16>() else {
                    return Err(Error::BadMsChapV2);
                };
                let Some((reserved, value)) = value.split_first_chunk::<8>() else {
                    return Err(Error::BadMsChapV2);
                };
                let Some((nt_response, value)) = value.split_first_chunk::<24>() else {
                    return Err(Error::BadMsChapV2);
                };
                let Some((&flags, name)) = value.split_first() else { return Err(Error::BadMsChapV2) };
                if *reserved != [0; 8] {
                    return Err(Error::BadMsChapV2);
                }
                Ok(MsChapV2::Response {
                    id,
                    peer_challenge: *peer_challenge,
                    nt_response: *nt_response,
                    flags,
                    name: name.to_vec(),
                })
            }
            opcode::SUCCESS => Ok(MsChapV2::SuccessRequest { id, message: body.to_vec() }),
            _ => Ok(MsChapV2::FailureRequest { id, message: body.to_vec() }),
        }
    }

    /// Encodes the packet as EAP type data (MS-Length filled in).
    /// [`Error::BadMsChapV2`] past 65535 bytes.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let (op, id, body) = match self {
            MsChapV2::SuccessAck => return Ok(vec![opcode::SUCCESS]),
            MsChapV2::FailureAck => return Ok(vec![opcode::FAILURE]),
            MsChapV2::Unknown { opcode, body } => {
                let mut out = vec![*opcode];
                out.extend_from_slice(body);
                return Ok(out);
            }
            MsChapV2::Challenge { id, challenge, name } => {
                let mut body = vec![16];
                body.extend_from_slice(challenge);
                body.extend_from_slice(name);
                (opcode::CHALLENGE, *id, body)
            }
            MsChapV2::Response { id, peer_challenge, nt_response, flags, name } => {
                let mut body = vec![RESPONSE_VALUE as u8];
                body.extend_from_slice(peer_challenge);
                body.extend_from_slice(&[0; 8]);
                body.extend_from_slice(nt_response);
                body.push(*flags);
                body.extend_from_slice(name);
                (opcode::RESPONSE, *id, body)
            }
            MsChapV2::SuccessRequest { id, message } => (opcode::SUCCESS, *id, message.clone()),
            MsChapV2::FailureRequest { id, message } => (opcode::FAILURE, *id, message.clone()),
        };
        let len = u16::try_from(4 + body.len()).map_err(|_| Error::BadMsChapV2)?;
        let mut out = Vec::with_capacity(4 + body.len());
        out.push(op);
        out.push(id);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// This packet in an EAP packet of type 26 (a request or response, as
    /// `code` says) with EAP identifier `identifier`.
    pub fn to_eap(&self, code: EapCode, identifier: u8) -> Result<EapPacket> {
        Ok(EapPacket { code, identifier, kind: Some(EapType::MsChapV2), data: self.encode()? })
    }
}

/// The message of a Success request: `S=<authenticator response> M=<text>`
/// (RFC 2759 §5, draft-kamath-pppext-eap-mschapv2).
pub fn success_message(authenticator_response: &[u8; 42], text: &str) -> Vec<u8> {
    let mut out = authenticator_response.to_vec();
    out.extend_from_slice(b" M=");
    out.extend_from_slice(text.as_bytes());
    out
}

/// The message of a Failure request, `E=691 R=0 C=<32 hex> V=3 M=<text>`
/// (RFC 2759 §6): authentication failure, no retry, `next_challenge` as the
/// challenge for a retry or password change, version 3.
pub fn failure_message(next_challenge: &[u8; 16], text: &str) -> Vec<u8> {
    let mut out = format!("E={ERROR_AUTHENTICATION_FAILURE} R=0 C=").into_bytes();
    out.extend(next_challenge.iter().flat_map(|b| [hex_digit(b >> 4), hex_digit(b & 15)]));
    out.extend_from_slice(b" V=3 M=");
    out.extend_from_slice(text.as_bytes());
    out
}

/// An upper-case hex digit, without a table or a branch on the value.
fn hex_digit(n: u8) -> u8 {
    let n = n & 15;
    // 7 more for 10..=15, to skip from '9'+1 to 'A'.
    let skip = (((9i16 - i16::from(n)) >> 8) & 7) as u8;
    b'0' + n + skip
}

/// The first `N` bytes of `a` (`N` ≤ `M`, so nothing is ever padded).
fn prefix<const N: usize, const M: usize>(a: &[u8; M]) -> [u8; N] {
    core::array::from_fn(|i| a.get(i).copied().unwrap_or(0))
}

/// The user name that ChallengeHash hashes: what follows the last `\` (RFC
/// 2759 §8.2: "excluding any prepended domain name").
pub fn user_name_for_hash(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|b| *b == b'\\') {
        Some(at) => name.get(at + 1..).unwrap_or(&[]),
        None => name,
    }
}

/// `NtPasswordHash` (RFC 2759 §8.3): MD4 of the password in UTF-16LE. The
/// UTF-16 copy and the hash are wiped.
pub fn nt_password_hash(password: &str) -> Zeroizing<[u8; 16]> {
    let unicode: Zeroizing<Vec<u8>> =
        Zeroizing::new(password.encode_utf16().flat_map(u16::to_le_bytes).collect());
    Zeroizing::new(Md4::digest(&unicode[..]).into())
}

/// `HashNtPasswordHash` (RFC 2759 §8.4): MD4 of the NT hash. Wiped.
pub fn hash_nt_password_hash(nt_hash: &[u8; 16]) -> Zeroizing<[u8; 16]> {
    Zeroizing::new(Md4::digest(nt_hash).into())
}

/// `ChallengeHash` (RFC 2759 §8.2): the first 8 bytes of SHA-1(peer
/// challenge, authenticator challenge, user name). Pass the name through
/// [`user_name_for_hash`] first.
pub fn challenge_hash(peer_challenge: &[u8; 16], authenticator_challenge: &[u8; 16], user: &[u8]) -> [u8; 8] {
    let mut h = Sha1::new();
    h.update(peer_challenge);
    h.update(authenticator_challenge);
    h.update(user);
    prefix(&h.finalize().into())
}

/// The one use of DES: encrypts `block` under the 56-bit `key7`, spread to
/// 8 bytes with the parity bits left zero (DES ignores them) as RFC 2759
/// §8.6's `DesEncrypt` does. The key schedule is wiped on drop (`des`'s
/// `zeroize` feature); see the module's note on S-box lookups.
// By reference: the key is a secret the caller wipes; by value would add an unwiped stack copy.
#[allow(clippy::trivially_copy_pass_by_ref)]
fn des_encrypt(key7: &[u8; 7], block: &[u8; 8]) -> [u8; 8] {
    let bits = Zeroizing::new(key7.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b)));
    let key: Zeroizing<[u8; 8]> =
        Zeroizing::new(core::array::from_fn(|i| (((*bits >> (49 - 7 * i)) & 0x7f) as u8) << 1));
    let cipher = Des::new(&(*key).into());
    let mut out = (*block).into();
    cipher.encrypt_block(&mut out);
    out.into()
}

/// `ChallengeResponse` (RFC 2759 §8.5): the NT hash, zero-padded to 21
/// bytes, as three 7-byte DES keys, each encrypting `challenge`.
pub fn challenge_response(challenge: &[u8; 8], nt_hash: &[u8; 16]) -> [u8; 24] {
    let z: Zeroizing<[u8; 21]> =
        Zeroizing::new(core::array::from_fn(|i| nt_hash.get(i).copied().unwrap_or(0)));
    let mut out = [0u8; 24];
    for (slot, key) in out.chunks_exact_mut(8).zip(z.chunks_exact(7)) {
        if let Ok(key) = <&[u8; 7]>::try_from(key) {
            slot.copy_from_slice(&des_encrypt(key, challenge));
        }
    }
    out
}

/// `GenerateNTResponse` (RFC 2759 §8.1) from the NT hash: what the peer
/// sends, and what the server expects.
pub fn generate_nt_response(
    authenticator_challenge: &[u8; 16],
    peer_challenge: &[u8; 16],
    user: &[u8],
    nt_hash: &[u8; 16],
) -> [u8; 24] {
    challenge_response(&challenge_hash(peer_challenge, authenticator_challenge, user), nt_hash)
}

/// Whether `received` is the NT-Response that `nt_hash` gives for these
/// challenges and user, compared in constant time. Costs one SHA-1 and three
/// DES (see the module's note on DES).
pub fn verify_nt_response(
    authenticator_challenge: &[u8; 16],
    peer_challenge: &[u8; 16],
    user: &[u8],
    nt_hash: &[u8; 16],
    received: &[u8; 24],
) -> bool {
    let expected =
        Zeroizing::new(generate_nt_response(authenticator_challenge, peer_challenge, user, nt_hash));
    bool::from(expected.ct_eq(received))
}

/// `GenerateAuthenticatorResponse` (RFC 2759 §8.7): `S=` and 40 upper-case
/// hex digits, proving to the peer that the server knows the NT hash.
pub fn generate_authenticator_response(
    nt_hash: &[u8; 16],
    nt_response: &[u8; 24],
    peer_challenge: &[u8; 16],
    authenticator_challenge: &[u8; 16],
    user: &[u8],
) -> [u8; 42] {
    let hash_hash = hash_nt_password_hash(nt_hash);
    authenticator_response_from_hash_hash(
        &hash_hash,
        nt_response,
        peer_challenge,
        authenticator_challenge,
        user,
    )
}

/// [`generate_authenticator_response`] from the `PasswordHashHash` (MD4 of
/// the NT hash), all RFC 2759 §8.7 needs: what a server that never holds
/// the NT hash (it checked the NT-Response in the core) answers with.
pub fn authenticator_response_from_hash_hash(
    hash_hash: &[u8; 16],
    nt_response: &[u8; 24],
    peer_challenge: &[u8; 16],
    authenticator_challenge: &[u8; 16],
    user: &[u8],
) -> [u8; 42] {
    const MAGIC1: &[u8] = b"Magic server to client signing constant";
    const MAGIC2: &[u8] = b"Pad to make it do more than one iteration";
    let mut h = Sha1::new();
    h.update(hash_hash);
    h.update(nt_response);
    h.update(MAGIC1);
    let digest = Zeroizing::new(h.finalize());
    let mut h = Sha1::new();
    h.update(&digest[..]);
    h.update(challenge_hash(peer_challenge, authenticator_challenge, user));
    h.update(MAGIC2);
    let digest: [u8; 20] = h.finalize().into();
    let mut hex = digest.iter().flat_map(|b| [hex_digit(b >> 4), hex_digit(b & 15)]);
    core::array::from_fn(|i| match i {
        0 => b'S',
        1 => b'=',
        _ => hex.next().unwrap_or(b'0'),
    })
}

/// Whether `received` (the peer's view, the `S=…` of a Success request) is
/// `expected`, in constant time; any other length is `false`.
pub fn verify_authenticator_response(expected: &[u8; 42], received: &[u8]) -> bool {
    bool::from(expected[..].ct_eq(received))
}

/// `GetMasterKey` (RFC 3079 §3.4): the first 16 bytes of
/// SHA-1(HashNtPasswordHash, NT-Response, Magic1). Wiped.
pub fn master_key(nt_hash: &[u8; 16], nt_response: &[u8; 24]) -> Zeroizing<[u8; 16]> {
    master_key_from_hash_hash(&hash_nt_password_hash(nt_hash), nt_response)
}

/// [`master_key`] from the `PasswordHashHash` (MD4 of the NT hash), which
/// is all `GetMasterKey` hashes. Wiped.
pub fn master_key_from_hash_hash(hash_hash: &[u8; 16], nt_response: &[u8; 24]) -> Zeroizing<[u8; 16]> {
    const MAGIC1: &[u8] = b"This is the MPPE Master Key";
    let mut h = Sha1::new();
    h.update(hash_hash);
    h.update(nt_response);
    h.update(MAGIC1);
    let digest: Zeroizing<[u8; 20]> = Zeroizing::new(h.finalize().into());
    Zeroizing::new(prefix(&digest))
}

/// `GetAsymmetricStartKey` (RFC 3079 §3.4) for 128-bit keys: the first 16
/// bytes of SHA-1(master key, 40 × 0x00, magic, 40 × 0xF2), where the magic
/// is the client's send key / server's receive key string or the other,
/// as `is_send` and `is_server` select. Wiped.
pub fn asymmetric_start_key(master_key: &[u8; 16], is_send: bool, is_server: bool) -> Zeroizing<[u8; 16]> {
    const MAGIC2: &[u8] =
        b"On the client side, this is the send key; on the server side, it is the receive key.";
    const MAGIC3: &[u8] =
        b"On the client side, this is the receive key; on the server side, it is the send key.";
    let magic = if is_send == is_server { MAGIC3 } else { MAGIC2 };
    let mut h = Sha1::new();
    h.update(master_key);
    h.update([0u8; 40]);
    h.update(magic);
    h.update([0xf2u8; 40]);
    let digest: Zeroizing<[u8; 20]> = Zeroizing::new(h.finalize().into());
    Zeroizing::new(prefix(&digest))
}

/// The server's two MPPE keys after a successful EAP-MSCHAPv2 exchange.
/// Wiped on drop.
pub struct MppeKeys {
    /// The server's send key: MS-MPPE-Send-Key (the peer's receive key).
    pub send: Zeroizing<[u8; 16]>,
    /// The server's receive key: MS-MPPE-Recv-Key (the peer's send key).
    pub recv: Zeroizing<[u8; 16]>,
}

impl core::fmt::Debug for MppeKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("MppeKeys { ... }")
    }
}

impl MppeKeys {
    /// The server's keys (RFC 3079 §3.4, `IsServer` true) from the NT hash
    /// and the NT-Response that was checked.
    pub fn server(nt_hash: &[u8; 16], nt_response: &[u8; 24]) -> Self {
        MppeKeys::server_from_hash_hash(&hash_nt_password_hash(nt_hash), nt_response)
    }

    /// [`MppeKeys::server`] from the `PasswordHashHash` (MD4 of the NT
    /// hash): what the server has after the core checked the NT-Response.
    pub fn server_from_hash_hash(hash_hash: &[u8; 16], nt_response: &[u8; 24]) -> Self {
        let master = master_key_from_hash_hash(hash_hash, nt_response);
        MppeKeys {
            send: asymmetric_start_key(&master, true, true),
            recv: asymmetric_start_key(&master, false, true),
        }
    }

    /// The EAP-MSCHAPv2 MSK: the server's receive key then its send key
    /// (hostapd's server order, "MS-MPPE-Recv-Key | MS-MPPE-Send-Key"), then
    /// 32 zero bytes up to the 64 bytes RFC 3748 §7.10 asks of an MSK.
    pub fn msk(&self) -> Zeroizing<[u8; 64]> {
        let mut keys = self.recv.iter().chain(self.send.iter());
        Zeroizing::new(core::array::from_fn(|_| keys.next().copied().unwrap_or(0)))
    }
}

/// The RFC 2548 keystream block `MD5(secret, previous)`.
fn mppe_block(secret: &[u8], first: &[u8], second: &[u8]) -> Zeroizing<[u8; 16]> {
    let mut h = Md5::new();
    h.update(secret);
    h.update(first);
    h.update(second);
    Zeroizing::new(h.finalize().into())
}

/// Encrypts `key` as the value of an MS-MPPE-Send-Key or -Recv-Key (RFC 2548
/// §2.4.2): the salt with its high bit set (the bit is set here), then the
/// key length, the key and zero padding to a multiple of 16, XORed with
/// `b(1) = MD5(secret, request authenticator, salt)`, `b(i) = MD5(secret,
/// c(i-1))`. The two attributes of one packet need different salts: see
/// [`mppe_key_attributes`]. [`Error::BadMppeKey`] for an empty key or one
/// too long for an attribute.
pub fn encrypt_mppe_key(
    secret: &[u8],
    request_authenticator: &[u8; 16],
    salt: u16,
    key: &[u8],
) -> Result<Vec<u8>> {
    let salt = (salt | 0x8000).to_be_bytes();
    let padded = (1 + key.len()).div_ceil(16) * 16;
    if key.is_empty() || 6 + 2 + padded > MAX_VALUE {
        return Err(Error::BadMppeKey);
    }
    let mut plain = Zeroizing::new(Vec::with_capacity(padded));
    plain.push(key.len() as u8);
    plain.extend_from_slice(key);
    plain.resize(padded, 0);
    let mut out = salt.to_vec();
    let mut block = mppe_block(secret, request_authenticator, &salt);
    for chunk in plain.chunks(16) {
        let start = out.len();
        out.extend(chunk.iter().zip(block.iter()).map(|(p, b)| p ^ b));
        block = mppe_block(secret, out.get(start..).unwrap_or(&[]), &[]);
    }
    Ok(out)
}

/// Decrypts an MS-MPPE-Send-Key or -Recv-Key value (RFC 2548 §2.4.2–3): the
/// key, wiped on drop. [`Error::BadMppeKey`] if the value is not a salt with
/// its high bit set and a multiple of 16 bytes, or its key length does not
/// fit.
pub fn decrypt_mppe_key(
    secret: &[u8],
    request_authenticator: &[u8; 16],
    value: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let Some((salt, cipher)) = value.split_first_chunk::<2>() else { return Err(Error::BadMppeKey) };
    if salt.first().is_none_or(|b| b & 0x80 == 0) || cipher.is_empty() || !cipher.len().is_multiple_of(16) {
        return Err(Error::BadMppeKey);
    }
    let mut plain = Zeroizing::new(Vec::with_capacity(cipher.len()));
    let mut block = mppe_block(secret, request_authenticator, salt);
    for chunk in cipher.chunks(16) {
        plain.extend(chunk.iter().zip(block.iter()).map(|(c, b)| c ^ b));
        block = mppe_block(secret, chunk, &[]);
    }
    let Some((&len, rest)) = plain.split_first() else { return Err(Error::BadMppeKey) };
    let key = rest.get(..usize::from(len)).ok_or(Error::BadMppeKey)?;
    if len == 0 {
        return Err(Error::BadMppeKey);
    }
    Ok(Zeroizing::new(key.to_vec()))
}

/// A Microsoft Vendor-Specific attribute (RFC 2548 §2: vendor 311, then
/// vendor type, vendor length, value).
pub fn vendor_attribute(vendor_type: u8, value: &[u8]) -> Result<Attribute> {
    let vendor_len = u8::try_from(2 + value.len()).map_err(|_| Error::ValueTooLong)?;
    let mut v = VENDOR_MICROSOFT.to_be_bytes().to_vec();
    v.push(vendor_type);
    v.push(vendor_len);
    v.extend_from_slice(value);
    Attribute::new(attr::VENDOR_SPECIFIC, &v)
}

/// The value of the first Microsoft Vendor-Specific sub-attribute of
/// `vendor_type` in `attributes`, if any (one sub-attribute per
/// Vendor-Specific, as RFC 2548 sends them).
pub fn find_vendor_attribute(attributes: &[Attribute], vendor_type: u8) -> Option<&[u8]> {
    attributes.iter().filter(|a| a.kind == attr::VENDOR_SPECIFIC).find_map(|a| {
        let (vendor, rest) = a.value().split_first_chunk::<4>()?;
        let ([kind, len], value) = rest.split_first_chunk::<2>()?;
        (u32::from_be_bytes(*vendor) == VENDOR_MICROSOFT
            && *kind == vendor_type
            && usize::from(*len) == 2 + value.len())
        .then_some(value)
    })
}

/// MS-MPPE-Send-Key and MS-MPPE-Recv-Key, in that order, for an
/// Access-Accept answering the request whose authenticator is
/// `request_authenticator`. `send_salt` and `recv_salt` must be random and
/// differ (after their high bit is set), or [`Error::BadMppeKey`].
pub fn mppe_key_attributes(
    secret: &[u8],
    request_authenticator: &[u8; 16],
    keys: &MppeKeys,
    send_salt: u16,
    recv_salt: u16,
) -> Result<[Attribute; 2]> {
    if send_salt | 0x8000 == recv_salt | 0x8000 {
        return Err(Error::BadMppeKey);
    }
    let send = encrypt_mppe_key(secret, request_authenticator, send_salt, &keys.send[..])?;
    let recv = encrypt_mppe_key(secret, request_authenticator, recv_salt, &keys.recv[..])?;
    Ok([vendor_attribute(MS_MPPE_SEND_KEY, &send)?, vendor_attribute(MS_MPPE_RECV_KEY, &recv)?])
}
