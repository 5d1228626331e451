//! TLS to PostgreSQL: `sslmode` and `sslrootcert` in the database URL's
//! query, with libpq's meanings, over rustls.
//!
//! | `sslmode`     | encrypted | server checked                               |
//! |---------------|-----------|----------------------------------------------|
//! | `disable`     | no        | no                                           |
//! | (none, local) | if the server offers it | no (libpq's `prefer`)          |
//! | `require`     | yes       | no; with `sslrootcert` as `verify-ca`        |
//! | `verify-ca`   | yes       | its chain up to `sslrootcert`                |
//! | `verify-full` | yes       | chain, and the host name (or IP address) too |
//!
//! With no `sslmode`, a host that is not local (anything but a Unix socket,
//! `localhost` or a loopback address) gets `verify-full`: plaintext to a
//! remote database must be asked for with `sslmode=disable`. `verify-ca`
//! and `verify-full` need `sslrootcert` (a PEM file of CA certificates, or
//! `system` for the system's store). `prefer` may be written out for a
//! local host only. Errors name the key, never the URL (it may hold a
//! password).

use std::path::Path;
use std::sync::Arc;

use postgres::config::{Host, SslMode as DriverMode};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientConfig, WebPkiServerVerifier};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

/// libpq's `sslmode` values this client knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    /// No TLS.
    Disable,
    /// TLS if the server offers it, unchecked (local hosts only).
    Prefer,
    /// TLS, the server unchecked.
    Require,
    /// TLS, the server's chain checked up to `sslrootcert`.
    VerifyCa,
    /// TLS, the chain and the host name checked.
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Result<SslMode, String> {
        Ok(match text {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => {
                return Err(format!(
                    "sslmode={text:?}: expected disable, require, verify-ca or verify-full (see docs/OPERATIONS.md)"
                ));
            }
        })
    }
}

/// The URL without `sslmode` and `sslrootcert`, and their values.
pub struct Split {
    /// The URL for the driver.
    pub url: String,
    /// `sslmode`, if given.
    pub mode: Option<SslMode>,
    /// `sslrootcert`, if given.
    pub root: Option<String>,
}

impl std::fmt::Debug for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold a password.
        f.debug_struct("Split").field("mode", &self.mode).field("root", &self.root).finish_non_exhaustive()
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        if let (b'%', Some(v)) = (b, hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            out.push(v);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Takes `sslmode` and `sslrootcert` out of a `postgres://` URL's query.
pub fn split(url: &str) -> Result<Split, String> {
    // The query starts after the user info (a password may hold a '?' only percent-encoded,
    // but look past the '@' all the same).
    let from = url.rfind('@').map_or(0, |i| i + 1);
    let Some(q) = url.get(from..).and_then(|rest| rest.find('?')).map(|i| from + i) else {
        return Ok(Split { url: url.to_owned(), mode: None, root: None });
    };
    let (base, query) = (url.get(..q).unwrap_or(url), url.get(q + 1..).unwrap_or(""));
    let (mut mode, mut root, mut rest) = (None, None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "sslmode" => mode = Some(SslMode::parse(&percent_decode(v))?),
            "sslrootcert" => {
                let v = percent_decode(v);
                if v.is_empty() {
                    return Err(
                        "sslrootcert is empty: give a PEM file of CA certificates, or system".to_owned()
                    );
                }
                root = Some(v);
            }
            "sslcert" | "sslkey" | "sslcrl" | "sslpassword" => {
                return Err(format!("{k}: not supported (client certificates and CRLs are not used)"));
            }
            _ => rest.push(pair),
        }
    }
    let url = if rest.is_empty() { base.to_owned() } else { format!("{base}?{}", rest.join("&")) };
    Ok(Split { url, mode, root })
}

/// Whether every host the driver may try is on this machine: a Unix
/// socket, `localhost` or a loopback address (and so is every `hostaddr`).
pub fn is_local(config: &postgres::Config) -> bool {
    let host_local = |h: &Host| match h {
        Host::Tcp(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        Host::Unix(_) => true,
    };
    config.get_hosts().iter().all(host_local)
        && config.get_hostaddrs().iter().all(std::net::IpAddr::is_loopback)
}

/// Debian's bundle of the system's CA certificates (`sslrootcert=system`).
const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

fn roots(path: &str) -> Result<RootCertStore, String> {
    let file = if path == "system" { Path::new(SYSTEM_ROOTS) } else { Path::new(path) };
    let pem =
        std::fs::read(file).map_err(|e| format!("sslrootcert {}: cannot read it: {e}", file.display()))?;
    let mut store = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert =
            cert.map_err(|e| format!("sslrootcert {}: not a PEM certificate file: {e}", file.display()))?;
        store
            .add(cert)
            .map_err(|e| format!("sslrootcert {}: a certificate in it is not usable: {e}", file.display()))?;
    }
    if store.is_empty() {
        return Err(format!(
            "sslrootcert {}: no certificate in it (expected -----BEGIN CERTIFICATE-----)",
            file.display()
        ));
    }
    Ok(store)
}

/// Checks the chain, not the name (`verify-ca`).
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain first and the name last: a name error means the chain is good.
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// Checks nothing about the certificate (`require`, local `prefer`): the
/// connection is encrypted, against a passive listener only. The
/// handshake's signature is still checked against the certificate's key.
#[derive(Debug)]
struct Unchecked(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// What a connection uses: the driver's config (with its `sslmode` set)
/// and the TLS connector.
pub struct Tls {
    /// The mode in force (given, or the default for the host).
    pub mode: SslMode,
    /// The connector.
    pub connector: tokio_postgres_rustls::MakeRustlsConnect,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("mode", &self.mode).finish_non_exhaustive()
    }
}

/// Parses a `postgres://` URL with its `sslmode`/`sslrootcert`: the
/// driver's config (its `sslmode` set) and the connector. Errors never
/// hold the URL.
pub fn configure(url: &str) -> Result<(postgres::Config, Tls), String> {
    let split = split(url)?;
    let mut config: postgres::Config =
        split.url.parse().map_err(|e| format!("the database URL is not valid: {e}"))?;
    let local = is_local(&config);
    let mode = match (split.mode, local) {
        (Some(SslMode::Prefer), false) => {
            return Err(
                "sslmode=prefer: only for a local database (it falls back to plaintext); use verify-full, or \
                 sslmode=disable to send the connection in the clear on purpose"
                    .to_owned(),
            );
        }
        (Some(m), _) => m,
        // The public CAs vouch for names, not for databases: with them, only the name check
        // keeps out a certificate anyone can get for a domain of their own (libpq 16 likewise).
        (None, _) if split.root.as_deref() == Some("system") => SslMode::VerifyFull,
        (None, true) => SslMode::Prefer,
        (None, false) => SslMode::VerifyFull,
    };
    if split.root.as_deref() == Some("system") && mode != SslMode::VerifyFull {
        return Err(
            "sslrootcert=system: only with sslmode=verify-full (any public certificate would do otherwise)"
                .to_owned(),
        );
    }
    // libpq: `require` with a root certificate checks the chain, as verify-ca.
    let mode = if mode == SslMode::Require && split.root.is_some() { SslMode::VerifyCa } else { mode };
    let provider = crate::doors::http::tls::provider();
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS: {e}"))?;
    let need_root = |m: &str| match &split.root {
        Some(r) => roots(r),
        None => Err(format!(
            "sslmode={m}{}: needs sslrootcert=/path/ca.pem (the CA that signed the server's certificate), \
             or sslrootcert=system; sslmode=disable sends the connection in the clear",
            if split.mode.is_none() { " (the default for a database on another host)" } else { "" }
        )),
    };
    let client = match mode {
        SslMode::VerifyFull => {
            builder.with_root_certificates(need_root("verify-full")?).with_no_client_auth()
        }
        SslMode::VerifyCa => {
            let webpki = WebPkiServerVerifier::builder_with_provider(
                Arc::new(need_root("verify-ca")?),
                Arc::clone(&provider),
            )
            .build()
            .map_err(|e| format!("sslrootcert: {e}"))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
                .with_no_client_auth()
        }
        SslMode::Require | SslMode::Prefer | SslMode::Disable => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unchecked(Arc::clone(&provider))))
            .with_no_client_auth(),
    };
    config.ssl_mode(match mode {
        SslMode::Disable => DriverMode::Disable,
        SslMode::Prefer => DriverMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => DriverMode::Require,
    });
    Ok((config, Tls { mode, connector: tokio_postgres_rustls::MakeRustlsConnect::new(client) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_defaults() {
        let s = split("postgres://u:p%3Fw@db.example/mx?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=3")
            .unwrap();
        assert_eq!(s.mode, Some(SslMode::VerifyFull));
        assert_eq!(s.root.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(s.url, "postgres://u:p%3Fw@db.example/mx?connect_timeout=3");
        let e = split("postgres://u:secret@db/mx?sslmode=allow").unwrap_err();
        assert!(e.contains("sslmode") && !e.contains("secret"), "{e}");

        // Remote without sslmode: verify-full, which needs a root.
        let e = configure("postgres://u:secret@db.example/mx").unwrap_err();
        assert!(e.contains("verify-full") && e.contains("sslrootcert") && !e.contains("secret"), "{e}");
        let e = configure("postgres://u:secret@db.example/mx?sslmode=prefer").unwrap_err();
        assert!(e.contains("prefer") && !e.contains("secret"), "{e}");
        let e =
            configure("postgres://u:secret@db.example/mx?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem")
                .unwrap_err();
        assert!(e.contains("/nonexistent/ca.pem") && !e.contains("secret"), "{e}");
        assert_eq!(configure("postgres://u@db.example/mx?sslmode=disable").unwrap().1.mode, SslMode::Disable);
        assert_eq!(configure("postgres://u@db.example/mx?sslmode=require").unwrap().1.mode, SslMode::Require);
        // Local: prefer-like by default.
        for local in [
            "postgres://u@127.0.0.1/mx",
            "postgres://u@localhost:5433/mx",
            "postgres://u@[::1]/mx",
            "postgres://u@/mx?host=/run/postgresql",
        ] {
            assert_eq!(configure(local).unwrap().1.mode, SslMode::Prefer, "{local}");
        }
        // A loopback name with a remote hostaddr is remote.
        let e = configure("postgres://u@127.0.0.1/mx?hostaddr=192.0.2.1").unwrap_err();
        assert!(e.contains("verify-full"), "{e}");
        // The public CAs only with the name checked (the attacker's review of issue 24): any
        // public certificate would do for require or verify-ca.
        for weak in ["require", "verify-ca", "prefer"] {
            let e = configure(&format!("postgres://u:secret@127.0.0.1/mx?sslmode={weak}&sslrootcert=system"))
                .unwrap_err();
            assert!(e.contains("sslrootcert=system") && !e.contains("secret"), "{weak}: {e}");
        }
    }
}
