//! HTTPS on the portal's listener: the certificate and key files
//! (`http.tls.cert`, `http.tls.key`), checked when read and reloaded on
//! SIGHUP.
//!
//! - Only TLS 1.2 and 1.3 (rustls has nothing older), HTTP/1.1 by ALPN.
//! - Refused when read, with the file named: unreadable, not PEM, no
//!   certificate or key in it, a key that is not the certificate's, a
//!   certificate that has expired or is not valid yet.
//! - [`Tls::reload`] reads the files again and swaps the configuration new
//!   handshakes use; connections already open keep theirs. A bad new pair
//!   leaves the old one in use, and the error says why.

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// The certificate and key files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Files {
    /// The certificate chain (PEM): the server's certificate first, then
    /// any intermediates.
    pub cert: PathBuf,
    /// The private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub key: PathBuf,
}

/// A certificate read and checked: what the handshakes use, and what to
/// tell the operator.
pub struct Loaded {
    /// The rustls configuration.
    pub config: Arc<ServerConfig>,
    /// The certificate's end of validity (Unix seconds).
    pub not_after: u64,
}

impl std::fmt::Debug for Loaded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loaded").field("not_after", &self.not_after).finish_non_exhaustive()
    }
}

/// The rustls provider of every TLS wire of the server (HTTPS, PostgreSQL):
/// *ring*. rustls 0.23.48 marks it deprecated for lacking post-quantum key
/// exchange; aws-lc-rs, which has it, needs cmake and a C toolchain build
/// of its own. Its classical key exchanges (X25519, P-256, P-384) are
/// those TLS 1.2 and 1.3 clients all have.
#[allow(deprecated)]
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The validity period of a DER certificate (Unix seconds).
pub fn validity(der: &[u8]) -> Result<(u64, u64), String> {
    use x509_cert::der::Decode;
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let v = &cert.tbs_certificate.validity;
    Ok((v.not_before.to_unix_duration().as_secs(), v.not_after.to_unix_duration().as_secs()))
}

/// Reads and checks `files` at time `now` (Unix seconds). Each error names
/// the file it is about, and never holds the key.
pub fn load(files: &Files, now: u64) -> Result<Loaded, String> {
    let cert_name = files.cert.display();
    let key_name = files.key.display();
    let cert_pem = read(&files.cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{cert_name}: not a PEM certificate file: {e}"))?;
    let Some(leaf) = chain.first() else {
        return Err(format!("{cert_name}: no certificate in it (expected -----BEGIN CERTIFICATE-----)"));
    };
    let (not_before, not_after) = validity(leaf).map_err(|e| format!("{cert_name}: {e}"))?;
    if now < not_before {
        return Err(format!(
            "{cert_name}: the certificate is not valid yet (from {}, Unix time {not_before})",
            crate::when::local(not_before)
        ));
    }
    if now > not_after {
        return Err(format!(
            "{cert_name}: the certificate has expired (on {}, Unix time {not_after})",
            crate::when::local(not_after)
        ));
    }
    let key_pem = zeroize::Zeroizing::new(read(&files.key)?);
    // The parser's error names the section it could not read, never the key's bytes.
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => {
            format!("{key_name}: no private key in it (expected -----BEGIN PRIVATE KEY----- or similar)")
        }
        e => format!("{key_name}: not a PEM private key file: {e}"),
    })?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => {
                format!("{key_name}: this key is not the key of the certificate in {cert_name}")
            }
            e => format!("{cert_name} / {key_name}: {e}"),
        })?;
    let mut config = config;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Loaded { config: Arc::new(config), not_after })
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: cannot read it: {e}", path.display()))
}

/// The configuration new handshakes use, swapped by [`Tls::reload`].
pub struct Tls {
    files: Files,
    current: RwLock<Arc<ServerConfig>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("files", &self.files).finish_non_exhaustive()
    }
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Tls {
    /// Reads and checks `files` (see [`load`]).
    pub fn new(files: Files) -> Result<(Arc<Tls>, Loaded), String> {
        let loaded = load(&files, now())?;
        let tls = Tls { files, current: RwLock::new(Arc::clone(&loaded.config)) };
        Ok((Arc::new(tls), loaded))
    }

    /// The files.
    pub fn files(&self) -> &Files {
        &self.files
    }

    /// Reads the files again; on success new handshakes use them, and
    /// connections already open are untouched. On failure the configuration
    /// in use stays, and the error says why.
    pub fn reload(&self) -> Result<Loaded, String> {
        let loaded = load(&self.files, now())?;
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::clone(&loaded.config);
        Ok(loaded)
    }

    /// An acceptor for one new connection, with the configuration now in use.
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(Arc::clone(
            &self.current.read().unwrap_or_else(PoisonError::into_inner),
        ))
    }

    /// Reloads and logs the outcome: what SIGHUP does.
    pub fn reload_and_log(&self) {
        match self.reload() {
            Ok(l) => crate::warn!(
                "matrixauth serve: SIGHUP: TLS certificate reloaded from {} (valid until {})",
                self.files.cert.display(),
                crate::when::local(l.not_after)
            ),
            Err(e) => crate::warn!("matrixauth serve: SIGHUP: kept the certificate in use: {e}"),
        }
    }
}
