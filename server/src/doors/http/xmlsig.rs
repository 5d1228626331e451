//! XML signatures the IdP makes, and the signatures of SPs' requests it
//! checks.
//!
//! **Canonical by construction.** The server never canonicalises XML it
//! reads. It writes the elements it signs (assertions, responses, logout
//! responses) already in the form Exclusive XML Canonicalization 1.0
//! (`http://www.w3.org/2001/10/xml-exc-c14n#`, without comments) gives
//! them, so the bytes it digests are the bytes a verifier's
//! canonicaliser produces:
//! - no XML declaration, no whitespace between elements, every element
//!   written with a start and an end tag (`<a></a>`, never `<a/>`);
//! - each namespace declared on the outermost element that uses its prefix
//!   in its own name (`xmlns:saml` on `saml:Issuer` inside a
//!   `samlp:Response`), nowhere else, and no prefix appears only inside an
//!   attribute value (no `xsi:type="xs:string"`);
//! - attributes unqualified and in lexicographic order, after the
//!   namespace declarations;
//! - text escaped as c14n does ([`text`]: `&amp;`, `&lt;`, `&gt;`, `&#xD;`)
//!   and attribute values likewise ([`attr`]: `&amp;`, `&lt;`, `&quot;`,
//!   `&#x9;`, `&#xA;`, `&#xD;`).
//!
//! The signature is enveloped (transforms: enveloped-signature, then
//! exc-c14n), over the element by its `ID`, with SHA-256 and
//! ECDSA-SHA256 on P-256 (`ring`; the value is `r || s`, RFC 4051 /
//! XML-DSig 1.1). `xmlsec1 --verify` checks every kind of message in
//! `scripts/federation-test.sh`.

use base64::Engine as _;
use ring::signature::{self, KeyPair as _};

/// The XML-DSig namespace.
pub const NS_DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Exclusive canonicalisation, without comments.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// The signature algorithm of the IdP's signatures.
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
/// RSA-SHA256 (SPs' request signatures).
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// Escapes element text as canonical XML writes it. Characters XML 1.0
/// cannot hold at all (other controls) must be refused before.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value as canonical XML writes it.
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether XML 1.0 can carry `s` as text (no control characters but tab,
/// line feed and carriage return; no U+FFFE/U+FFFF).
pub fn xml_safe(s: &str) -> bool {
    s.chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r') || !(c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}'))
}

/// A signing key: ECDSA P-256 with its self-signed certificate.
pub struct Signer {
    key: signature::EcdsaKeyPair,
    /// The certificate (DER).
    cert: Vec<u8>,
    rng: ring::rand::SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer { .. }")
    }
}

impl Signer {
    /// A signer from a PKCS#8 P-256 key (DER) and its certificate (DER).
    pub fn new(pkcs8: &[u8], cert: Vec<u8>) -> Result<Signer, String> {
        let rng = ring::rand::SystemRandom::new();
        let key =
            signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
                .map_err(|_| "the IdP signing key is not a PKCS#8 P-256 key".to_owned())?;
        Ok(Signer { key, cert, rng })
    }

    /// Signs `data` with ECDSA-SHA256: `r || s`, 64 bytes.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        self.key.sign(&self.rng, data).map(|s| s.as_ref().to_vec()).map_err(|_| "signing failed".to_owned())
    }

    /// The certificate (DER).
    pub fn cert(&self) -> &[u8] {
        &self.cert
    }

    /// The public key: the uncompressed point (65 bytes).
    pub fn public_point(&self) -> &[u8] {
        self.key.public_key().as_ref()
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The canonical `SignedInfo` over the element `id` whose canonical bytes
/// (without the signature) digest to `digest`. With `ns`, it declares
/// `xmlns:ds` itself (the form that is signed); without, it is written
/// inside a `ds:Signature` that declares it.
fn signed_info(id: &str, digest: &[u8], ns: bool) -> String {
    let decl = if ns { format!(" xmlns:ds=\"{NS_DS}\"") } else { String::new() };
    format!(
        "<ds:SignedInfo{decl}><ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"></ds:CanonicalizationMethod>\
         <ds:SignatureMethod Algorithm=\"{ECDSA_SHA256}\"></ds:SignatureMethod>\
         <ds:Reference URI=\"#{id}\"><ds:Transforms>\
         <ds:Transform Algorithm=\"{ENVELOPED}\"></ds:Transform>\
         <ds:Transform Algorithm=\"{EXC_C14N}\"></ds:Transform></ds:Transforms>\
         <ds:DigestMethod Algorithm=\"{SHA256}\"></ds:DigestMethod>\
         <ds:DigestValue>{}</ds:DigestValue></ds:Reference></ds:SignedInfo>",
        b64(digest),
        id = attr(id),
    )
}

/// Signs the canonical element `element`, whose `ID` is `id`, and returns
/// it with its `ds:Signature` inserted at byte `at` (right after its
/// `Issuer`, where the schemas put it).
pub fn sign_enveloped(element: &str, id: &str, at: usize, signer: &Signer) -> Result<String, String> {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(element.as_bytes());
    let signed = signed_info(id, &digest, true);
    let value = signer.sign(signed.as_bytes())?;
    let signature = format!(
        "<ds:Signature xmlns:ds=\"{NS_DS}\">{}<ds:SignatureValue>{}</ds:SignatureValue>\
         <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
         </ds:Signature>",
        signed_info(id, &digest, false),
        b64(&value),
        b64(signer.cert()),
    );
    let (head, tail) =
        (element.get(..at).ok_or("bad insertion point")?, element.get(at..).ok_or("bad insertion point")?);
    Ok(format!("{head}{signature}{tail}"))
}

/// Checks a Redirect-binding signature: `signature` (raw bytes) over
/// `signed` with `sig_alg` (RSA-SHA256 or ECDSA-SHA256) under the public
/// key of `cert_der`. SHA-1 algorithms are refused.
pub fn verify_redirect(
    cert_der: &[u8],
    sig_alg: &str,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    use x509_cert::der::Decode as _;
    let cert =
        x509_cert::Certificate::from_der(cert_der).map_err(|_| "the SP certificate is not X.509 DER")?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let key = spki.subject_public_key.raw_bytes();
    let alg_oid = spki.algorithm.oid.to_string();
    let rsa = alg_oid == "1.2.840.113549.1.1.1";
    let ec = alg_oid == "1.2.840.10045.2.1";
    let result = match sig_alg {
        RSA_SHA256 if rsa => signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, key)
            .verify(signed, signature),
        ECDSA_SHA256 if ec => {
            // Redirect-binding ECDSA signatures are DER (the raw signature algorithm's output);
            // some SPs send r || s: both are tried.
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, key)
                .verify(signed, signature)
                .or_else(|_| {
                    signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, key)
                        .verify(signed, signature)
                })
        }
        RSA_SHA256 | ECDSA_SHA256 => return Err("the SigAlg does not match the SP certificate's key".into()),
        _ => return Err("unsupported SigAlg (RSA-SHA256 or ECDSA-SHA256 only)".into()),
    };
    result.map_err(|_| "the request signature does not verify".to_owned())
}

/// Reads a PEM file's first certificate (DER).
pub fn cert_from_pem(pem_text: &str) -> Result<Vec<u8>, String> {
    let begin = "-----BEGIN CERTIFICATE-----";
    let end = "-----END CERTIFICATE-----";
    let start = pem_text.find(begin).ok_or("no PEM certificate")? + begin.len();
    let stop = pem_text.get(start..).and_then(|t| t.find(end)).ok_or("no PEM certificate end")? + start;
    let body: String =
        pem_text.get(start..stop).unwrap_or_default().chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| "the PEM certificate is not base64".to_owned())
}
