//! The configuration file of `matrixauth serve --config FILE` (TOML;
//! `docs/CONFIG.md` lists every key). Flags given on the command line
//! override the file; the file overrides the built-in defaults.
//!
//! Every key is checked when the file is read, and an error names the key
//! and what is wrong with it, with its line.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole file. Relative paths in it are relative to the file's folder.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// The data folder (keyring and SQLite database).
    pub data: Option<PathBuf>,
    /// The web portal.
    #[serde(default)]
    pub http: Http,
    /// RADIUS for appliances.
    pub radius: Option<Radius>,
    /// The database.
    #[serde(default)]
    pub database: Database,
    /// The login policy.
    #[serde(default)]
    pub policy: Policy,
    /// The appliance behind the portal.
    #[serde(default)]
    pub appliance: Appliance,
    /// The audit log.
    #[serde(default)]
    pub audit: Audit,
    /// Sessions.
    #[serde(default)]
    pub session: Session,
    /// The audit lines to a syslog collector.
    pub syslog: Option<Syslog>,
    /// The `/metrics` endpoint.
    #[serde(default)]
    pub metrics: Metrics,
    /// The SAML 2.0 identity provider (`docs/FEDERATION.md`).
    pub saml: Option<crate::doors::http::fed::SamlConfig>,
    /// The OpenID Connect provider (`docs/FEDERATION.md`).
    pub oidc: Option<crate::doors::http::fed::OidcConfig>,
    /// The console at `/console` (issue 23).
    #[serde(default)]
    pub console: Console,
}

/// `[console]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Console {
    /// The client addresses (CIDRs) the console answers (default: loopback only); elsewhere 404.
    pub allow: Option<Vec<String>>,
    /// Seconds a console session may go unused (default 900).
    pub idle_seconds: Option<u64>,
    /// Seconds a console session lives at most (default 28800).
    pub max_seconds: Option<u64>,
}

impl Console {
    /// The CIDRs the console answers: `console.allow`, else `127.0.0.0/8` and `::1/128`.
    pub fn allowed(&self) -> Result<Vec<crate::net::Cidr>, String> {
        Metrics { allow: self.allow.clone() }
            .allowed()
            .map_err(|e| e.replace("metrics.allow", "console.allow"))
    }
}

/// `[syslog]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Syslog {
    /// `udp://host:port`, `tcp://host:port` or `tls://host:port`.
    pub target: String,
    /// The facility's name (default `authpriv`).
    pub facility: Option<String>,
    /// The CA certificates (PEM) of a `tls://` collector.
    pub ca: Option<PathBuf>,
}

/// `[metrics]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// The addresses (CIDRs) `/metrics` answers (default: loopback only).
    pub allow: Option<Vec<String>>,
}

impl Metrics {
    /// The CIDRs `/metrics` answers: `metrics.allow`, else `127.0.0.0/8` and `::1/128`.
    pub fn allowed(&self) -> Result<Vec<crate::net::Cidr>, String> {
        match &self.allow {
            Some(list) => list
                .iter()
                .map(|c| crate::net::Cidr::parse(c).map_err(|e| format!("metrics.allow: {e}")))
                .collect(),
            None => Ok(vec![
                crate::net::Cidr::parse("127.0.0.0/8").map_err(|e| format!("metrics.allow: {e}"))?,
                crate::net::Cidr::parse("::1/128").map_err(|e| format!("metrics.allow: {e}"))?,
            ]),
        }
    }
}

impl Syslog {
    /// The sender's settings from these keys, checked; the error names the key.
    pub fn settings(&self, state: Option<PathBuf>) -> Result<crate::syslog::Settings, String> {
        let target =
            crate::syslog::Target::parse(&self.target).map_err(|e| format!("syslog.target = {e}"))?;
        let facility = match &self.facility {
            Some(f) => crate::syslog::facility(f).map_err(|e| format!("syslog.facility = {e}"))?,
            None => 10,
        };
        let settings = crate::syslog::Settings {
            target,
            facility,
            ca: self.ca.clone(),
            hostname: crate::syslog::default_hostname(),
            state,
        };
        crate::syslog::check(&settings)?;
        Ok(settings)
    }
}

/// `[session]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// The longest session in seconds (default 8 h): the `Session-Timeout`
    /// of a user without access windows; a window's end comes sooner.
    pub max_seconds: Option<u64>,
}

/// `[http]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    /// `host:port` to listen on.
    pub listen: Option<String>,
    /// The origins browsers use.
    pub origins: Option<Vec<String>>,
    /// Open connections at most.
    pub max_connections: Option<usize>,
    /// Open connections per client address at most.
    pub max_connections_per_address: Option<usize>,
    /// API posts a minute per address (0: off).
    pub api_rate: Option<u32>,
    /// A folder to read the WASM package from instead of the built-in copy.
    pub assets: Option<PathBuf>,
    /// Reverse proxies (addresses or CIDRs) trusted to name the client in
    /// `X-Forwarded-For`.
    pub trusted_proxies: Option<Vec<String>>,
    /// HTTPS (`[http.tls]`); without it, plain HTTP.
    pub tls: Option<HttpTls>,
}

/// `[http.tls]`: the portal over HTTPS.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTls {
    /// The certificate chain (PEM), server certificate first.
    pub cert: PathBuf,
    /// The private key (PEM); the file should be owner-only.
    pub key: PathBuf,
    /// Seconds a client has to finish the TLS handshake (default 10).
    pub handshake_timeout_seconds: Option<u64>,
}

/// `[radius]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Radius {
    /// `host:port` (UDP); may be left out when `[radius.radsec]` is given.
    pub listen: Option<String>,
    /// A clients file (`docs/RADIUS.md`).
    pub clients_file: Option<PathBuf>,
    /// Clients written here (`[[radius.client]]`); the file must then be
    /// owner-only, as it holds their secrets.
    #[serde(default)]
    pub client: Vec<crate::doors::radius::ClientEntry>,
    /// The rate limits (`[radius.rate]`).
    #[serde(default)]
    pub rate: RadiusRate,
    /// RADIUS over TLS (`[radius.radsec]`).
    pub radsec: Option<Radsec>,
}

/// `[radius.radsec]`: RADIUS over TLS (RFC 6614), `docs/RADIUS.md` "RadSec".
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Radsec {
    /// `host:port` (TCP; the standard port is 2083).
    pub listen: String,
    /// The server's certificate chain (PEM, leaf first).
    pub cert: PathBuf,
    /// Its private key (PEM).
    pub key: PathBuf,
    /// The CA certificates client certificates must chain to (PEM).
    pub ca: PathBuf,
    /// Connections open at once at most (default 64).
    pub max_connections: Option<usize>,
    /// Seconds without a packet before a connection is closed (default 300).
    pub idle_seconds: Option<u64>,
    /// Seconds a TLS handshake may take (default 10).
    pub handshake_seconds: Option<u64>,
    /// The clients, each known by its certificate (`[[radius.radsec.client]]`).
    #[serde(default)]
    pub client: Vec<crate::doors::radius::RadsecClientEntry>,
}

impl Radsec {
    /// The listener's bounds, checked; the error names the key.
    pub fn bounds(&self) -> Result<crate::doors::radius::radsec::Bounds, String> {
        use crate::doors::radius::radsec::Bounds;
        let max_connections = self.max_connections.unwrap_or(Bounds::MAX_CONNECTIONS);
        if !(1..=100_000).contains(&max_connections) {
            return Err(format!("radius.radsec.max_connections = {max_connections}: must be 1 to 100000"));
        }
        let idle = self.idle_seconds.unwrap_or(Bounds::IDLE_SECONDS);
        if !(1..=86_400).contains(&idle) {
            return Err(format!("radius.radsec.idle_seconds = {idle}: must be 1 to 86400"));
        }
        let handshake = self.handshake_seconds.unwrap_or(Bounds::HANDSHAKE_SECONDS);
        if !(1..=300).contains(&handshake) {
            return Err(format!("radius.radsec.handshake_seconds = {handshake}: must be 1 to 300"));
        }
        Ok(Bounds {
            max_connections,
            idle: std::time::Duration::from_secs(idle),
            handshake: std::time::Duration::from_secs(handshake),
        })
    }
}

/// `[radius.rate]`: the RADIUS door's rate limits; each key left out keeps
/// its default ([`crate::doors::radius::RateLimits`]).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadiusRate {
    /// Access-Requests a second per client entry (0: no limit).
    pub client_per_second: Option<u32>,
    /// Access-Requests a client entry may send at once.
    pub client_burst: Option<u32>,
    /// Access-Requests a minute per User-Name (0: no limit).
    pub name_per_minute: Option<u32>,
    /// Access-Requests one User-Name may get at once.
    pub name_burst: Option<u32>,
}

impl RadiusRate {
    /// The limits these keys set, checked; the error names the key.
    pub fn limits(&self) -> Result<crate::doors::radius::RateLimits, String> {
        crate::doors::radius::RateLimits::from_keys(
            "radius.rate.",
            self.client_per_second,
            self.client_burst,
            self.name_per_minute,
            self.name_burst,
        )
    }
}

/// `[database]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// `postgres://user@host/database`, `sqlite:PATH` or a path (default:
    /// `matrixauth.db` in the data folder).
    pub url: Option<String>,
}

/// `[policy]`: the keys of the core's `Policy` an administrator sets.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Policy {
    pub challenge_ttl: Option<u64>,
    pub retry_window: Option<u64>,
    pub min_pattern_len: Option<usize>,
    pub max_pattern_len: Option<usize>,
    pub require_every_block: Option<bool>,
    pub allow_repeated_cells: Option<bool>,
    pub reject_weak_patterns: Option<bool>,
    pub max_consecutive_failures: Option<u32>,
    pub lockout_seconds: Option<u64>,
    pub max_lockout_seconds: Option<u64>,
    pub max_total_failures: Option<u32>,
    pub ticket_ttl: Option<u64>,
    pub card_challenge_cells: Option<usize>,
    pub card_single_use: Option<bool>,
}

/// `[appliance]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Appliance {
    /// The appliance's login URL for the hand-off.
    pub url: Option<String>,
    /// The tickets' audience.
    pub audience: Option<String>,
    /// The form of the tickets handed on: `"handle"` (default; fits RADIUS)
    /// or `"signed"` (for appliances that check tickets with the C library).
    pub ticket: Option<crate::login::TicketForm>,
}

/// `[audit]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Audit {
    /// Days to keep audit lines (0: for ever).
    pub retention_days: Option<u64>,
    /// This node's name in the audit chain (default: the host name).
    pub node: Option<String>,
}

impl File {
    /// Reads and checks the file at `path`; relative paths in it become
    /// relative to its folder.
    pub fn load(path: &Path) -> Result<File, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut file: File = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let rebase = |p: &mut Option<PathBuf>| {
            if let Some(p) = p.as_mut()
                && p.is_relative()
            {
                *p = base.join(&*p);
            }
        };
        rebase(&mut file.data);
        rebase(&mut file.http.assets);
        if let Some(t) = file.http.tls.as_mut() {
            for p in [&mut t.cert, &mut t.key] {
                if p.is_relative() {
                    *p = base.join(&*p);
                }
            }
        }
        if let Some(s) = file.syslog.as_mut() {
            rebase(&mut s.ca);
        }
        if let Some(s) = file.saml.as_mut() {
            s.rebase(base);
        }
        if let Some(r) = file.radius.as_mut() {
            rebase(&mut r.clients_file);
            if let Some(t) = r.radsec.as_mut() {
                for p in [&mut t.cert, &mut t.key, &mut t.ca] {
                    if p.is_relative() {
                        *p = base.join(&*p);
                    }
                }
            }
            if !r.client.is_empty() {
                crate::doors::radius::check_owner_only(path)
                    .map_err(|e| format!("{e} (it holds [[radius.client]] secrets)"))?;
            }
        }
        if let Some(url) = &file.database.url
            && url.starts_with("postgres")
            && url
                .split_once("://")
                .and_then(|(_, rest)| rest.split_once('@'))
                .is_some_and(|(who, _)| who.contains(':'))
        {
            crate::doors::radius::check_owner_only(path)
                .map_err(|e| format!("{e} (database.url holds a password)"))?;
        }
        if let Some(url) = file.database.url.as_mut()
            && !url.contains("://")
        {
            let rest = url.strip_prefix("sqlite:").unwrap_or(url);
            if !rest.is_empty() && Path::new(rest).is_relative() {
                *url = format!("sqlite:{}", base.join(rest).display());
            }
        }
        file.check().map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(file)
    }

    /// Checks values serde cannot: each error names its key.
    fn check(&self) -> Result<(), String> {
        if let Some(l) = &self.http.listen {
            l.parse::<std::net::SocketAddr>()
                .map_err(|_| format!("http.listen = {l:?}: expected host:port, e.g. \"127.0.0.1:8080\""))?;
        }
        for o in self.http.origins.iter().flatten() {
            crate::doors::http::parse_origin(o).map_err(|e| format!("http.origins: {e}"))?;
        }
        for c in self.http.trusted_proxies.iter().flatten() {
            cidr(c)?;
        }
        if let Some(s) = self.http.tls.as_ref().and_then(|t| t.handshake_timeout_seconds)
            && !(1..=60).contains(&s)
        {
            return Err(format!("http.tls.handshake_timeout_seconds = {s}: must be 1 to 60"));
        }
        if let Some(s) = self.session.max_seconds
            && !(60..=31 * 86_400).contains(&s)
        {
            return Err(format!("session.max_seconds = {s}: must be 60 to 2678400 (31 days)"));
        }
        for (key, v) in [
            ("http.max_connections", self.http.max_connections),
            ("http.max_connections_per_address", self.http.max_connections_per_address),
        ] {
            if let Some(n) = v
                && !(1..=1_000_000).contains(&n)
            {
                return Err(format!("{key} = {n}: must be 1 to 1000000"));
            }
        }
        if let Some(r) = &self.radius {
            match &r.listen {
                Some(l) => {
                    l.parse::<std::net::SocketAddr>().map_err(|_| {
                        format!("radius.listen = {l:?}: expected host:port, e.g. \"0.0.0.0:1812\"")
                    })?;
                    if r.clients_file.is_none() && r.client.is_empty() {
                        return Err("[radius] needs clients_file or [[radius.client]] entries".to_owned());
                    }
                }
                None if r.radsec.is_none() => {
                    return Err("[radius] needs listen (UDP) or [radius.radsec], or both".to_owned());
                }
                None if r.clients_file.is_some() || !r.client.is_empty() => {
                    return Err("[radius]: UDP clients without radius.listen".to_owned());
                }
                None => {}
            }
            if let Some(t) = &r.radsec {
                t.listen.parse::<std::net::SocketAddr>().map_err(|_| {
                    format!(
                        "radius.radsec.listen = {:?}: expected host:port, e.g. \"0.0.0.0:2083\"",
                        t.listen
                    )
                })?;
                t.bounds()?;
                crate::doors::radius::radsec_clients_from(&t.client)
                    .map_err(|e| format!("[radius.radsec]: {e}"))?;
            }
            if r.clients_file.is_some() && !r.client.is_empty() {
                return Err("[radius]: give clients_file or [[radius.client]], not both".to_owned());
            }
            r.rate.limits()?;
        }
        if let Some(url) = &self.database.url {
            database_url(url, Path::new(".")).map_err(|e| format!("database.url: {e}"))?;
        }
        if let Some(url) = &self.appliance.url {
            crate::doors::http::check_appliance_url(url).map_err(|e| format!("appliance.url: {e}"))?;
        }
        if let Some(a) = &self.appliance.audience
            && (a.is_empty() || a.len() > 255)
        {
            return Err("appliance.audience: 1 to 255 characters".to_owned());
        }
        if let Some(s) = &self.syslog {
            s.settings(None)?;
        }
        self.metrics.allowed()?;
        if let Some(s) = &self.saml {
            s.check()?;
        }
        if let Some(o) = &self.oidc {
            o.check()?;
        }
        let mut policy = mx::Policy::default();
        self.policy.apply(&mut policy);
        policy.validate().map_err(|e| format!("[policy]: {e}"))?;
        Ok(())
    }
}

impl Policy {
    /// Sets the keys given here on `p`.
    pub fn apply(&self, p: &mut mx::Policy) {
        macro_rules! set {
            ($($k:ident),*) => { $( if let Some(v) = self.$k { p.$k = v; } )* };
        }
        set!(
            challenge_ttl,
            retry_window,
            min_pattern_len,
            max_pattern_len,
            require_every_block,
            allow_repeated_cells,
            reject_weak_patterns,
            max_consecutive_failures,
            lockout_seconds,
            max_lockout_seconds,
            max_total_failures,
            ticket_ttl,
            card_challenge_cells,
            card_single_use
        );
    }
}

/// The database a `database.url` (or `--database`) names, as
/// [`crate::store::Store::connect`] takes it: `postgres://…` as it is, and
/// `sqlite:PATH` or a plain path relative to `data` when relative.
pub fn database_url(url: &str, data: &Path) -> Result<String, String> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // `sslmode` and `sslrootcert` checked now; the error never holds the URL.
        crate::store::pgtls::split(url)?;
        return Ok(url.to_owned());
    }
    let path = url.strip_prefix("sqlite:").unwrap_or(url);
    if path.is_empty() || url.contains("://") {
        // Never the URL itself: it may hold a password.
        let scheme = url.split_once("://").map_or("", |(s, _)| s);
        return Err(format!(
            "database URL with scheme {scheme:?}: expected sqlite:PATH or postgres://user@host/database \
             (the scheme in lower case)"
        ));
    }
    Ok(format!("sqlite:{}", data.join(path).display()))
}

/// An `http.trusted_proxies` entry.
pub fn cidr(text: &str) -> Result<crate::net::Cidr, String> {
    crate::net::Cidr::parse(text).map_err(|e| format!("http.trusted_proxies: {e}"))
}
