//! `matrixauth`: the browser login demo (`serve`) and admin commands.

use std::path::PathBuf;
use std::process::ExitCode;

use matrixauth_cli::listen::Limits;
use matrixauth_cli::server::{ApiRate, App, Config, router, system_clock};
use matrixauth_cli::store::Store;
use matrixauth_cli::{DataDir, admin, keys};

const USAGE: &str = "\
usage:
  matrixauth serve [--port N] [--host ADDR] [--data DIR] [--lockout-seconds N] [--audience NAME] [--assets DIR]
                   [--radius ADDR:PORT --radius-clients FILE] [--appliance-url URL] [--origin URL ...]
                   [--max-connections N (4096)] [--max-connections-per-address N (64)]
                   [--api-rate N (120 API posts a minute per address, half at once; 0: off)]
                   [--audit-retention-days N (400; 0: keep for ever)]
        the demo login on http://127.0.0.1:8080/ (data in ./matrixauth-data); with --radius, RADIUS
        for SSL-VPN appliances on UDP too (clients in a TOML file, owner-only; docs/RADIUS.md).
        --origin: the address browsers use (https://vpn.example.lg.jp behind a proxy); repeatable;
        default: the listening address (and localhost for a loopback one). The pages and the WASM
        package are built in (--assets DIR: read the package from DIR instead). A request head must
        arrive within 10 s and a whole request within 30 s. Behind a reverse proxy every client has
        the proxy's address: raise --max-connections-per-address there
  matrixauth init [--data DIR]             create a data folder (admin commands need an existing one)
  matrixauth users [--data DIR]            enrolled users, counters and locks
  matrixauth unlock USER [--data DIR]      clear a user's locks (admin action, audited)
  matrixauth card USER [--data DIR]        issue a grid card to a new user; prints the card
  matrixauth audit [--tail N] [--data DIR] the audit log as JSON lines
  matrixauth audit prune [--days N] [--data DIR]
                                           delete lines older than N days (400), audited
";

/// Audit lines are kept this many days by default (over a year: access
/// logs are commonly kept one year).
const DEFAULT_RETENTION_DAYS: u64 = 400;

struct Opts {
    port: u16,
    host: String,
    data: PathBuf,
    lockout_seconds: Option<u64>,
    audience: String,
    assets: Option<PathBuf>,
    tail: Option<usize>,
    radius: Option<String>,
    radius_clients: Option<PathBuf>,
    appliance_url: Option<String>,
    origins: Vec<String>,
    max_connections: usize,
    max_per_address: usize,
    api_rate: ApiRate,
    retention_days: u64,
    positional: Vec<String>,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        port: 8080,
        host: "127.0.0.1".into(),
        data: PathBuf::from("matrixauth-data"),
        lockout_seconds: None,
        audience: "vpn.demo.matrixauth".into(),
        assets: None,
        tail: None,
        radius: None,
        radius_clients: None,
        appliance_url: None,
        origins: Vec::new(),
        max_connections: Limits::default().max_connections,
        max_per_address: Limits::default().max_per_address,
        api_rate: ApiRate::default(),
        retention_days: DEFAULT_RETENTION_DAYS,
        positional: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().cloned().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--port" => o.port = value("--port")?.parse().map_err(|_| "--port must be 0-65535".to_owned())?,
            "--host" => o.host = value("--host")?,
            "--data" => o.data = PathBuf::from(value("--data")?),
            "--lockout-seconds" => {
                o.lockout_seconds =
                    Some(value(a)?.parse().map_err(|_| "--lockout-seconds must be a number".to_owned())?);
            }
            "--audience" => o.audience = value(a)?,
            "--assets" => o.assets = Some(PathBuf::from(value(a)?)),
            "--tail" => o.tail = Some(value(a)?.parse().map_err(|_| "--tail must be a number".to_owned())?),
            "--radius" => o.radius = Some(value(a)?),
            "--radius-clients" => o.radius_clients = Some(PathBuf::from(value(a)?)),
            "--appliance-url" => o.appliance_url = Some(value(a)?),
            "--max-connections" | "--max-connections-per-address" => {
                let n: usize = value(a)?.parse().map_err(|_| format!("{a} must be a number"))?;
                if n == 0 || n > 1_000_000 {
                    return Err(format!("{a} must be 1 to 1000000"));
                }
                if a == "--max-connections" {
                    o.max_connections = n;
                } else {
                    o.max_per_address = n;
                }
            }
            "--audit-retention-days" | "--days" => {
                o.retention_days = value(a)?.parse().map_err(|_| format!("{a} must be a number of days"))?;
            }
            "--api-rate" => {
                let n: u32 = value(a)?.parse().map_err(|_| "--api-rate must be a number".to_owned())?;
                o.api_rate = ApiRate { per_minute: n, burst: n.div_ceil(2) };
            }
            "--origin" => {
                let origin = value(a)?;
                matrixauth_cli::server::parse_origin(&origin)?;
                o.origins.push(origin);
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            s => o.positional.push(s.to_owned()),
        }
    }
    Ok(o)
}

fn now() -> u64 {
    system_clock()()
}

fn policy(o: &Opts) -> mx::Policy {
    let mut p = mx::Policy::default();
    if let Some(s) = o.lockout_seconds {
        p.lockout_seconds = s;
        p.max_lockout_seconds = p.max_lockout_seconds.max(s);
    }
    p
}

fn open(o: &Opts) -> Result<(DataDir, mx::Keyring, Store), String> {
    let dir = DataDir::open(&o.data)?;
    let keyring = keys::load_or_create(&dir.keyring())?;
    let store = Store::open(&dir.database(), keyring.clone()).map_err(|e| e.to_string())?;
    Ok((dir, keyring, store))
}

/// The origins browsers may use: `--origin`s, else the listening address
/// (and `localhost` for a loopback one). On all addresses (`0.0.0.0`) the
/// name browsers use cannot be guessed: `--origin` is then required.
fn origins(o: &Opts, addr: std::net::SocketAddr) -> Result<Vec<String>, String> {
    let mut list = o.origins.clone();
    let port = addr.port();
    if addr.ip().is_unspecified() {
        if list.is_empty() {
            return Err(format!(
                "listening on all addresses ({addr}): say which address browsers use, e.g. \
                 --origin http://192.0.2.10:{port} or --origin https://vpn.example.lg.jp"
            ));
        }
        return Ok(list);
    }
    list.push(format!("http://{addr}"));
    if addr.ip().is_loopback() {
        list.push(format!("http://localhost:{port}"));
    }
    Ok(list)
}

fn serve(o: &Opts) -> Result<(), String> {
    let clients = match (&o.radius, &o.radius_clients) {
        (Some(_), Some(path)) => Some(matrixauth_cli::radius::load_clients(path)?),
        (None, None) => None,
        _ => return Err("--radius and --radius-clients go together".to_owned()),
    };
    let (dir, keyring, store) = open(o)?;
    if let Some(assets) = &o.assets
        && !assets.join("matrixauth_bg.wasm").exists()
    {
        return Err(format!(
            "{} has no WASM build: run scripts/wasm-build.sh, or leave --assets out to use the built-in copy",
            assets.display()
        ));
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind((o.host.as_str(), o.port))
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", o.host, o.port))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let app = App::new(Config {
            store,
            keyring,
            policy: policy(o),
            audience: o.audience.clone(),
            assets: o.assets.clone(),
            clock: system_clock(),
            appliance_url: o.appliance_url.clone(),
            origins: origins(o, addr)?,
            api_rate: o.api_rate,
        })
        .map_err(|e| e.to_string())?;
        if let (Some(radius_addr), Some(clients)) = (&o.radius, clients) {
            let socket = tokio::net::UdpSocket::bind(radius_addr.as_str())
                .await
                .map_err(|e| format!("cannot listen on udp {radius_addr}: {e}"))?;
            println!(
                "RADIUS: udp://{}   ({} client{})",
                socket.local_addr().map_err(|e| e.to_string())?,
                clients.len(),
                if clients.len() == 1 { "" } else { "s" }
            );
            let radius = std::sync::Arc::new(matrixauth_cli::radius::Radius::new(app.clone(), clients));
            tokio::spawn(async move {
                if let Err(e) = matrixauth_cli::radius::serve(socket, radius).await {
                    eprintln!("matrixauth radius: the listener stopped: {e}");
                }
            });
        }
        // At start and then hourly: audit lines past the retention (the pruning is audited) and
        // decoy states nobody touched for 30 days.
        let (store, days) = (app.store_handle(), o.retention_days);
        tokio::spawn(async move {
            let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                hourly.tick().await;
                let store = std::sync::Arc::clone(&store);
                let pruned = tokio::task::spawn_blocking(move || {
                    let now = now();
                    if days > 0 {
                        matrixauth_cli::admin::prune_audit(&store, days, now, true)?;
                    }
                    let before = now.saturating_sub(matrixauth_cli::server::DECOY_KEEP_SECONDS);
                    store.prune_decoys(before).map_err(|e| e.to_string())
                })
                .await;
                if let Ok(Err(e)) = pruned {
                    eprintln!("matrixauth serve: cannot prune the audit log or decoys: {e}");
                }
            }
        });
        println!("matrixauth demo login: http://{addr}/   (enrol a user at http://{addr}/enroll)");
        println!("data folder: {}   stop with Ctrl-C", dir.root.display());
        let limits = Limits {
            max_connections: o.max_connections,
            max_per_address: o.max_per_address,
            ..Limits::default()
        };
        matrixauth_cli::listen::serve(listener, router(app), limits, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        Ok(())
    })
}

/// Writes `text` to standard output. A reader that went away (`| head`)
/// is not an error: the command stops writing and succeeds.
fn out(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write the output: {e}")),
        _ => Ok(()),
    }
}

/// The data folder for an admin command: it must exist (a mistyped
/// `--data` must not quietly start an empty one); `serve` and `init`
/// create it.
fn open_existing(o: &Opts) -> Result<(DataDir, mx::Keyring, Store), String> {
    if !o.data.join("keyring").exists() {
        return Err(format!(
            "no data folder at {} (check --data; `matrixauth init` or `matrixauth serve` creates one)",
            o.data.display()
        ));
    }
    open(o)
}

fn run(args: &[String]) -> Result<(), String> {
    let (cmd, rest) = args.split_first().ok_or_else(|| USAGE.to_owned())?;
    let o = parse(rest)?;
    match (cmd.as_str(), o.positional.as_slice()) {
        ("serve", []) => serve(&o),
        ("init", []) => {
            let (dir, _, _) = open(&o)?;
            out(&format!("data folder ready: {}\n", dir.root.display()))
        }
        ("users", []) => {
            let (_, _, store) = open_existing(&o)?;
            out(&admin::users(&store, now())?)
        }
        ("unlock", [user]) => {
            let (_, keyring, store) = open_existing(&o)?;
            out(&format!("{}\n", admin::unlock(&store, &keyring, &policy(&o), user, now())?))
        }
        ("card", [user]) => {
            let (_, keyring, store) = open_existing(&o)?;
            out(&admin::issue_card(&store, &keyring, user, now())?)
        }
        ("audit", []) => {
            let (_, _, store) = open_existing(&o)?;
            out(&admin::audit(&store, o.tail)?)
        }
        ("audit", [p]) if p == "prune" => {
            if o.retention_days == 0 {
                return Err("--days must be at least 1".to_owned());
            }
            let (_, _, store) = open_existing(&o)?;
            out(&format!(
                "{}\n",
                admin::prune_audit(&store, o.retention_days, now(), false)?.unwrap_or_default()
            ))
        }
        ("help" | "--help" | "-h", _) => out(USAGE),
        _ => Err(USAGE.to_owned()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("matrixauth: {}", e.trim_end());
            ExitCode::FAILURE
        }
    }
}
