//! The RADIUS door of `matrixauth serve` (SPEC §11): Access-Requests over
//! UDP from SSL-VPN appliances that cannot link the C library.
//!
//! Bytes come in, the `matrixauth-radius` codec decodes them, this module
//! picks the client, enforces the BlastRADIUS rules, remembers replies for
//! retransmissions, and hands the login to the same login service
//! ([`Login`]) as the web portal; the service's [`Decision`] becomes the
//! reply packet. `docs/RADIUS.md` describes the flows and attributes.
//!
//! Authentic requests that are not retransmissions then pass the rate
//! limits ([`rate`]) before the service is asked: over them, a request is
//! dropped unanswered, as by a busy server, and costs the store nothing.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use radius::{Attribute, Code, MessageAuthenticator, Packet, attr};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::login::first_factor::FirstFactor;
use crate::login::{Decision, Login, Prompt, RadiusReply, Via};

pub mod eap;
pub mod radsec;
pub mod rate;

pub use rate::RateLimits;

/// How a client's users log in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    /// A request without State gets an Access-Challenge with the grid; the
    /// next request, with that State, carries the answer.
    Challenge,
    /// The user saw the grid on the web portal; the password is the answer
    /// to the pending challenge.
    Otp,
}

/// How a client is recognised.
enum Identity {
    /// UDP: by the source address of its datagrams.
    Address(crate::net::Cidr),
    /// RadSec: by the SHA-256 fingerprint of the certificate it presents
    /// (any one of these).
    Certificate(Vec<[u8; 32]>),
}

/// The shared secret of RADIUS over TLS (RFC 6614 §2.3).
const RADSEC_SECRET: &[u8] = b"radsec";

/// One RADIUS client (an appliance), as configured.
pub struct Client {
    /// The client's name: the audience of the login tickets it redeems.
    pub name: String,
    identity: Identity,
    secret: Zeroizing<Vec<u8>>,
    /// How its users log in.
    pub flow: Flow,
    /// Accept requests without Message-Authenticator (off by default:
    /// BlastRADIUS, CVE-2024-3596).
    pub legacy: bool,
    /// Accept a login ticket for this client's name as the password.
    pub tickets: bool,
    /// What the first request of the challenge flow must carry.
    pub first_factor: FirstFactor,
    /// Its own rate limit (per second, burst) instead of `[radius.rate]`'s.
    rate: Option<(u32, u32)>,
    /// The EAP methods its users may log in with, the first offered first
    /// (none, the default: EAP gets Access-Reject with EAP-Failure).
    pub eap: Vec<eap::Method>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let identity = match &self.identity {
            Identity::Address(network) => network.to_string(),
            Identity::Certificate(prints) => format!("{} certificate(s)", prints.len()),
        };
        f.debug_struct("Client")
            .field("name", &self.name)
            .field("identity", &identity)
            .field("flow", &self.flow)
            .field("legacy", &self.legacy)
            .field("tickets", &self.tickets)
            .field("first_factor", &self.first_factor)
            .field("rate", &self.rate)
            .field("eap", &self.eap)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientsFile {
    client: Vec<ClientEntry>,
}

/// One `[[client]]` table of a clients file (or `[[radius.client]]` of the
/// configuration file).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    name: String,
    address: String,
    secret: Zeroizing<String>,
    flow: Flow,
    #[serde(default)]
    legacy: bool,
    #[serde(default)]
    tickets: bool,
    #[serde(default)]
    first_factor: FirstFactor,
    rate_per_second: Option<u32>,
    rate_burst: Option<u32>,
    #[serde(default)]
    eap: Vec<eap::Method>,
}

impl std::fmt::Debug for ClientEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientEntry").field("name", &self.name).finish_non_exhaustive()
    }
}

/// Refuses a file that group or others can read (it holds secrets).
pub fn check_owner_only(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(format!("{} is readable by others: chmod 600 it", path.display()));
        }
    }
    Ok(())
}

/// One `[[radius.radsec.client]]` table of the configuration file: a
/// RadSec client, known by its certificate instead of an address and a
/// secret, with the same settings as a UDP client.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadsecClientEntry {
    name: String,
    /// SHA-256 fingerprints of the certificates it may present (hex, colons
    /// and case as `openssl x509 -fingerprint -sha256` prints them).
    certificates: Vec<String>,
    flow: Flow,
    #[serde(default)]
    legacy: bool,
    #[serde(default)]
    tickets: bool,
    #[serde(default)]
    first_factor: FirstFactor,
    rate_per_second: Option<u32>,
    rate_burst: Option<u32>,
    #[serde(default)]
    eap: Vec<eap::Method>,
}

impl std::fmt::Debug for RadsecClientEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RadsecClientEntry").field("name", &self.name).finish_non_exhaustive()
    }
}

/// The settings both kinds of client share, applied to `client`.
fn finish(
    client: Client,
    first_factor: FirstFactor,
    rate_per_second: Option<u32>,
    rate_burst: Option<u32>,
    eap: &[eap::Method],
) -> Result<Client, String> {
    let client = client.with_first_factor(first_factor)?.with_eap(eap)?;
    match (rate_per_second, rate_burst) {
        (Some(per_second), burst) => client.with_rate(per_second, burst),
        (None, Some(_)) => Err(format!("client {}: rate_burst needs rate_per_second", client.name)),
        (None, None) => Ok(client),
    }
}

/// Clients from their tables; the error names the client and the problem.
pub fn clients_from(entries: &[ClientEntry]) -> Result<Vec<Client>, String> {
    let clients: Vec<Client> = entries
        .iter()
        .map(|c| {
            let client = Client::new(&c.name, &c.address, &c.secret, c.flow, c.legacy, c.tickets)?;
            finish(client, c.first_factor, c.rate_per_second, c.rate_burst, &c.eap)
        })
        .collect::<Result<_, _>>()?;
    if clients.is_empty() {
        return Err("no RADIUS clients".to_owned());
    }
    Ok(clients)
}

/// RadSec clients from their `[[radius.radsec.client]]` tables; the error
/// names the client and the problem.
pub fn radsec_clients_from(entries: &[RadsecClientEntry]) -> Result<Vec<Client>, String> {
    let clients: Vec<Client> = entries
        .iter()
        .map(|c| {
            let client = Client::radsec(&c.name, &c.certificates, c.flow, c.legacy, c.tickets)?;
            finish(client, c.first_factor, c.rate_per_second, c.rate_burst, &c.eap)
        })
        .collect::<Result<_, _>>()?;
    if clients.is_empty() {
        return Err("no [[radius.radsec.client]] entries".to_owned());
    }
    // A certificate names one client: listed twice, the first entry would win silently (and with
    // it the ticket audience and the flow).
    let mut seen = std::collections::HashMap::new();
    for c in &clients {
        if let Identity::Certificate(prints) = &c.identity {
            for p in prints {
                if let Some(other) = seen.insert(*p, c.name.as_str()) {
                    return Err(format!(
                        "clients {other} and {}: the same certificate fingerprint is listed for both",
                        c.name
                    ));
                }
            }
        }
    }
    let mut names = std::collections::HashSet::new();
    if let Some(c) = clients.iter().find(|c| !names.insert(c.name.as_str())) {
        return Err(format!("client {}: the name is used twice", c.name));
    }
    Ok(clients)
}

impl Client {
    /// A client from its fields; the error names the problem.
    pub fn new(
        name: &str,
        address: &str,
        secret: &str,
        flow: Flow,
        legacy: bool,
        tickets: bool,
    ) -> Result<Self, String> {
        check_name(name)?;
        if secret.chars().count() < 16 {
            return Err(format!("client {name}: the shared secret must be at least 16 characters"));
        }
        let network = crate::net::Cidr::parse(address).map_err(|e| format!("client {name}: {e}"))?;
        Ok(Client {
            name: name.to_owned(),
            identity: Identity::Address(network),
            secret: Zeroizing::new(secret.as_bytes().to_vec()),
            flow,
            legacy,
            tickets,
            first_factor: FirstFactor::Ignored,
            rate: None,
            eap: Vec::new(),
        })
    }

    /// A RadSec client, known by the SHA-256 fingerprints of the
    /// certificates it may present (one or more, for a rotation); its
    /// RADIUS secret is `radsec` (RFC 6614 §2.3).
    pub fn radsec(
        name: &str,
        certificates: &[String],
        flow: Flow,
        legacy: bool,
        tickets: bool,
    ) -> Result<Self, String> {
        check_name(name)?;
        if certificates.is_empty() {
            return Err(format!("client {name}: certificates: give at least one SHA-256 fingerprint"));
        }
        let prints = certificates
            .iter()
            .map(|c| radsec::parse_fingerprint(c).map_err(|e| format!("client {name}: certificates: {e}")))
            .collect::<Result<_, _>>()?;
        Ok(Client {
            name: name.to_owned(),
            identity: Identity::Certificate(prints),
            secret: Zeroizing::new(RADSEC_SECRET.to_vec()),
            flow,
            legacy,
            tickets,
            first_factor: FirstFactor::Ignored,
            rate: None,
            eap: Vec::new(),
        })
    }

    /// The client with a rate limit of its own instead of `[radius.rate]`'s:
    /// `per_second` Access-Requests a second on average (0: no limit) and
    /// `burst` at once (by default 25 seconds of the rate). Its
    /// Status-Server requests have a bucket of the same size apart.
    pub fn with_rate(mut self, per_second: u32, burst: Option<u32>) -> Result<Self, String> {
        let (per_second, burst) = rate::rate_and_burst(
            ("rate_per_second", per_second),
            ("rate_burst", burst),
            RateLimits::CLIENT_BURST_SECONDS,
            1,
        )
        .map_err(|e| format!("client {}: {e}", self.name))?;
        self.rate = Some((per_second, burst));
        Ok(self)
    }

    /// The client with a first factor: `must_be_empty` or `password` need
    /// the challenge flow (the otp flow has no first request).
    pub fn with_first_factor(mut self, first_factor: FirstFactor) -> Result<Self, String> {
        if first_factor != FirstFactor::Ignored && self.flow != Flow::Challenge {
            return Err(format!("client {}: first_factor needs flow = \"challenge\"", self.name));
        }
        // A ticket is redeemed in the first request: it would skip the site password.
        if first_factor == FirstFactor::Password && self.tickets {
            return Err(format!(
                "client {}: first_factor = \"password\" and tickets = true do not go together (a ticket would skip the password)",
                self.name
            ));
        }
        self.first_factor = first_factor;
        Ok(self)
    }

    /// The client with EAP (RFC 3579) on, for these methods, the first
    /// offered first; each may be listed once.
    pub fn with_eap(mut self, methods: &[eap::Method]) -> Result<Self, String> {
        for (i, m) in methods.iter().enumerate() {
            if methods.iter().take(i).any(|o| o == m) {
                return Err(format!("client {}: eap lists {} twice", self.name, m.name()));
            }
        }
        // EAP carries no site password: it would be a way around the first factor.
        if !methods.is_empty() && self.first_factor == FirstFactor::Password {
            return Err(format!(
                "client {}: eap and first_factor = \"password\" do not go together (EAP would skip the password)",
                self.name
            ));
        }
        self.eap = methods.to_vec();
        Ok(self)
    }

    /// Whether `ip` lies in this client's network (a RadSec client has
    /// none: it never matches a datagram).
    pub fn matches(&self, ip: IpAddr) -> bool {
        matches!(&self.identity, Identity::Address(network) if network.contains(ip))
    }

    /// Whether this is a RadSec client that may present a certificate with
    /// this SHA-256 fingerprint.
    pub fn presents(&self, fingerprint: &[u8; 32]) -> bool {
        matches!(&self.identity, Identity::Certificate(prints) if prints.contains(fingerprint))
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(format!("client name {name:?}: 1 to 255 characters, no control characters"));
    }
    Ok(())
}

/// Reads the clients file (TOML, `[[client]]` tables with `name`, `address`
/// (an address or CIDR), `secret` (16 characters or more), `flow`
/// (`"challenge"` or `"otp"`), and optionally `legacy`, `tickets`,
/// `first_factor`, `rate_per_second` and `rate_burst`). The
/// file holds shared secrets: one that group or others can read is refused.
pub fn load_clients(path: &Path) -> Result<Vec<Client>, String> {
    check_owner_only(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file: ClientsFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if file.client.is_empty() {
        return Err(format!("{}: no [[client]] entries", path.display()));
    }
    clients_from(&file.client).map_err(|e| format!("{}: {e}", path.display()))
}

/// Replies are remembered this long for retransmissions (RFC 5080 §2.2.2).
const RETRANSMIT_SECONDS: u64 = 30;
/// Most remembered requests (about 13 s of Status-Server from one client
/// with the secret); past it the oldest replies are forgotten first.
pub const MAX_REMEMBERED: usize = 100_000;

type RequestKey = (SocketAddr, u8, [u8; 16]);

enum Entry {
    /// Being handled until then: a retransmission that arrives meanwhile is
    /// dropped (the client sends it again and gets the reply), never
    /// verified twice.
    InFlight(u64),
    /// The reply, remembered until then.
    Reply(u64, Vec<u8>),
}

/// The retransmission cache (RFC 5080 §2.2.2): requests by source, Identifier
/// and Request Authenticator, oldest first. When full, the oldest replies
/// (and markers that outlived their time) are forgotten; a live in-flight
/// marker never is, and a request that finds the cache full of them is
/// dropped rather than handled unmarked, so no answer is verified twice.
struct Remembered {
    entries: HashMap<RequestKey, Entry>,
    order: std::collections::VecDeque<RequestKey>,
    capacity: usize,
}

/// What the cache says of a request.
enum Seen {
    /// New: handle it (it is now marked in flight).
    New,
    /// Answered already: send this again.
    Reply(Vec<u8>),
    /// Being handled, or no room to mark it: send nothing.
    Drop(&'static str),
}

impl Remembered {
    fn new(capacity: usize) -> Self {
        Remembered {
            entries: HashMap::new(),
            order: std::collections::VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    fn begin(&mut self, key: RequestKey, now: u64) -> Seen {
        match self.entries.get(&key) {
            Some(Entry::Reply(until, bytes)) if now < *until => return Seen::Reply(bytes.clone()),
            Some(Entry::InFlight(until)) if now < *until => return Seen::Drop("retransmission in flight"),
            None if self.entries.len() >= self.capacity => {
                self.evict(now);
                if self.entries.len() >= self.capacity {
                    return Seen::Drop("retransmission cache full of requests in flight");
                }
            }
            // Expired, or room to spare.
            Some(_) | None => {}
        }
        if self.entries.insert(key, Entry::InFlight(now + RETRANSMIT_SECONDS)).is_none() {
            self.order.push_back(key);
        }
        Seen::New
    }

    /// Forgets the oldest entries down to 7/8 of the capacity, keeping live
    /// in-flight markers where they were.
    fn evict(&mut self, now: u64) {
        let target = self.capacity - self.capacity / 8 - 1;
        let mut kept = Vec::new();
        while self.entries.len() > target {
            let Some(key) = self.order.pop_front() else { break };
            match self.entries.get(&key) {
                Some(Entry::InFlight(until)) if now < *until => kept.push(key),
                Some(_) => {
                    self.entries.remove(&key);
                }
                None => {}
            }
        }
        for key in kept.into_iter().rev() {
            self.order.push_front(key);
        }
    }

    fn finish(&mut self, key: &RequestKey, now: u64, bytes: Vec<u8>) {
        if let Some(slot) = self.entries.get_mut(key) {
            *slot = Entry::Reply(now + RETRANSMIT_SECONDS, bytes);
        }
    }

    /// The request got no reply: a retransmission is handled anew. The
    /// entry stays (expired) in its place, to be forgotten in turn.
    fn abandon(&mut self, key: &RequestKey) {
        if let Some(slot) = self.entries.get_mut(key) {
            *slot = Entry::InFlight(0);
        }
    }
}

/// The RADIUS server: clients, the retransmission cache, the rate limits,
/// and the login service.
pub struct Radius {
    login: Arc<Login>,
    clients: Vec<Client>,
    remembered: Mutex<Remembered>,
    limiter: Mutex<rate::Limiter>,
    dropped: std::sync::atomic::AtomicU64,
    conversations: eap::Conversations,
}

/// A RadSec client of a [`Radius`] server, found by its certificate
/// ([`Radius::radsec_client`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RadsecClient(usize);

/// What the server does with a datagram.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Send these bytes back.
    Reply(Vec<u8>),
    /// Send nothing; the reason is for the log.
    Drop(&'static str),
}

impl Radius {
    /// A server for `clients` over the login service, with the default
    /// rate limits.
    pub fn new(login: Arc<Login>, clients: Vec<Client>) -> Self {
        Radius::with_cache(login, clients, MAX_REMEMBERED)
    }

    /// A server whose retransmission cache holds `capacity` requests.
    pub fn with_cache(login: Arc<Login>, clients: Vec<Client>, capacity: usize) -> Self {
        let limiter = Mutex::new(Radius::limiter(&RateLimits::default(), &clients));
        Radius {
            login,
            clients,
            remembered: Mutex::new(Remembered::new(capacity)),
            limiter,
            dropped: 0.into(),
            conversations: eap::Conversations::new(eap::MAX_CONVERSATIONS),
        }
    }

    /// The server with room for `capacity` EAP conversations at once
    /// (default [`eap::MAX_CONVERSATIONS`]).
    #[must_use]
    pub fn with_eap_conversations(mut self, capacity: usize) -> Self {
        self.conversations = eap::Conversations::new(capacity);
        self
    }

    /// EAP conversations held now.
    pub fn eap_conversations(&self) -> usize {
        self.conversations.len()
    }

    /// The server with these rate limits (a client with its own keeps its own).
    #[must_use]
    pub fn with_rate_limits(mut self, limits: &RateLimits) -> Self {
        self.limiter = Mutex::new(Radius::limiter(limits, &self.clients));
        self
    }

    fn limiter(limits: &RateLimits, clients: &[Client]) -> rate::Limiter {
        let own = clients.iter().map(|c| c.rate.unwrap_or((limits.client_per_second, limits.client_burst)));
        rate::Limiter::new(limits, own)
    }

    /// Datagrams dropped so far (unknown clients, bad authenticators,
    /// malformed); those over the rate limits are counted apart
    /// ([`Radius::rate_dropped`]).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Requests dropped over the rate limits so far, by reason.
    pub fn rate_dropped(&self) -> rate::Drops {
        self.limiter.lock().unwrap_or_else(PoisonError::into_inner).dropped()
    }

    /// Writes the summary line of each client whose drops over the rate
    /// limits have not been reported and whose last line is a minute old
    /// (the server calls this every minute; a drop writes its client's line
    /// when it is due).
    pub fn report_rate_drops(&self) {
        let now = self.login.now();
        let mut limiter = self.limiter.lock().unwrap_or_else(PoisonError::into_inner);
        let lines: Vec<String> = (0..limiter.clients())
            .filter_map(|i| limiter.report(i, &self.clients.get(i)?.name, now))
            .collect();
        drop(limiter);
        for line in lines {
            crate::warn!("{line}");
        }
    }

    /// Handles one datagram from `from`: its client is the first whose
    /// network holds the address.
    pub fn handle(&self, wire: &[u8], from: SocketAddr) -> Action {
        let client = self.clients.iter().position(|c| c.matches(from.ip()));
        self.handle_from(client, wire, from)
    }

    /// The RadSec client that presented the certificate with this SHA-256
    /// fingerprint, if any ([`Radius::handle_radsec`] takes it).
    pub fn radsec_client(&self, fingerprint: &[u8; 32]) -> Option<RadsecClient> {
        self.clients.iter().position(|c| c.presents(fingerprint)).map(RadsecClient)
    }

    /// The name of a RadSec client.
    pub fn radsec_client_name(&self, client: RadsecClient) -> &str {
        self.clients.get(client.0).map_or("", |c| c.name.as_str())
    }

    /// Handles one packet that `client` sent over its TLS connection from
    /// `from`: the same rules, cache, limits and login service as a
    /// datagram, with the secret `radsec`.
    pub fn handle_radsec(&self, client: RadsecClient, wire: &[u8], from: SocketAddr) -> Action {
        self.handle_from(Some(client.0), wire, from)
    }

    /// Writes the audit line of a RadSec connection refused for its
    /// certificate (through the login service, [`Login::refuse_radsec_client`]).
    pub fn refuse_radsec_client(
        &self,
        peer: SocketAddr,
        reason: &'static str,
        detail: &str,
        fingerprint: Option<&[u8; 32]>,
    ) -> Result<(), String> {
        let fingerprint = fingerprint.map(radsec::fingerprint_hex);
        self.login.refuse_radsec_client(&peer.to_string(), reason, detail, fingerprint.as_deref())
    }

    /// Handles one request from `from` for the client at `client` (none:
    /// unknown, dropped).
    fn handle_from(&self, client: Option<usize>, wire: &[u8], from: SocketAddr) -> Action {
        let action = match self.handle_inner(client, wire, from) {
            Ok(action) => action,
            // Counted and summarised by the limiter, never logged one by one.
            Err(limit) => return Action::Drop(limit.reason()),
        };
        if let Action::Drop(reason) = &action {
            let n = self.dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            // Logged, but a flood cannot flood the log: the first 20, then every 1000th.
            if n < 20 || n.is_multiple_of(1000) {
                crate::warn!(
                    "matrixauth radius: dropped a request from {from}: {reason} ({} dropped so far)",
                    n + 1
                );
            }
        }
        action
    }

    /// The action for a datagram, or the limit it is over (an authentic
    /// new request, dropped before the login service is asked).
    fn handle_inner(
        &self,
        client: Option<usize>,
        wire: &[u8],
        from: SocketAddr,
    ) -> Result<Action, rate::Limit> {
        let Some((index, client)) = client.and_then(|i| Some((i, self.clients.get(i)?))) else {
            return Ok(Action::Drop("unknown client address"));
        };
        let Ok(request) = Packet::decode(wire) else { return Ok(Action::Drop("malformed packet")) };
        let ma = radius::check_message_authenticator(&client.secret, wire);
        match (request.code, ma) {
            (_, MessageAuthenticator::Invalid) => {
                return Ok(Action::Drop("bad Message-Authenticator (wrong secret?)"));
            }
            (Code::StatusServer, MessageAuthenticator::Absent) => {
                return Ok(Action::Drop("Status-Server without Message-Authenticator"));
            }
            (Code::AccessRequest, MessageAuthenticator::Absent) if !client.legacy => {
                return Ok(Action::Drop(
                    "Access-Request without Message-Authenticator (client is not legacy)",
                ));
            }
            (Code::AccessRequest | Code::StatusServer, _) => {}
            _ => return Ok(Action::Drop("not an Access-Request or Status-Server")),
        }
        // RFC 3579 §3.2: EAP without a valid Message-Authenticator is discarded, legacy or not.
        if request.get(attr::EAP_MESSAGE).is_some() && ma != MessageAuthenticator::Valid {
            return Ok(Action::Drop("EAP-Message without Message-Authenticator"));
        }
        let now = self.login.now();
        let key = (from, request.identifier, request.authenticator);
        match self.remembered.lock().unwrap_or_else(PoisonError::into_inner).begin(key, now) {
            Seen::New => {}
            Seen::Reply(bytes) => return Ok(Action::Reply(bytes)),
            Seen::Drop(reason) => return Ok(Action::Drop(reason)),
        }
        // Authentic and new (a retransmission answered from the cache took nothing): the rate
        // limits, before the login service is asked. A dropped request is forgotten, so the
        // client's retry is examined anew.
        let name = (request.code == Code::AccessRequest).then(|| user_name(&request));
        let taken = {
            let mut limiter = self.limiter.lock().unwrap_or_else(PoisonError::into_inner);
            limiter.take(index, name, now).map_err(|limit| (limit, limiter.report(index, &client.name, now)))
        };
        if let Err((limit, line)) = taken {
            self.remembered.lock().unwrap_or_else(PoisonError::into_inner).abandon(&key);
            if let Some(line) = line {
                crate::warn!("{line}");
            }
            return Err(limit);
        }
        let reply = if request.code == Code::StatusServer {
            let text = Attribute::new(attr::REPLY_MESSAGE, b"matrixauth ok").ok();
            Ok(request.reply(Code::AccessAccept, text.into_iter().collect()))
        } else {
            // The terminal gate (SPEC §16) checks Calling-Station-Id for every call of this
            // request, EAP conversations included.
            let station = request.get(attr::CALLING_STATION_ID);
            crate::login::terminal::with_calling_station(station, || {
                if request.get(attr::EAP_MESSAGE).is_some() {
                    eap::handle(&self.login, &self.conversations, index, client, &request, from)
                } else {
                    self.access_request(client, &request).ok_or("the database is unavailable")
                }
            })
        };
        let reply = match reply {
            Ok(reply) => reply,
            Err(reason) => {
                self.remembered.lock().unwrap_or_else(PoisonError::into_inner).abandon(&key);
                return Ok(Action::Drop(reason));
            }
        };
        let Ok(bytes) = reply.encode_response(&client.secret, &request.authenticator) else {
            self.remembered.lock().unwrap_or_else(PoisonError::into_inner).abandon(&key);
            return Ok(Action::Drop("reply does not fit a packet"));
        };
        self.remembered.lock().unwrap_or_else(PoisonError::into_inner).finish(&key, now, bytes.clone());
        Ok(Action::Reply(bytes))
    }

    /// The reply to an authentic Access-Request (`None`: the store is
    /// unreachable; send nothing).
    fn access_request(&self, client: &Client, request: &Packet) -> Option<Packet> {
        let user = user_name(request);
        let state = request.get(attr::STATE).and_then(|s| std::str::from_utf8(s).ok());
        let via = Via::Radius(&client.name);
        let login = &self.login;
        // The first request of the challenge flow carries the first factor: not examined
        // (`ignored`, the default), empty, or the user's site password.
        let first = client.flow == Flow::Challenge && state.is_none();
        if first && !client.tickets && client.first_factor == FirstFactor::Ignored {
            return reply(request, &login.challenge(user, via), login.now());
        }
        let password = match request.password(&client.secret) {
            Ok(Some(p)) => p,
            // An empty User-Password attribute (zero bytes, as some clients send it) is "".
            Err(_) if request.get(attr::USER_PASSWORD).is_some_and(<[u8]>::is_empty) => {
                Zeroizing::new(Vec::new())
            }
            // No User-Password at all (radclient with `User-Password = ""`): the first request
            // of the challenge flow needs none, also on a client that accepts tickets.
            Ok(None) if first => Zeroizing::new(Vec::new()),
            _ => return reply(request, &login.refuse(user, via), login.now()),
        };
        let Ok(password) = std::str::from_utf8(&password) else {
            return reply(request, &login.refuse(user, via), login.now());
        };
        // A login ticket (a handle, or a signed ticket): never of an answer's form.
        let decision = if client.tickets && crate::login::is_ticket(password) {
            login.redeem(password, &client.name, Some(user), via)
        } else {
            match (client.flow, state, client.first_factor) {
                (Flow::Challenge, None, FirstFactor::Ignored) => login.challenge(user, via),
                (Flow::Challenge, None, FirstFactor::MustBeEmpty) if password.is_empty() => {
                    login.challenge(user, via)
                }
                (Flow::Challenge, None, FirstFactor::MustBeEmpty) => login.refuse(user, via),
                (Flow::Challenge, None, FirstFactor::Password) => {
                    login.challenge_after_password(user, password, via)
                }
                (Flow::Challenge, Some(state), FirstFactor::Password) => {
                    login.answer_after_password(user, state, password, via)
                }
                (Flow::Challenge, Some(token), _) => login.answer(user, Some(token), password, via, None),
                (Flow::Otp, _, _) => login.answer(user, None, password, via, None),
            }
        };
        reply(request, &decision, login.now())
    }
}

/// The request's User-Name as the login service gets it ("" when absent or
/// not UTF-8).
fn user_name(request: &Packet) -> &str {
    request.get(attr::USER_NAME).and_then(|u| std::str::from_utf8(u).ok()).unwrap_or("")
}

/// The packet for a decision: the code and message its [`RadiusReply`]
/// names (the service audited the same), the grid or cells of a
/// challenge, and `Session-Timeout` (seconds left of the challenge, or of
/// the session after an accept).
fn reply(request: &Packet, decision: &Decision, now: u64) -> Option<Packet> {
    let (code, mut attributes) = match decision.radius_reply()? {
        RadiusReply::Accept => {
            (Code::AccessAccept, Attribute::text(attr::REPLY_MESSAGE, "Login accepted / ログインしました"))
        }
        RadiusReply::Reject => {
            (Code::AccessReject, Attribute::text(attr::REPLY_MESSAGE, "Login failed / ログインできません"))
        }
        RadiusReply::RejectOutsideWindow => (
            Code::AccessReject,
            Attribute::text(
                attr::REPLY_MESSAGE,
                "Outside your approved access period / 承認された利用期間外です",
            ),
        ),
        RadiusReply::RejectLocked => {
            let until = match decision {
                Decision::Locked(lock) | Decision::Rejected { lock: Some(lock), .. } => lock.until(),
                _ => None,
            };
            let text = match until {
                Some(t) => {
                    let t = crate::when::utc(t);
                    format!("Locked until {t} / ロック中（{t} まで）")
                }
                None => "Locked; an administrator can unlock / ロック中：管理者が解除できます".to_owned(),
            };
            (Code::AccessReject, Attribute::text(attr::REPLY_MESSAGE, &text))
        }
        RadiusReply::Challenge => (Code::AccessChallenge, Vec::new()),
    };
    match decision {
        Decision::Prompt(prompt) => {
            let text = prompt_text(prompt);
            if let Ok(s) = Attribute::new(attr::STATE, prompt.token().as_bytes()) {
                attributes.push(s);
            }
            attributes.extend(Attribute::text(attr::REPLY_MESSAGE, &text));
            attributes.push(seconds(attr::SESSION_TIMEOUT, prompt.expires_at().saturating_sub(now)));
        }
        Decision::Accepted(session) => {
            attributes.push(seconds(attr::SESSION_TIMEOUT, session.ends_at.saturating_sub(now)));
        }
        _ => {}
    }
    Some(request.reply(code, attributes))
}

/// What the user is shown of a challenge: the Reply-Message of the
/// challenge flow, and the message of an EAP-GTC request.
fn prompt_text(prompt: &Prompt) -> String {
    match prompt {
        Prompt::Card { serial, cells, .. } => {
            format!("Grid card {serial} / 乱数表: cells {}", cells.join(" "))
        }
        // Short enough that an 8×8 grid and this line fit one Reply-Message (253 bytes):
        // some clients (pam_radius_auth) show only the first.
        Prompt::Grid { matrix, .. } => format!("Matrix login / マトリクス認証\n{}", matrix.render_text()),
    }
}

fn seconds(kind: u8, s: u64) -> Attribute {
    Attribute::integer(kind, u32::try_from(s).unwrap_or(u32::MAX))
}

/// Serves RADIUS on `socket` until the task is dropped. Each datagram is
/// handled on the blocking pool (the store is SQLite). Every minute, drops
/// over the rate limits not yet reported get their summary line.
pub async fn serve(socket: tokio::net::UdpSocket, radius: Arc<Radius>) -> std::io::Result<()> {
    let socket = Arc::new(socket);
    let mut buf = vec![0u8; radius::MAX_PACKET + 1];
    let mut report = tokio::time::interval(std::time::Duration::from_secs(rate::REPORT_SECONDS));
    report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let (n, from) = tokio::select! {
            received = socket.recv_from(&mut buf) => received?,
            _ = report.tick() => {
                let r = Arc::clone(&radius);
                tokio::task::spawn_blocking(move || r.report_rate_drops());
                continue;
            }
        };
        let Some(datagram) = buf.get(..n).map(<[u8]>::to_vec) else { continue };
        let (r, s) = (Arc::clone(&radius), Arc::clone(&socket));
        tokio::spawn(async move {
            let action = tokio::task::spawn_blocking(move || r.handle(&datagram, from)).await;
            if let Ok(Action::Reply(bytes)) = action {
                let _ = s.send_to(&bytes, from).await;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn key(n: u8) -> RequestKey {
        ("127.0.0.1:1812".parse().unwrap(), n, [n; 16])
    }

    #[test]
    fn a_certificate_or_a_name_listed_for_two_radsec_clients_is_refused() {
        let print = ["ab"; 32].join(":");
        let entry = |name: &str, fp: &str| -> RadsecClientEntry {
            toml::from_str(&format!("name = \"{name}\"\ncertificates = [\"{fp}\"]\nflow = \"challenge\"\n"))
                .unwrap()
        };
        let other = ["cd"; 32].join(":");
        let e = radsec_clients_from(&[entry("vpn1", &print), entry("vpn2", &print)]).unwrap_err();
        assert!(e.contains("vpn1") && e.contains("vpn2") && e.contains("fingerprint"), "{e}");
        let e = radsec_clients_from(&[entry("vpn1", &print), entry("vpn1", &other)]).unwrap_err();
        assert!(e.contains("used twice"), "{e}");
        assert_eq!(radsec_clients_from(&[entry("vpn1", &print), entry("vpn2", &other)]).unwrap().len(), 2);
    }

    #[test]
    fn a_full_cache_forgets_the_oldest_replies_and_keeps_requests_in_flight() {
        let mut c = Remembered::new(8);
        assert!(matches!(c.begin(key(0), 100), Seen::New));
        for n in 1..8 {
            assert!(matches!(c.begin(key(n), 100), Seen::New));
            c.finish(&key(n), 100, vec![n]);
        }
        // Full: the ninth evicts the oldest replies (not key 0, still in flight).
        assert!(matches!(c.begin(key(8), 101), Seen::New));
        assert!(matches!(c.begin(key(0), 101), Seen::Drop("retransmission in flight")));
        assert!(matches!(c.begin(key(1), 101), Seen::New), "the oldest reply was forgotten");
        assert!(matches!(c.begin(key(7), 101), Seen::Reply(ref b) if b == &[7]), "the newest kept");
        // Full of requests in flight: drop, never handle unmarked.
        let mut c = Remembered::new(4);
        for n in 0..4 {
            assert!(matches!(c.begin(key(n), 100), Seen::New));
        }
        assert!(matches!(
            c.begin(key(9), 100),
            Seen::Drop("retransmission cache full of requests in flight")
        ));
        // Their time over, they make room again; an abandoned one is handled anew.
        assert!(matches!(c.begin(key(9), 100 + RETRANSMIT_SECONDS), Seen::New));
        c.abandon(&key(9));
        assert!(matches!(c.begin(key(9), 100 + RETRANSMIT_SECONDS), Seen::New));
    }

    #[test]
    fn eap_methods_are_off_by_default_listed_once_and_named() {
        let entry = |eap: &str| -> Result<Vec<Client>, String> {
            let text =
                format!("name = \"gw\"\naddress = \"127.0.0.1\"\nsecret = \"0123456789abcdef\"\n{eap}");
            let entry: ClientEntry = toml::from_str(&text).map_err(|e| e.to_string())?;
            clients_from(&[entry])
        };
        assert!(entry("flow = \"otp\"").unwrap()[0].eap.is_empty(), "off by default");
        let both = entry("flow = \"otp\"\neap = [\"gtc\", \"mschapv2\"]").unwrap();
        assert_eq!(both[0].eap, [eap::Method::Gtc, eap::Method::Mschapv2], "in the order given");
        let e = entry("flow = \"otp\"\neap = [\"mschapv2\", \"mschapv2\"]").unwrap_err();
        assert!(e.contains("eap lists mschapv2 twice"), "{e}");
        assert!(entry("flow = \"otp\"\neap = [\"pap\"]").is_err(), "an unknown method");
        let e = entry("flow = \"challenge\"\nfirst_factor = \"password\"\neap = [\"gtc\"]").unwrap_err();
        assert!(e.contains("skip the password"), "{e}");
    }

    #[test]
    fn cidr_matching() {
        let c = Client::new("vpn", "10.1.0.0/16", "0123456789abcdef", Flow::Otp, false, false).unwrap();
        assert!(c.matches("10.1.200.3".parse().unwrap()));
        assert!(!c.matches("10.2.0.1".parse().unwrap()));
        assert!(c.matches("::ffff:10.1.0.1".parse().unwrap()));
        let one = Client::new("vpn", "127.0.0.1", "0123456789abcdef", Flow::Otp, false, false).unwrap();
        assert!(one.matches("127.0.0.1".parse().unwrap()) && !one.matches("127.0.0.2".parse().unwrap()));
        let all = Client::new("vpn", "0.0.0.0/0", "0123456789abcdef", Flow::Otp, false, false).unwrap();
        assert!(all.matches("192.0.2.1".parse().unwrap()));
        assert!(Client::new("vpn", "127.0.0.1", "short", Flow::Otp, false, false).is_err());
        assert!(Client::new("vpn", "127.0.0.1/33", "0123456789abcdef", Flow::Otp, false, false).is_err());
        assert!(Client::new("vpn", "nonsense", "0123456789abcdef", Flow::Otp, false, false).is_err());
    }
}
