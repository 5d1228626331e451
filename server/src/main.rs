//! `matrixauth`: the login server (`serve`) and its administration.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::sync::Arc;

use matrixauth_server::config::{self, File};
use matrixauth_server::doors::http::listen::Limits;
use matrixauth_server::doors::http::{self, ApiRate, App};
use matrixauth_server::doors::radius::RateLimits;
use matrixauth_server::login::{self, AdminAction, Login, Settings, system_clock};
use matrixauth_server::store::{Migrate, Store};
use matrixauth_server::{DataDir, admin, keys, when};

mod generate;

const EXIT_CODES: &str = "\
Exit codes: 0 done; 1 refused (no such user, enrolled already, ...); 2 bad arguments or
configuration; 3 the data folder, keyring or database is missing or unusable.
Times are read and shown in the local time zone (TZ); --json gives Unix seconds.";

/// Matrix authentication (マトリクス認証): the login server for SSL-VPN
/// appliances (web portal and RADIUS), and its administration.
#[derive(Parser)]
#[command(name = "matrixauth", version, after_help = EXIT_CODES)]
struct Cli {
    /// The data folder: keyring and database [default: ./matrixauth-data, or `data` in --config]
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// A configuration file (TOML, docs/CONFIG.md); flags override it
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The database: postgres://user@host/db?sslmode=verify-full&sslrootcert=CA.pem (nodes sharing one;
    /// docs/OPERATIONS.md), or sqlite:PATH [default: matrixauth.db in the data folder]
    #[arg(long, global = true, value_name = "URL", env = "MATRIXAUTH_DATABASE", hide_env_values = true)]
    database: Option<String>,
    /// This node's name in the audit chain (one chain per node sharing a database) [default: the host name]
    #[arg(long, global = true, value_name = "NAME", env = "MATRIXAUTH_NODE")]
    node: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the login server: the web portal on http://127.0.0.1:8080/ and, with --radius, RADIUS
    Serve(Box<ServeArgs>),
    /// Create a data folder (the other admin commands need an existing one)
    Init {
        /// Also print an enrollment link for the first administrator of the console
        #[arg(long, value_name = "USER")]
        admin: Option<String>,
    },
    /// Users: list, show, invite, unlock, suspend, resume, remove, access windows
    Users {
        #[command(subcommand)]
        cmd: Option<UsersCmd>,
    },
    /// Issue a grid card to a new user and print it (card holders log in on the portal and over RADIUS)
    Card { user: String },
    /// The keyring
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// The audit log: tail, prune, export
    Audit {
        #[command(subcommand)]
        cmd: Option<AuditCmd>,
    },
    /// Maintenance requests filed in the console (/console): list, approve, reject
    Requests {
        #[command(subcommand)]
        cmd: Option<RequestsCmd>,
    },
    /// Requests with their reports, for submission
    Reports {
        #[command(subcommand)]
        cmd: ReportsCmd,
    },
    /// The database schema
    Db {
        #[command(subcommand)]
        cmd: DbCmd,
    },
    /// Same as `users unlock USER`
    #[command(hide = true)]
    Unlock { user: String },
    /// Write the man pages or the shell completions into DIR (for packaging: scripts/deb.sh)
    #[command(hide = true)]
    Generate { what: generate::What, dir: PathBuf },
}

#[derive(Subcommand)]
enum UsersCmd {
    /// Enrolled users, their failures and locks
    List {
        #[arg(long)]
        json: bool,
    },
    /// One user: kind, failures, lock, pending challenge, access windows
    Show {
        user: String,
        #[arg(long)]
        json: bool,
    },
    /// Print a single-use enrollment link for USER (a new user, or re-enrolment)
    Invite {
        user: String,
        /// Hours the link stays valid (1 to 720)
        #[arg(long, default_value_t = login::invite::DEFAULT_HOURS)]
        hours: u64,
        /// The portal's address in the link [default: the first origin of --config, else its
        /// http.listen (https:// with [http.tls]), else http://127.0.0.1:8080]
        #[arg(long, value_name = "URL")]
        origin: Option<String>,
        /// A console role the user gets at enrolment (admin, approver, auditor); repeatable
        #[arg(long = "role", value_name = "ROLE", value_parser = ["admin", "approver", "auditor"])]
        roles: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Clear a user's locks and failure counters
    Unlock { user: String },
    /// Stop a user's access at every door at once (their answers are refused like wrong ones,
    /// and no failure is counted) until `users resume`
    Suspend {
        /// The user (or --all)
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        user: Option<String>,
        /// Every vendor user (users without a console role)
        #[arg(long)]
        all: bool,
    },
    /// Give a suspended user their access back
    Resume {
        /// The user (or --all)
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        user: Option<String>,
        /// Every suspended vendor user
        #[arg(long)]
        all: bool,
    },
    /// Set USER's site password, read as one line from standard input: the first factor of RADIUS
    /// clients with first_factor = "password" (docs/RADIUS.md)
    Password {
        user: String,
        /// Remove the site password instead
        #[arg(long)]
        clear: bool,
    },
    /// Remove a user with their access windows and invitations
    Remove { user: String },
    /// Set a user's roles (admin, approver, auditor; none for a vendor user): they replace the
    /// ones held
    Role {
        user: String,
        /// The roles; none clears them
        #[arg(value_parser = ["admin", "approver", "auditor"])]
        roles: Vec<String>,
    },
    /// A user's groups: the `groups` attribute of SAML assertions and the ID token's `groups`
    Group {
        #[command(subcommand)]
        cmd: GroupCmd,
    },
    /// Approved access windows: a user with windows may log in only inside one
    Window {
        #[command(subcommand)]
        cmd: WindowCmd,
    },
}

#[derive(Subcommand)]
enum RequestsCmd {
    /// Every request, its state and period (an approved one whose period ended without a report
    /// is flagged overdue)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Approve request ID: creates the vendor's access window for its period
    Approve { id: i64 },
    /// Reject request ID
    Reject {
        id: i64,
        /// Why (shown to the vendor)
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
enum ReportsCmd {
    /// Every request with its report as CSV (audited)
    Export {
        /// Write to FILE (owner-only) instead of standard output
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum WindowCmd {
    /// Approve a period: `--from "2026-11-24 09:00" --to "2026-11-24 17:00"` (local time)
    Add {
        user: String,
        #[arg(long, value_parser = when::parse)]
        from: u64,
        #[arg(long, value_parser = when::parse)]
        to: u64,
    },
    /// A user's windows
    List {
        user: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove window ID (the number `list` shows)
    Remove { user: String, id: i64 },
}

#[derive(Subcommand)]
enum GroupCmd {
    /// Give USER the group GROUP
    Add { user: String, group: String },
    /// Take GROUP from USER
    Remove { user: String, group: String },
    /// USER's groups, one a line
    List { user: String },
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Add a new signing key; old keys stay for verification; the SAML/OpenID Connect signing key
    /// is replaced too, its old certificate still published until `keys retire-idp` (restart
    /// servers afterwards)
    Rotate,
    /// Stop publishing the previous SAML/OpenID Connect certificate (after every SP has the new one)
    RetireIdp,
}

#[derive(Subcommand)]
enum AuditCmd {
    /// The last lines, oldest first
    Tail {
        /// How many lines
        #[arg(short = 'n', long, default_value_t = 20)]
        lines: usize,
        /// JSON lines as stored
        #[arg(long)]
        json: bool,
    },
    /// Delete lines older than DAYS (audited)
    Prune {
        #[arg(long, default_value_t = DEFAULT_RETENTION_DAYS, value_parser = clap::value_parser!(u64).range(1..))]
        days: u64,
    },
    /// Export the lines of a period for submission (audited)
    Export {
        /// Start, inclusive: "2026-11-01" or "2026-11-01 09:00" (local time)
        #[arg(long, value_parser = when::parse)]
        from: u64,
        /// End, exclusive
        #[arg(long, value_parser = when::parse)]
        to: u64,
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        /// Write to FILE (owner-only) instead of standard output
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Check the audit log's chains: edited, removed, inserted or reordered lines, and restored
    /// older user states (exit 4 if anything is found)
    Verify {
        /// Report only lines from this time: "2026-11-01" or "2026-11-01 09:00" (local time)
        #[arg(long, value_parser = when::parse)]
        from: Option<u64>,
        /// Report only lines before this time
        #[arg(long, value_parser = when::parse)]
        to: Option<u64>,
        /// Check an export (`audit export --format jsonl`) instead of the database
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// With --file: the audit key (from `audit key`) in FILE, instead of the data folder's
        #[arg(long, value_name = "FILE", requires = "file")]
        key_file: Option<PathBuf>,
        /// The report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Print the audit key, with which an auditor checks exports away from the server (audited;
    /// it lets its holder write lines that check, nothing else)
    Key {
        /// Write to FILE (owner-only) instead of standard output
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Jsonl,
}

#[derive(Subcommand)]
enum DbCmd {
    /// Bring the database schema up to date (audited)
    Migrate,
}

#[derive(Args)]
struct ServeArgs {
    /// HTTP port [default: 8080]
    #[arg(long)]
    port: Option<u16>,
    /// HTTP address [default: 127.0.0.1]
    #[arg(long)]
    host: Option<String>,
    /// The first lock's length in seconds
    #[arg(long)]
    lockout_seconds: Option<u64>,
    /// The tickets' audience: the appliance's name [default: vpn.demo.matrixauth]
    #[arg(long)]
    audience: Option<String>,
    /// Read the WASM package from DIR instead of the built-in copy
    #[arg(long, value_name = "DIR")]
    assets: Option<PathBuf>,
    /// RADIUS on this UDP address (host:port); needs --radius-clients
    #[arg(long, value_name = "ADDR:PORT")]
    radius: Option<String>,
    /// The RADIUS clients file (TOML, owner-only; docs/RADIUS.md)
    #[arg(long, value_name = "FILE")]
    radius_clients: Option<PathBuf>,
    /// After a login, post user and ticket to the appliance at URL
    #[arg(long, value_name = "URL")]
    appliance_url: Option<String>,
    /// The tickets handed to the appliance: `handle` (56 characters, redeemed over RADIUS) or
    /// `signed` (self-contained, for appliances that check it with the C library) [default: handle]
    #[arg(long, value_name = "FORM", value_parser = parse_ticket_form)]
    appliance_ticket: Option<login::TicketForm>,
    /// An address browsers use (https://vpn.example.lg.jp); repeatable [default: the listening address]
    #[allow(rustdoc::bare_urls)] // also clap's help text, where a bare URL reads best
    #[arg(long, value_name = "URL", value_parser = check_origin)]
    origin: Vec<String>,
    /// Open connections at most [default: 4096]
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: Option<u64>,
    /// Open connections per client address at most [default: 64]; raise it behind a reverse proxy
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections_per_address: Option<u64>,
    /// API posts a minute per address, half of them at once; 0: off [default: 120]
    #[arg(long)]
    api_rate: Option<u32>,
    /// A reverse proxy (address or CIDR) whose X-Forwarded-For names the client for the rate
    /// limit; repeatable [default: none]
    #[arg(long, value_name = "CIDR", value_parser = matrixauth_server::net::Cidr::parse)]
    trusted_proxy: Vec<matrixauth_server::net::Cidr>,
    /// Days to keep audit lines; 0: for ever [default: 400]
    #[arg(long)]
    audit_retention_days: Option<u64>,
    /// The longest session in seconds: the Session-Timeout of a login without an access
    /// window (a window's end comes sooner) [default: 28800, 8 h]
    #[arg(long, value_parser = clap::value_parser!(u64).range(60..=2_678_400))]
    session_max_seconds: Option<u64>,
    /// Serve HTTPS with this certificate chain (PEM; reloaded on SIGHUP); needs --tls-key
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Do not print an enrollment link for user `demo` when there are no users
    #[arg(long)]
    no_first_invitation: bool,
    /// Bring a PostgreSQL schema up to date at start (SQLite is always brought up to date;
    /// on a shared database, `matrixauth db migrate` once is the usual way)
    #[arg(long)]
    migrate: bool,
}

fn parse_ticket_form(s: &str) -> Result<login::TicketForm, String> {
    match s {
        "handle" => Ok(login::TicketForm::Handle),
        "signed" => Ok(login::TicketForm::Signed),
        _ => Err("`handle` or `signed`".to_owned()),
    }
}

fn check_origin(s: &str) -> Result<String, String> {
    http::parse_origin(s).map(|_| s.to_owned())
}

/// Audit lines are kept this many days by default (over a year: access
/// logs are commonly kept one year).
const DEFAULT_RETENTION_DAYS: u64 = 400;

/// A failure and its exit code.
enum Fail {
    /// 1: the action was refused.
    Refused(String),
    /// 2: bad arguments or configuration.
    Usage(String),
    /// 3: data folder, keyring or database.
    Data(String),
    /// 4: `audit verify` found the log altered.
    Unverified(String),
}

type Res<T = ()> = Result<T, Fail>;

fn refused(e: String) -> Fail {
    Fail::Refused(e)
}
fn data(e: String) -> Fail {
    Fail::Data(e)
}

/// The command line with the configuration file under it.
struct Ctx {
    data: PathBuf,
    database: Option<String>,
    node: String,
    file: File,
}

impl Ctx {
    fn new(cli: &Cli) -> Res<Ctx> {
        let file = match &cli.config {
            Some(path) => File::load(path).map_err(Fail::Usage)?,
            None => File::default(),
        };
        let data = cli.data.clone().or_else(|| file.data.clone()).unwrap_or_else(|| "matrixauth-data".into());
        let database = cli.database.clone().or_else(|| file.database.url.clone());
        let node =
            cli.node.clone().or_else(|| file.audit.node.clone()).unwrap_or_else(login::default_node_name);
        if !login::valid_node_name(&node) {
            return Err(Fail::Usage(format!(
                "--node / audit.node {node:?}: 1 to 64 letters, digits, '.', '_' or '-'"
            )));
        }
        Ok(Ctx { data, database, node, file })
    }

    fn database(&self, dir: &DataDir) -> Res<String> {
        match &self.database {
            Some(url) => {
                config::database_url(url, &dir.root).map_err(|e| Fail::Usage(format!("database URL: {e}")))
            }
            None => Ok(format!("sqlite:{}", dir.database().display())),
        }
    }

    fn policy(&self, lockout_seconds: Option<u64>) -> mx::Policy {
        let mut p = mx::Policy::default();
        self.file.policy.apply(&mut p);
        if let Some(s) = lockout_seconds {
            p.lockout_seconds = s;
            p.max_lockout_seconds = p.max_lockout_seconds.max(s);
        }
        p
    }

    /// Opens (creating if needed) the data folder.
    fn open(&self, migrate: Migrate) -> Res<(DataDir, mx::Keyring, Store)> {
        let dir = DataDir::open(&self.data).map_err(data)?;
        let keyring = keys::load_or_create(&dir.keyring()).map_err(data)?;
        let store = Store::connect(&self.database(&dir)?, keyring.clone(), migrate)
            .map_err(|e| data(e.to_string()))?;
        Ok((dir, keyring, store))
    }

    /// The login service over an open data folder.
    fn login(
        &self,
        dir: &DataDir,
        keyring: mx::Keyring,
        store: Store,
        serve: Option<&ServeArgs>,
    ) -> Res<Arc<Login>> {
        // A database older than one this data folder has seen would have its access facts
        // sealed and its audit lines linked as they are: refused, before the service does either.
        let seen = schema_seen(dir);
        if let Some(from) = store.migrated_from()
            && from < seen
        {
            return Err(Fail::Data(format!(
                "the database was at schema {from}, older than the schema {seen} this data folder has seen: \
                 restored from an old backup, or set back by someone who can write it. Nothing was sealed or \
                 linked; users whose rows lack a MAC are refused and `matrixauth audit verify` lists the \
                 unlinked lines. For a deliberate restore, delete {} and start again.",
                dir.root.join(SCHEMA_SEEN).display()
            )));
        }
        let login = Login::new(Settings {
            store,
            keyring,
            site_key: keys::site_key(&dir.keyring()).map_err(data)?,
            policy: self.policy(serve.and_then(|a| a.lockout_seconds)),
            clock: system_clock(),
            session_max_seconds: serve
                .and_then(|a| a.session_max_seconds)
                .or(self.file.session.max_seconds)
                .unwrap_or(login::DEFAULT_SESSION_SECONDS),
            tickets: serve
                .and_then(|a| a.appliance_ticket)
                .or(self.file.appliance.ticket)
                .unwrap_or_default(),
            audit_node: self.node.clone(),
        })
        .map_err(Fail::Data)?;
        note_schema(dir, login.store())?;
        Ok(login)
    }

    /// The login service of an admin command, over an existing data folder.
    fn admin(&self) -> Res<Arc<Login>> {
        let (dir, keyring, store) = self.open_existing()?;
        self.login(&dir, keyring, store, None)
    }

    /// The data folder of an admin command: it must exist (a mistyped
    /// `--data` must not quietly start an empty one).
    fn open_existing(&self) -> Res<(DataDir, mx::Keyring, Store)> {
        if !self.data.join("keyring").exists() {
            return Err(Fail::Data(format!(
                "no data folder at {} (check --data; `matrixauth init` or `matrixauth serve` creates one)",
                self.data.display()
            )));
        }
        self.open(Migrate::No)
    }

    /// The portal's address for links: the first configured origin.
    fn origin(&self) -> String {
        if let Some(o) = self.file.http.origins.as_ref().and_then(|o| o.first()) {
            return o.clone();
        }
        let listen = self.file.http.listen.as_deref().unwrap_or("127.0.0.1:8080");
        let scheme = if self.file.http.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{listen}")
    }
}

/// The origins browsers may use: `--origin`s, else the listening address
/// (and `localhost` for a loopback one). On all addresses (`0.0.0.0`) the
/// name browsers use cannot be guessed: an origin is then required.
fn origins(mut list: Vec<String>, addr: std::net::SocketAddr, https: bool) -> Res<Vec<String>> {
    let port = addr.port();
    let scheme = if https { "https" } else { "http" };
    if addr.ip().is_unspecified() {
        if list.is_empty() {
            return Err(Fail::Usage(format!(
                "listening on all addresses ({addr}): say which address browsers use, e.g. \
                 --origin {scheme}://192.0.2.10:{port} or --origin https://vpn.example.lg.jp"
            )));
        }
        return Ok(list);
    }
    list.push(format!("{scheme}://{addr}"));
    if addr.ip().is_loopback() {
        list.push(format!("{scheme}://localhost:{port}"));
    }
    Ok(list)
}

#[allow(clippy::too_many_lines)]
fn serve(ctx: &Ctx, a: &ServeArgs) -> Res {
    let f = &ctx.file;
    let (cfg_host, cfg_port) = match &f.http.listen {
        Some(l) => {
            let addr: std::net::SocketAddr =
                l.parse().map_err(|_| Fail::Usage(format!("http.listen {l:?}")))?;
            (addr.ip().to_string(), addr.port())
        }
        None => ("127.0.0.1".to_owned(), 8080),
    };
    let host = a.host.clone().unwrap_or(cfg_host);
    let port = a.port.unwrap_or(cfg_port);
    let radius = match (&a.radius, &a.radius_clients, &f.radius) {
        (Some(addr), Some(path), _) => {
            Some((addr.clone(), matrixauth_server::doors::radius::load_clients(path)))
        }
        (None, None, Some(r)) => r.listen.as_ref().map(|listen| {
            let clients = match &r.clients_file {
                Some(path) => matrixauth_server::doors::radius::load_clients(path),
                None => matrixauth_server::doors::radius::clients_from(&r.client),
            };
            (listen.clone(), clients)
        }),
        (Some(addr), None, Some(r)) => Some((
            addr.clone(),
            r.clients_file.as_deref().map_or_else(
                || matrixauth_server::doors::radius::clients_from(&r.client),
                matrixauth_server::doors::radius::load_clients,
            ),
        )),
        (None, Some(path), Some(config::Radius { listen: Some(listen), .. })) => {
            Some((listen.clone(), matrixauth_server::doors::radius::load_clients(path)))
        }
        (None, None, None) => None,
        _ => return Err(Fail::Usage("--radius and --radius-clients go together".to_owned())),
    };
    let mut radius = match radius {
        Some((addr, clients)) => Some((Some(addr), clients.map_err(Fail::Usage)?)),
        None => None,
    };
    // RadSec: its listener, TLS configuration and clients join the UDP door's (one server, one
    // cache, one set of rate limits).
    let radsec = match f.radius.as_ref().and_then(|r| r.radsec.as_ref()) {
        Some(t) => {
            use matrixauth_server::doors::radius::{radsec, radsec_clients_from};
            let clients =
                radsec_clients_from(&t.client).map_err(|e| Fail::Usage(format!("[radius.radsec]: {e}")))?;
            let tls = radsec::server_config(&t.cert, &t.key, &t.ca).map_err(Fail::Usage)?;
            let bounds = t.bounds().map_err(Fail::Usage)?;
            let count = clients.len();
            radius.get_or_insert_with(|| (None, Vec::new())).1.extend(clients);
            Some((t.listen.clone(), tls, bounds, count))
        }
        None => None,
    };
    // `[radius.rate]` applies also when --radius and --radius-clients replace the rest of `[radius]`.
    let radius_rate = f.radius.as_ref().map_or_else(|| Ok(RateLimits::default()), |r| r.rate.limits());
    let radius_rate = radius_rate.map_err(Fail::Usage)?;
    let policy = ctx.policy(a.lockout_seconds);
    policy.validate().map_err(|e| Fail::Usage(format!("policy: {e}")))?;
    let assets = a.assets.clone().or_else(|| f.http.assets.clone());
    if let Some(assets) = &assets
        && !assets.join("matrixauth_bg.wasm").exists()
    {
        return Err(Fail::Usage(format!(
            "{} has no WASM build: run scripts/wasm-build.sh, or leave --assets out to use the built-in copy",
            assets.display()
        )));
    }
    let appliance_url = a.appliance_url.clone().or_else(|| f.appliance.url.clone());
    let audience =
        a.audience.clone().or_else(|| f.appliance.audience.clone()).unwrap_or("vpn.demo.matrixauth".into());
    let api_rate = a.api_rate.or(f.http.api_rate).unwrap_or(ApiRate::default().per_minute);
    let api_rate = ApiRate { per_minute: api_rate, burst: api_rate.div_ceil(2) };
    let retention_days = a.audit_retention_days.or(f.audit.retention_days).unwrap_or(DEFAULT_RETENTION_DAYS);
    let limits = Limits {
        max_connections: a
            .max_connections
            .map(|n| n as usize)
            .or(f.http.max_connections)
            .unwrap_or(Limits::default().max_connections),
        max_per_address: a
            .max_connections_per_address
            .map(|n| n as usize)
            .or(f.http.max_connections_per_address)
            .unwrap_or(Limits::default().max_per_address),
        handshake_timeout: f
            .http
            .tls
            .as_ref()
            .and_then(|t| t.handshake_timeout_seconds)
            .map_or(Limits::default().handshake_timeout, std::time::Duration::from_secs),
        ..Limits::default()
    };
    // The certificate is checked before anything else starts: a bad one is a clear error now,
    // not a failing handshake later.
    let tls_files = match (&a.tls_cert, &a.tls_key, &f.http.tls) {
        (Some(cert), Some(key), _) => Some(http::tls::Files { cert: cert.clone(), key: key.clone() }),
        (_, _, Some(t)) => Some(http::tls::Files { cert: t.cert.clone(), key: t.key.clone() }),
        _ => None,
    };
    let tls = match tls_files {
        Some(files) => {
            let (tls, loaded) = http::tls::Tls::new(files).map_err(|e| Fail::Usage(format!("TLS: {e}")))?;
            Some((tls, loaded.not_after))
        }
        None => None,
    };
    let trusted_proxies = if a.trusted_proxy.is_empty() {
        f.http
            .trusted_proxies
            .iter()
            .flatten()
            .map(|c| config::cidr(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Fail::Usage)?
    } else {
        a.trusted_proxy.clone()
    };
    let metrics_allow = f.metrics.allowed().map_err(Fail::Usage)?;
    let console_allow = f.console.allowed().map_err(Fail::Usage)?;
    let console_allow_text =
        f.console.allow.as_ref().map_or_else(|| "loopback only".to_owned(), |l| l.join(", "));
    let syslog = match &f.syslog {
        Some(s) => Some(s.settings(None).map_err(Fail::Usage)?),
        None => None,
    };
    let configured_origins =
        if a.origin.is_empty() { f.http.origins.clone().unwrap_or_default() } else { a.origin.clone() };
    // The embedded database is this node's own: always brought up to date. A shared one is
    // migrated once, on purpose (`db migrate`, or `serve --migrate`), not by whichever node starts.
    let shared = ctx.database.as_deref().is_some_and(|u| u.starts_with("postgres"));
    let (dir, keyring, store) = ctx.open(if shared && !a.migrate { Migrate::No } else { Migrate::Yes })?;
    let login = ctx.login(&dir, keyring, store, Some(a))?;
    let signed = a.appliance_ticket.or(f.appliance.ticket) == Some(login::TicketForm::Signed);
    if signed && radius.as_ref().is_some_and(|(_, clients)| clients.iter().any(|c| c.tickets)) {
        matrixauth_server::warn!(
            "matrixauth serve: appliance.ticket = \"signed\" with a RADIUS client that takes tickets: signed \
             tickets are over 100 characters and RADIUS clients cut passwords at 112 to 128; use \"handle\" \
             unless the appliance checks tickets with the C library"
        );
    }
    let rt =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| data(e.to_string()))?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind((host.as_str(), port))
            .await
            .map_err(|e| Fail::Usage(format!("cannot listen on {host}:{port}: {e}")))?;
        let addr = listener.local_addr().map_err(|e| data(e.to_string()))?;
        let origins = origins(configured_origins, addr, tls.is_some())?;
        let first_origin = origins.first().cloned().unwrap_or_default();
        let console = matrixauth_server::doors::console::Console::new(
            Arc::clone(&login),
            matrixauth_server::doors::console::Settings {
                allow: console_allow,
                idle_seconds: f
                    .console
                    .idle_seconds
                    .unwrap_or(matrixauth_server::doors::console::DEFAULT_IDLE_SECONDS),
                max_seconds: f
                    .console
                    .max_seconds
                    .unwrap_or(matrixauth_server::doors::console::DEFAULT_MAX_SECONDS),
                origins: origins.clone(),
                trusted_proxies: trusted_proxies.clone(),
                login_rate: api_rate,
            },
        )
        .map_err(Fail::Usage)?;
        let fed = if f.saml.is_some() || f.oidc.is_some() {
            http::idp_key::ensure(&dir.root, system_clock()()).map_err(data)?;
            let fed = http::fed::Federation::new(http::fed::Settings {
                base: first_origin.clone(),
                site_key: keys::site_key(&dir.keyring()).map_err(data)?,
                keys: http::idp_key::load(&dir.root).map_err(data)?,
                saml: f.saml.clone(),
                oidc: f.oidc.clone(),
            })
            .map_err(Fail::Usage)?;
            say(&format!(
                "federation: {}{}",
                if f.saml.is_some() {
                    format!("SAML IdP {first_origin}/saml/metadata ")
                } else {
                    String::new()
                },
                if f.oidc.is_some() {
                    format!("OpenID Connect {first_origin}/.well-known/openid-configuration")
                } else {
                    String::new()
                }
            ));
            Some(fed)
        } else {
            None
        };
        let app = App::with_federation(
            http::Config {
                login: Arc::clone(&login),
                audience,
                assets,
                appliance_url,
                origins,
                api_rate,
                trusted_proxies,
                metrics_allow,
            },
            fed,
        )
        .map_err(|e| Fail::Usage(e.to_string()))?;
        if let Some(mut settings) = syslog {
            // Where the last run stopped, so a restart sends what it had not.
            let state = dir.root.join("syslog-state");
            tokio::task::block_in_place(|| matrixauth_server::syslog::remember_start(&login, &state))
                .map_err(|e| data(format!("syslog: {e}")))?;
            settings.state = Some(state);
            say(&format!("syslog: {} (facility {})", settings.target, settings.facility));
            let stats = Arc::new(matrixauth_server::syslog::Stats::default());
            let seen = Arc::clone(&stats);
            matrixauth_server::metrics::global().register(Box::new(move |e| seen.expose(e)));
            tokio::spawn(matrixauth_server::syslog::run(Arc::clone(&login), settings, stats));
        }
        if let Some((udp_addr, clients)) = radius {
            let udp_clients = clients.len() - radsec.as_ref().map_or(0, |r| r.3);
            let radius = Arc::new(
                matrixauth_server::doors::radius::Radius::new(Arc::clone(&login), clients)
                    .with_rate_limits(&radius_rate),
            );
            let seen = Arc::clone(&radius);
            matrixauth_server::metrics::global().register(Box::new(move |e| {
                let name = "matrixauth_radius_dropped_total";
                e.help(name, "counter", "RADIUS datagrams dropped unanswered, by reason.");
                let rate = seen.rate_dropped();
                e.sample(name, &[("reason", "invalid")], seen.dropped());
                e.sample(name, &[("reason", "rate_client")], rate.client);
                e.sample(name, &[("reason", "rate_status")], rate.status);
                e.sample(name, &[("reason", "rate_name")], rate.name);
            }));
            if let Some(radius_addr) = udp_addr {
                let socket = tokio::net::UdpSocket::bind(radius_addr.as_str())
                    .await
                    .map_err(|e| Fail::Usage(format!("cannot listen on udp {radius_addr}: {e}")))?;
                say(&format!(
                    "RADIUS: udp://{}   ({udp_clients} client{})",
                    socket.local_addr().map_err(|e| data(e.to_string()))?,
                    if udp_clients == 1 { "" } else { "s" }
                ));
                let radius = Arc::clone(&radius);
                tokio::spawn(async move {
                    if let Err(e) = matrixauth_server::doors::radius::serve(socket, radius).await {
                        matrixauth_server::warn!("matrixauth radius: the listener stopped: {e}");
                    }
                });
            }
            if let Some((radsec_addr, tls, bounds, count)) = radsec {
                let listener = tokio::net::TcpListener::bind(radsec_addr.as_str())
                    .await
                    .map_err(|e| Fail::Usage(format!("cannot listen on tcp {radsec_addr} (RadSec): {e}")))?;
                say(&format!(
                    "RadSec: tls://{}   ({count} client{})",
                    listener.local_addr().map_err(|e| data(e.to_string()))?,
                    if count == 1 { "" } else { "s" }
                ));
                let counters = Arc::default();
                tokio::spawn(async move {
                    let served = matrixauth_server::doors::radius::radsec::serve(
                        listener, tls, radius, bounds, counters,
                    );
                    if let Err(e) = served.await {
                        matrixauth_server::warn!("matrixauth radsec: the listener stopped: {e}");
                    }
                });
            }
        }
        // At start and then hourly: audit lines past the retention (the pruning is audited) and
        // decoy states unchanged for 30 days that hold no lock (`Store::prune_decoys`).
        let job = Arc::clone(&login);
        tokio::spawn(async move {
            let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                hourly.tick().await;
                let login = Arc::clone(&job);
                let pruned = tokio::task::spawn_blocking(move || {
                    let now = login.now();
                    if retention_days > 0 {
                        admin::prune_audit(&login, retention_days, true)?;
                    }
                    let before = now.saturating_sub(login::DECOY_KEEP_SECONDS);
                    login.store().prune_tickets(now).map_err(|e| e.to_string())?;
                    login.store().prune_decoys(before).map_err(|e| e.to_string())
                })
                .await;
                if let Ok(Err(e)) = pruned {
                    matrixauth_server::warn!(
                        "matrixauth serve: cannot prune the audit log, tickets or decoys: {e}"
                    );
                }
            }
        });
        // SIGHUP reloads the certificate (`systemctl reload`); without TLS it only says so, so
        // that a reload never stops the server (SIGHUP's default action).
        let hup_tls = tls.as_ref().map(|(t, _)| Arc::clone(t));
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(mut hup) => {
                tokio::spawn(async move {
                    while hup.recv().await.is_some() {
                        match &hup_tls {
                            Some(t) => {
                                let t = Arc::clone(t);
                                let _ = tokio::task::spawn_blocking(move || t.reload_and_log()).await;
                            }
                            None => matrixauth_server::warn!(
                                "matrixauth serve: SIGHUP: no TLS certificate to reload (plain HTTP)"
                            ),
                        }
                    }
                });
            }
            Err(e) => matrixauth_server::warn!("matrixauth serve: cannot catch SIGHUP: {e}"),
        }
        match &tls {
            Some((t, not_after)) => {
                say(&format!("matrixauth login portal: https://{addr}/"));
                say(&format!(
                    "TLS certificate: {} (valid until {}; SIGHUP reloads it)",
                    t.files().cert.display(),
                    when::local(*not_after)
                ));
            }
            None => say(&format!("matrixauth login portal: http://{addr}/")),
        }
        say(&format!("console: {first_origin}/console (from {console_allow_text})"));
        say(&format!("data folder: {}   stop with Ctrl-C", dir.root.display()));
        if !a.no_first_invitation {
            // The store's calls block (the PostgreSQL client runs its own loop): off this task.
            tokio::task::block_in_place(|| first_invitation(&login, &first_origin));
        }
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let router = http::router(app).merge(matrixauth_server::doors::console::router(console));
        match tls {
            Some((tls, _)) => http::listen::serve_tls(listener, router, limits, tls, stop).await,
            None => http::listen::serve(listener, router, limits, stop).await,
        }
        Ok(())
    })
}

/// With no users and no open invitation (a first start), prints an
/// enrollment link for user `demo`, so the portal can be tried at once.
fn first_invitation(login: &Login, origin: &str) {
    let store = login.store();
    let empty = store.users().is_ok_and(|u| u.is_empty())
        && store.open_invitations(login.now()).is_ok_and(|i| i.is_empty());
    if !empty {
        return;
    }
    match admin::invite(login, "demo", login::invite::DEFAULT_HOURS, origin, false) {
        Ok(text) => say(&format!("no users yet: {text}(more: `matrixauth users invite USER`)")),
        Err(e) => matrixauth_server::warn!("matrixauth serve: cannot make a first invitation: {e}"),
    }
}

/// A line for the server's operator on standard output. A server whose
/// output was closed (a daemon, a reader that went away) keeps serving: the
/// line is dropped, never a panic.
fn say(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}

/// One line from standard input, without its line end, wiped on drop
/// (`printf '%s\n' "$PW" | matrixauth users password alice`).
fn read_secret_line() -> Res<zeroize::Zeroizing<String>> {
    use std::io::{BufRead, IsTerminal};
    if std::io::stdin().is_terminal() {
        matrixauth_server::warn!("site password (one line; it is shown as you type):");
    }
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin().lock().read_line(&mut line).map_err(|e| Fail::Usage(format!("standard input: {e}")))?;
    let trimmed = zeroize::Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
    Ok(trimmed)
}

/// Writes `text` to standard output. A reader that went away (`| head`)
/// is not an error: the command stops writing and succeeds.
fn out(text: &str) -> Res {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Fail::Data(format!("cannot write the output: {e}")))
        }
        _ => Ok(()),
    }
}

fn write_private(path: &Path, text: &str) -> Res {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .map_err(|e| refused(format!("cannot write {}: {e}", path.display())))
}

fn users(ctx: &Ctx, cmd: Option<UsersCmd>) -> Res {
    let login = ctx.admin()?;
    let login = &*login;
    match cmd.unwrap_or(UsersCmd::List { json: false }) {
        UsersCmd::List { json } => out(&admin::users(login, json).map_err(data)?),
        UsersCmd::Show { user, json } => match admin::show(login, &user, json).map_err(data)? {
            Some(text) => out(&text),
            None => Err(refused(format!("no enrolled user {user:?}"))),
        },
        UsersCmd::Invite { user, hours, origin, roles, json } => {
            let origin = match origin {
                Some(o) => http::parse_origin(&o).map_err(Fail::Usage)?.0,
                None => ctx.origin(),
            };
            if roles.is_empty() {
                out(&admin::invite(login, &user, hours, &origin, json).map_err(refused)?)
            } else {
                out(&admin::requests::invite(login, &user, hours, &roles, &origin, json).map_err(refused)?)
            }
        }
        UsersCmd::Unlock { user } => out(&admin::unlock(login, &user).map_err(refused)?),
        UsersCmd::Suspend { user, all: _ } => out(&admin::suspend(login, user.as_deref()).map_err(refused)?),
        UsersCmd::Resume { user: Some(user), .. } => out(&admin::resume(login, &user).map_err(refused)?),
        UsersCmd::Resume { user: None, .. } => out(&admin::requests::resume_all(login).map_err(refused)?),
        UsersCmd::Password { user, clear } => {
            let password = if clear { None } else { Some(read_secret_line()?) };
            out(&admin::site_password(login, &user, password.as_deref().map(String::as_str))
                .map_err(refused)?)
        }
        UsersCmd::Remove { user } => out(&admin::remove(login, &user).map_err(refused)?),
        UsersCmd::Role { user, roles } => out(&admin::set_roles(login, &user, &roles).map_err(refused)?),
        UsersCmd::Group { cmd } => match cmd {
            GroupCmd::Add { user, group } => out(&admin::group(login, &user, &group, true).map_err(refused)?),
            GroupCmd::Remove { user, group } => {
                out(&admin::group(login, &user, &group, false).map_err(refused)?)
            }
            GroupCmd::List { user } => {
                let groups = login.groups(&user).map_err(data)?;
                out(&groups.iter().flat_map(|g| [g.as_str(), "\n"]).collect::<String>())
            }
        },
        UsersCmd::Window { cmd } => match cmd {
            WindowCmd::Add { user, from, to } => {
                out(&admin::window_add(login, &user, from, to).map_err(refused)?)
            }
            WindowCmd::List { user, json } => out(&admin::window_list(login, &user, json).map_err(data)?),
            WindowCmd::Remove { user, id } => out(&admin::window_remove(login, &user, id).map_err(refused)?),
        },
    }
}

fn audit(ctx: &Ctx, cmd: Option<AuditCmd>) -> Res {
    if let Some(AuditCmd::Verify { from, to, file: Some(file), key_file: Some(key_file), json }) = &cmd {
        // An auditor's machine: the export and the key, no data folder.
        let text = read_text(file)?;
        let key = login::chain::AuditKey::from_hex(&read_text(key_file)?).map_err(Fail::Usage)?;
        let range = verify_range(*from, *to)?;
        let (report, ok) = admin::verify_export_with_key(&text, &key, range, *json).map_err(data)?;
        return verified(&report, ok);
    }
    let login = ctx.admin()?;
    let login = &*login;
    match cmd.unwrap_or(AuditCmd::Tail { lines: 20, json: false }) {
        AuditCmd::Tail { lines, json } => out(&admin::audit(login, Some(lines), json).map_err(data)?),
        AuditCmd::Prune { days } => {
            out(&format!("{}\n", admin::prune_audit(login, days, false).map_err(data)?.unwrap_or_default()))
        }
        AuditCmd::Verify { from, to, file, key_file: _, json } => {
            let range = verify_range(from, to)?;
            let text = file.as_deref().map(read_text).transpose()?;
            let (report, ok) =
                admin::verify(login, range, text.as_deref().map(|t| (t, None)), json).map_err(data)?;
            verified(&report, ok)
        }
        AuditCmd::Key { output } => {
            let key = admin::audit_key(login).map_err(data)?;
            let text = zeroize::Zeroizing::new(format!("{}\n", key.as_str()));
            match output {
                None => out(&text),
                Some(path) => write_private(&path, &text),
            }
        }
        AuditCmd::Export { from, to, format, output } => {
            let format = match format {
                Format::Csv => admin::ExportFormat::Csv,
                Format::Jsonl => admin::ExportFormat::Jsonl,
            };
            let (text, n) = admin::export(login, from, to, format).map_err(refused)?;
            match output {
                None => out(&text),
                Some(path) => {
                    write_private(&path, &text)?;
                    matrixauth_server::warn!(
                        "{n} lines from {} to {} written to {}",
                        when::local(from),
                        when::local(to),
                        path.display()
                    );
                    Ok(())
                }
            }
        }
    }
}

/// The file in the data folder that keeps the highest schema version its
/// database was seen at (`docs/SECURITY.md`: a database set back to an older
/// schema must not get its rows sealed as they are).
const SCHEMA_SEEN: &str = "schema-seen";

fn schema_seen(dir: &DataDir) -> u32 {
    std::fs::read_to_string(dir.root.join(SCHEMA_SEEN)).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

/// Raises the data folder's schema floor to the open database's version.
fn note_schema(dir: &DataDir, store: &Store) -> Res {
    let v = store.schema_version().map_err(|e| data(e.to_string()))?;
    if v > schema_seen(dir) {
        write_private(&dir.root.join(SCHEMA_SEEN), &format!("{v}\n"))?;
    }
    Ok(())
}

/// `--from`/`--to` of `audit verify`, either or both.
fn verify_range(from: Option<u64>, to: Option<u64>) -> Res<Option<(u64, u64)>> {
    match (from, to) {
        (None, None) => Ok(None),
        (f, t) => {
            let (f, t) = (f.unwrap_or(0), t.unwrap_or(u64::MAX));
            if t <= f {
                return Err(Fail::Usage("--to must be after --from".to_owned()));
            }
            Ok(Some((f, t)))
        }
    }
}

/// Prints a verification report; exit 4 when the log does not check.
fn verified(report: &str, ok: bool) -> Res {
    out(report)?;
    if ok { Ok(()) } else { Err(Fail::Unverified("the audit log does not check (see above)".to_owned())) }
}

fn read_text(path: &Path) -> Res<String> {
    std::fs::read_to_string(path).map_err(|e| Fail::Usage(format!("{}: {e}", path.display())))
}

fn run(cli: Cli) -> Res {
    if let Cmd::Generate { what, dir } = &cli.cmd {
        return generate::write(Cli::command(), *what, dir).map_err(data);
    }
    let ctx = Ctx::new(&cli)?;
    match cli.cmd {
        Cmd::Generate { .. } => Ok(()),
        Cmd::Serve(a) => serve(&ctx, &a),
        Cmd::Init { admin: first_admin } => {
            let (dir, _, store) = ctx.open(Migrate::Yes)?;
            let v = store.schema_version().map_err(|e| data(e.to_string()))?;
            if store.migrated_from().is_some_and(|from| from < schema_seen(&dir)) {
                return Err(Fail::Data(format!(
                    "the database is older than the schema {} this data folder has seen: run `matrixauth db migrate` \
                     to see why",
                    schema_seen(&dir)
                )));
            }
            note_schema(&dir, &store)?;
            http::idp_key::ensure(&dir.root, system_clock()()).map_err(data)?;
            out(&format!("data folder ready: {} (schema {v})\n", dir.root.display()))?;
            if let Some(user) = first_admin {
                let (dir, keyring, store) = ctx.open_existing()?;
                let login = ctx.login(&dir, keyring, store, None)?;
                let roles = ["admin".to_owned()];
                let text = admin::requests::invite(
                    &login,
                    &user,
                    login::invite::DEFAULT_HOURS,
                    &roles,
                    &ctx.origin(),
                    false,
                )
                .map_err(refused)?;
                out(&format!("{text}(the console: {}/console)\n", ctx.origin()))?;
            }
            Ok(())
        }
        Cmd::Requests { cmd } => {
            let login = ctx.admin()?;
            match cmd.unwrap_or(RequestsCmd::List { json: false }) {
                RequestsCmd::List { json } => out(&admin::requests::list(&login, json).map_err(data)?),
                RequestsCmd::Approve { id } => out(&admin::requests::approve(&login, id).map_err(refused)?),
                RequestsCmd::Reject { id, reason } => {
                    out(&admin::requests::reject(&login, id, &reason).map_err(refused)?)
                }
            }
        }
        Cmd::Reports { cmd: ReportsCmd::Export { output } } => {
            let text = admin::requests::export(&*ctx.admin()?).map_err(refused)?;
            match output {
                None => out(&text),
                Some(path) => write_private(&path, &text),
            }
        }
        Cmd::Users { cmd } => users(&ctx, cmd),
        Cmd::Unlock { user } => users(&ctx, Some(UsersCmd::Unlock { user })),
        Cmd::Card { user } => out(&admin::issue_card(&*ctx.admin()?, &user).map_err(refused)?),
        Cmd::Keys { cmd: KeysCmd::Rotate } => {
            let (dir, keyring, store) = ctx.open_existing()?;
            let id = keys::rotate(&dir.keyring()).map_err(data)?;
            http::idp_key::rotate(&dir.root, system_clock()()).map_err(data)?;
            let login = ctx.login(&dir, keyring, store, None)?;
            login
                .record_admin(None, &admin::operator(), AdminAction::KeysRotate { key_id: id })
                .map_err(data)?;
            out(&format!(
                "key {id} now signs; the older keys still verify. Restart running servers to sign with it.\n"
            ))
        }
        Cmd::Keys { cmd: KeysCmd::RetireIdp } => {
            let dir = DataDir::open(&ctx.data).map_err(data)?;
            if http::idp_key::retire(&dir.root).map_err(data)? {
                out("the previous IdP certificate is no longer published (restart running servers)\n")
            } else {
                out("no previous IdP certificate to retire\n")
            }
        }
        Cmd::Audit { cmd } => audit(&ctx, cmd),
        Cmd::Db { cmd: DbCmd::Migrate } => {
            if !ctx.data.join("keyring").exists() {
                return ctx.open_existing().map(|_| ());
            }
            let dir = DataDir::open(&ctx.data).map_err(data)?;
            let keyring = keys::load_or_create(&dir.keyring()).map_err(data)?;
            let path = ctx.database(&dir)?;
            let before = Store::connect(&path, keyring.clone(), Migrate::No).ok().map(|s| s.schema_version());
            let store =
                Store::connect(&path, keyring.clone(), Migrate::Yes).map_err(|e| data(e.to_string()))?;
            let v = store.schema_version().map_err(|e| data(e.to_string()))?;
            if let Some(Ok(b)) = before {
                return out(&format!("schema {b}: up to date\n"));
            }
            let login = ctx.login(&dir, keyring, store, None)?;
            login
                .record_admin(None, &admin::operator(), AdminAction::DbMigrate { schema: v })
                .map_err(data)?;
            out(&format!("schema migrated to {v}\n"))
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(fail) => {
            let (code, msg) = match fail {
                Fail::Refused(m) => (1, m),
                Fail::Usage(m) => (2, m),
                Fail::Data(m) => (3, m),
                Fail::Unverified(m) => (4, m),
            };
            matrixauth_server::warn!("matrixauth: {}", msg.trim_end());
            ExitCode::from(code)
        }
    }
}
