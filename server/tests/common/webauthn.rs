//! A software WebAuthn authenticator for the tests: one P-256 key, its
//! attestation ("none") and assertions, base64url and the bits of CBOR they need.

use p256::ecdsa::signature::Signer as _;
use serde_json::{Value, json};
use sha2::Digest as _;

pub(crate) fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

pub(crate) fn unb64(s: &str) -> Vec<u8> {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let vals: Vec<u32> = s.bytes().map(|c| A.iter().position(|a| *a == c).unwrap() as u32).collect();
    let mut out = Vec::new();
    for chunk in vals.chunks(4) {
        let mut n = 0u32;
        for (i, v) in chunk.iter().enumerate() {
            n |= v << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// CBOR: a head of `major` with `n`.
pub(crate) fn head(major: u8, n: usize) -> Vec<u8> {
    match n {
        0..=23 => vec![(major << 5) | n as u8],
        24..=255 => vec![(major << 5) | 0x18, n as u8],
        _ => vec![(major << 5) | 0x19, (n >> 8) as u8, n as u8],
    }
}

pub(crate) fn cbor_text(s: &str) -> Vec<u8> {
    [head(3, s.len()), s.as_bytes().to_vec()].concat()
}

pub(crate) fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    [head(2, b.len()), b.to_vec()].concat()
}

/// A software authenticator: one P-256 key, one credential id, a counter.
pub(crate) struct Authenticator {
    pub(crate) key: p256::ecdsa::SigningKey,
    pub(crate) id: Vec<u8>,
    pub(crate) counter: u32,
    pub(crate) flags: u8,
}

pub(crate) const UP: u8 = 0x01;
pub(crate) const UV: u8 = 0x04;
pub(crate) const BE: u8 = 0x08;
pub(crate) const AT: u8 = 0x40;

impl Authenticator {
    pub(crate) fn new(seed: u8) -> Self {
        let mut k = [seed; 32];
        k[0] = 1;
        Authenticator {
            key: p256::ecdsa::SigningKey::from_slice(&k).unwrap(),
            id: (0..32).map(|i| seed.wrapping_mul(31).wrapping_add(i)).collect(),
            counter: 0,
            flags: UP | UV,
        }
    }

    pub(crate) fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_sec1_point(false);
        let bytes = point.as_bytes();
        // {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
        [
            vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21],
            cbor_bytes(&bytes[1..33]),
            vec![0x22],
            cbor_bytes(&bytes[33..65]),
        ]
        .concat()
    }

    pub(crate) fn auth_data(&self, rp_id: &str, flags: u8, attested: bool) -> Vec<u8> {
        let mut d = sha2::Sha256::digest(rp_id.as_bytes()).to_vec();
        d.push(flags | if attested { AT } else { 0 });
        d.extend_from_slice(&self.counter.to_be_bytes());
        if attested {
            d.extend_from_slice(&[0; 16]);
            d.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
            d.extend_from_slice(&self.id);
            d.extend(self.cose_key());
        }
        d
    }

    pub(crate) fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    /// The response to creation options.
    pub(crate) fn register(&self, options: &Value, origin: &str) -> String {
        let challenge = options["publicKey"]["challenge"].as_str().unwrap();
        let rp = options["publicKey"]["rp"]["id"].as_str().unwrap();
        let client = Self::client_data("webauthn.create", challenge, origin);
        let auth = self.auth_data(rp, self.flags, true);
        let att = [
            vec![0xa3],
            cbor_text("fmt"),
            cbor_text("none"),
            cbor_text("attStmt"),
            vec![0xa0],
            cbor_text("authData"),
            cbor_bytes(&auth),
        ]
        .concat();
        json!({
            "id": b64(&self.id), "rawId": b64(&self.id), "type": "public-key", "extensions": {},
            "response": {"attestationObject": b64(&att), "clientDataJSON": b64(&client), "transports": ["internal"]},
        })
        .to_string()
    }

    /// An assertion for request options (counter moved on first).
    pub(crate) fn assert(&mut self, options: &Value, origin: &str, rp_id: &str) -> String {
        self.counter += 1;
        let challenge = options["publicKey"]["challenge"].as_str().unwrap();
        let client = Self::client_data("webauthn.get", challenge, origin);
        let auth = self.auth_data(rp_id, self.flags, false);
        let mut signed = auth.clone();
        signed.extend_from_slice(&sha2::Sha256::digest(&client));
        let sig: p256::ecdsa::Signature = self.key.sign(&signed);
        json!({
            "id": b64(&self.id), "rawId": b64(&self.id), "type": "public-key", "extensions": {},
            "response": {
                "authenticatorData": b64(&auth), "clientDataJSON": b64(&client),
                "signature": b64(sig.to_der().as_bytes()), "userHandle": null,
            },
        })
        .to_string()
    }
}
