//! The identity provider's signing key and certificates, in the data
//! folder:
//! - `idp-key.pem`: the ECDSA P-256 private key (PKCS#8 PEM), owner-only;
//! - `idp-cert.pem`: its self-signed certificate (what SPs are given);
//! - `idp-cert-previous.pem`: the certificate of the key before the last
//!   `keys rotate`, still published (SAML metadata, JWKS) until
//!   `keys retire-idp` removes it, so SPs can take the new one first.
//!
//! `matrixauth init`, `keys rotate` and the first `serve` make the key.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::xmlsig::{self, Signer};

/// The key file's name in the data folder.
pub const KEY_FILE: &str = "idp-key.pem";
/// The current certificate's file name.
pub const CERT_FILE: &str = "idp-cert.pem";
/// The previous certificate's file name.
pub const PREVIOUS_FILE: &str = "idp-cert-previous.pem";

/// The signing key and every certificate to publish.
#[derive(Debug)]
pub struct IdpKeys {
    /// Signs assertions, responses and ID tokens.
    pub signer: Signer,
    /// The previous certificate (DER), during a rollover.
    pub previous: Option<Vec<u8>>,
}

impl IdpKeys {
    /// Every certificate to publish (DER): the current one first.
    pub fn certs(&self) -> Vec<&[u8]> {
        let mut out = vec![self.signer.cert()];
        if let Some(p) = &self.previous {
            out.push(p);
        }
        out
    }
}

fn write_file(path: &Path, text: &str, private: bool) -> Result<(), String> {
    let tmp = path.with_extension("new");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    let mut file = opts.open(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))
}

fn generate(dir: &Path, now: u64) -> Result<(), String> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
        .map_err(|e| format!("cannot make the IdP key: {e}"))?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new())
        .map_err(|e| format!("cannot make the IdP certificate: {e}"))?;
    params.distinguished_name.push(rcgen::DnType::CommonName, "matrixauth identity provider");
    let year: i32 =
        super::saml_request::format_instant(now).get(..4).and_then(|y| y.parse().ok()).unwrap_or(2026);
    params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + 20, 1, 1);
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|e| format!("no randomness: {e}"))?;
    serial[0] &= 0x7f;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    let cert = params.self_signed(&key).map_err(|e| format!("cannot sign the IdP certificate: {e}"))?;
    let key_pem = zeroize::Zeroizing::new(key.serialize_pem());
    write_file(&dir.join(KEY_FILE), &key_pem, true)?;
    write_file(&dir.join(CERT_FILE), &cert.pem(), false)
}

/// Makes the key and certificate if the data folder has none; whether it did.
pub fn ensure(dir: &Path, now: u64) -> Result<bool, String> {
    if dir.join(KEY_FILE).exists() {
        return Ok(false);
    }
    generate(dir, now)?;
    Ok(true)
}

/// `keys rotate`: the current certificate becomes the previous one (still
/// published), and a new key signs from the next start.
pub fn rotate(dir: &Path, now: u64) -> Result<(), String> {
    if dir.join(CERT_FILE).exists() {
        std::fs::copy(dir.join(CERT_FILE), dir.join(PREVIOUS_FILE))
            .map_err(|e| format!("cannot keep the previous IdP certificate: {e}"))?;
    }
    generate(dir, now)
}

/// `keys retire-idp`: stops publishing the previous certificate; whether
/// there was one.
pub fn retire(dir: &Path) -> Result<bool, String> {
    let path = dir.join(PREVIOUS_FILE);
    if !path.exists() {
        return Ok(false);
    }
    std::fs::remove_file(&path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    Ok(true)
}

fn pem_body(text: &str, label: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
    use base64::Engine as _;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin).ok_or_else(|| format!("no {label}"))? + begin.len();
    let stop = text.get(start..).and_then(|t| t.find(&end)).ok_or_else(|| format!("no {label} end"))? + start;
    let body: zeroize::Zeroizing<String> = zeroize::Zeroizing::new(
        text.get(start..stop).unwrap_or_default().chars().filter(|c| !c.is_whitespace()).collect(),
    );
    base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .map(zeroize::Zeroizing::new)
        .map_err(|_| format!("{label}: not base64"))
}

/// Loads the keys from the data folder `dir` (refusing a key file others
/// can read).
pub fn load(dir: &Path) -> Result<IdpKeys, String> {
    let key_path: PathBuf = dir.join(KEY_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_path)
            .map_err(|e| format!("{}: {e}", key_path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{} is readable by others; run `chmod 600 {}`",
                key_path.display(),
                key_path.display()
            ));
        }
    }
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(&key_path).map_err(|e| format!("cannot read {}: {e}", key_path.display()))?,
    );
    let pkcs8 = pem_body(&text, "PRIVATE KEY").map_err(|e| format!("{}: {e}", key_path.display()))?;
    let cert_path = dir.join(CERT_FILE);
    let cert = std::fs::read_to_string(&cert_path)
        .map_err(|e| format!("cannot read {}: {e}", cert_path.display()))
        .and_then(|t| xmlsig::cert_from_pem(&t).map_err(|e| format!("{}: {e}", cert_path.display())))?;
    let signer = Signer::new(&pkcs8, cert)?;
    let previous = match std::fs::read_to_string(dir.join(PREVIOUS_FILE)) {
        Ok(t) => Some(xmlsig::cert_from_pem(&t).map_err(|e| format!("{PREVIOUS_FILE}: {e}"))?),
        Err(_) => None,
    };
    Ok(IdpKeys { signer, previous })
}
