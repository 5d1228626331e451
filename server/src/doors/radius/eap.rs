//! EAP over RADIUS (RFC 3579, SPEC §17): the conversation of an IKEv2
//! gateway that passes its peer's EAP to RADIUS, with two methods.
//!
//! - **EAP-MSCHAPv2** (RFC 2759, draft-kamath-pppext-eap-mschapv2): the
//!   user saw the grid on the portal and typed the answer as a password;
//!   the peer proves it with an NT-Response, which the login service checks
//!   against the pending challenge ([`Login::answer_mschapv2`], the core's
//!   constant-time check). Identity → Challenge → Response → Success
//!   request (the authenticator response) → Success response →
//!   Access-Accept with EAP-Success and MS-MPPE-Send-Key/Recv-Key (RFC
//!   3079 keys, encrypted as RFC 2548 says), the gateway's MSK. A wrong
//!   answer gets the Failure request (`E=691`), then Access-Reject with
//!   EAP-Failure.
//! - **EAP-GTC** (RFC 3748 §5.6): the request's message is the grid, the
//!   same text as the challenge flow's Reply-Message; the response is the
//!   typed answer, examined as that flow examines it ([`Login::answer`]).
//!
//! The door decides nothing: it keeps the conversation and translates. Each
//! conversation lives under a random 16-byte `State`, bound to the client
//! (its entry and source address), the user and the `User-Name` the
//! gateway sent; a response must carry the identifier of the request it
//! answers (else it is discarded, RFC 3748 §4.1). Conversations expire
//! (a half-done one is forgotten), and the table is bounded: when full of
//! live ones, a new conversation is refused (dropped) and the ones under
//! way go on. Unknown ids take the same path as users (the service answers
//! them with decoys), so no reply tells them apart.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, PoisonError};

use radius::eap::{self as codec, EapCode, EapPacket, EapType};
use radius::mschapv2::{self, MppeKeys, MsChapV2};
use radius::{Attribute, Code, Packet, attr};
use serde::Deserialize;
use zeroize::{Zeroize, Zeroizing};

use super::{Client, reply, user_name};
use crate::login::{Decision, Login, Via};

/// An EAP method a RADIUS client may use (`eap = ["mschapv2", "gtc"]`; the
/// first is offered first, the peer may ask for another with a Nak).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// EAP-MSCHAPv2: the grid on the portal, the answer as the password.
    Mschapv2,
    /// EAP-GTC: the grid in the request's message.
    Gtc,
}

impl Method {
    /// The name in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Method::Mschapv2 => "mschapv2",
            Method::Gtc => "gtc",
        }
    }

    fn eap_type(self) -> EapType {
        match self {
            Method::Mschapv2 => EapType::MsChapV2,
            Method::Gtc => EapType::Gtc,
        }
    }
}

/// Conversations kept at once by default.
pub const MAX_CONVERSATIONS: usize = 4096;
/// Seconds an EAP-MSCHAPv2 conversation may wait for the peer's next
/// response (the password was typed before the Identity was sent).
pub const MSCHAPV2_SECONDS: u64 = 60;
/// The longest a GTC conversation waits for the typed answer, whatever the
/// challenge's lifetime.
pub const GTC_MAX_SECONDS: u64 = 600;
/// Expired conversations are swept at least this often (seconds), when a new one starts.
const SWEEP_SECONDS: u64 = 60;
/// The name in the MSCHAPv2 Challenge.
const SERVER_NAME: &[u8] = b"matrixauth";
/// The longest EAP identity taken (a User-Name's length).
const MAX_IDENTITY: usize = 253;

/// Where a conversation stands: what the last request asked.
enum Stage {
    /// Only the Identity came: no method is under way yet (never stored).
    Started,
    /// The MSCHAPv2 Challenge was sent.
    MsChapChallenge {
        /// The authenticator challenge.
        challenge: [u8; 16],
        /// Its MS-CHAPv2-ID.
        ms_id: u8,
    },
    /// The Success request was sent: the keys wait for the peer's ack.
    MsChapSuccess {
        /// The service's decision (an accept), for the Access-Accept.
        decision: Decision,
        /// The MPPE keys (wiped on drop).
        keys: MppeKeys,
    },
    /// The Failure request was sent: the reject waits for the peer's ack.
    MsChapFailure {
        /// The service's decision, for the Access-Reject.
        decision: Decision,
    },
    /// The GTC request with the grid was sent.
    Gtc {
        /// The challenge's token.
        token: Zeroizing<String>,
    },
}

/// One conversation.
struct Conversation {
    /// The client entry's index.
    client: usize,
    /// The client's source address.
    ip: IpAddr,
    /// The user, from the EAP identity (any `DOMAIN\` dropped).
    user: String,
    /// The User-Name attribute of the first request.
    user_name: Option<Vec<u8>>,
    /// The identifier of the last EAP request sent.
    identifier: u8,
    /// Forgotten from then on (Unix seconds).
    expires_at: u64,
    stage: Stage,
}

/// The table of conversations under way, by State.
pub struct Conversations {
    table: Mutex<Table>,
}

struct Table {
    map: HashMap<[u8; 16], Conversation>,
    capacity: usize,
    /// When expired conversations were last swept out.
    swept: u64,
}

impl Conversations {
    /// A table of at most `capacity` conversations.
    pub fn new(capacity: usize) -> Self {
        Conversations {
            table: Mutex::new(Table { map: HashMap::new(), capacity: capacity.max(1), swept: 0 }),
        }
    }

    /// Conversations held now (expired ones not yet swept included).
    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores a new conversation under a fresh State; `None` when the table
    /// is full of live conversations (or the system has no randomness).
    fn insert(&self, conversation: Conversation, now: u64) -> Option<[u8; 16]> {
        let mut t = self.lock();
        // Expired conversations (and the keys of one whose ack never came) go at least once a
        // minute, and whenever the table is full (once a second at most).
        let full = t.map.len() >= t.capacity;
        if (full && t.swept != now) || t.swept.saturating_add(SWEEP_SECONDS) <= now {
            t.map.retain(|_, c| c.expires_at > now);
            t.swept = now;
        }
        if t.map.len() >= t.capacity {
            return None;
        }
        let state = random::<16>()?;
        t.map.insert(state, conversation);
        Some(state)
    }

    /// Puts a conversation back under its State after a step (it was taken
    /// out, so it may exceed the capacity by the requests in flight).
    fn put_back(&self, state: [u8; 16], conversation: Conversation) {
        self.lock().map.insert(state, conversation);
    }
}

/// `N` random bytes, `None` if the system has none.
fn random<const N: usize>() -> Option<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).ok()?;
    Some(out)
}

/// What the door does with an EAP request: a reply, or nothing (the
/// reason is for the log).
pub(super) type Outcome = Result<Packet, &'static str>;

/// The context of one request.
struct Request<'a> {
    login: &'a Login,
    conversations: &'a Conversations,
    client: &'a Client,
    index: usize,
    from: SocketAddr,
    packet: &'a Packet,
    now: u64,
}

impl Request<'_> {
    fn via(&self) -> Via<'_> {
        Via::Radius(&self.client.name)
    }

    /// Access-Reject with EAP-Failure for a request the service refuses
    /// without examining anything (audited, nothing counted).
    fn refuse(&self, user: &str, identifier: u8) -> Outcome {
        self.finish(&self.login.refuse(user, self.via()), identifier)
    }

    /// The final reply for a decision: Access-Accept with EAP-Success, or
    /// Access-Reject with EAP-Failure (nothing: the store is unavailable).
    fn finish(&self, decision: &Decision, identifier: u8) -> Outcome {
        let mut packet = reply(self.packet, decision, self.now).ok_or("the database is unavailable")?;
        let eap = if packet.code == Code::AccessAccept {
            EapPacket::success(identifier)
        } else {
            EapPacket::failure(identifier)
        };
        push_eap(&mut packet, &eap)?;
        Ok(packet)
    }

    /// Access-Challenge carrying `eap` under `state`.
    fn challenge(&self, eap: &EapPacket, state: &[u8; 16], extra: Vec<Attribute>) -> Outcome {
        let mut attributes = extra;
        attributes.push(Attribute::new(attr::STATE, state).map_err(|_| "State")?);
        let mut packet = self.packet.reply(Code::AccessChallenge, attributes);
        push_eap(&mut packet, eap)?;
        Ok(packet)
    }
}

fn push_eap(packet: &mut Packet, eap: &EapPacket) -> Result<(), &'static str> {
    let wire = eap.encode().map_err(|_| "EAP reply does not encode")?;
    packet.attributes.extend(codec::to_attributes(&wire).map_err(|_| "EAP reply does not encode")?);
    Ok(())
}

/// A fresh EAP identifier, other than `previous`.
fn next_identifier(previous: u8) -> Option<u8> {
    let [b] = random::<1>()?;
    Some(if b == previous { b.wrapping_add(1) } else { b })
}

/// The reply to an authentic Access-Request that carries EAP-Message, from
/// client `index` at `from`.
pub(super) fn handle(
    login: &Login,
    conversations: &Conversations,
    index: usize,
    client: &Client,
    packet: &Packet,
    from: SocketAddr,
) -> Outcome {
    let r = Request { login, conversations, client, index, from, packet, now: login.now() };
    // A GTC response is the typed answer: the reassembled copy and the decoded one are wiped.
    let bytes = match codec::reassemble(packet, codec::DEFAULT_MAX_EAP) {
        Ok(Some(bytes)) => Zeroizing::new(bytes),
        Ok(None) => return Err("no EAP-Message"),
        Err(_) => return Err("malformed EAP-Message"),
    };
    // EAP is off for this client: Access-Reject with EAP-Failure, nothing examined (RFC 2869
    // §5.13 asks a server without EAP to reject, never to start a login).
    if client.eap.is_empty() {
        return r.refuse(user_name(packet), bytes.get(1).copied().unwrap_or(0));
    }
    // EAP-Start (one empty EAP-Message, RFC 3579 §2.1): ask for the identity.
    if bytes.is_empty() {
        if packet.get(attr::STATE).is_some() {
            return Err("EAP-Start with a State");
        }
        let id = next_identifier(0).ok_or("no randomness")?;
        let mut reply = packet.reply(Code::AccessChallenge, Vec::new());
        push_eap(&mut reply, &EapPacket::request(id, EapType::Identity, b""))?;
        return Ok(reply);
    }
    let Ok(mut eap) = EapPacket::decode(&bytes) else { return Err("malformed EAP packet") };
    let outcome = match (eap.code, packet.get(attr::STATE)) {
        (EapCode::Response, None) => start(&r, &eap),
        (EapCode::Response, Some(state)) => step(&r, state, &eap),
        _ => Err("an EAP packet other than a Response"),
    };
    eap.data.zeroize();
    outcome
}

/// The first response, the peer's Identity: a new conversation with the
/// client's first method.
fn start(r: &Request<'_>, eap: &EapPacket) -> Outcome {
    let Some(identity) = eap.identity() else { return Err("EAP response without State that is no Identity") };
    let user = std::str::from_utf8(mschapv2::user_name_for_hash(identity))
        .ok()
        .filter(|u| !u.is_empty() && identity.len() <= MAX_IDENTITY && !u.chars().any(char::is_control));
    let Some(user) = user else { return r.refuse(user_name(r.packet), eap.identifier) };
    let Some(&method) = r.client.eap.first() else { return r.refuse(user, eap.identifier) };
    let conversation = Conversation {
        client: r.index,
        ip: r.from.ip(),
        user: user.to_owned(),
        user_name: r.packet.get(attr::USER_NAME).map(<[u8]>::to_vec),
        identifier: eap.identifier,
        expires_at: r.now,
        stage: Stage::Started,
    };
    begin(r, None, conversation, method, eap.identifier)
}

/// Starts `method` in `conversation` (new, or after a Nak): the request
/// of its first step, the conversation stored under `state` (or a new
/// State).
fn begin(
    r: &Request<'_>,
    state: Option<[u8; 16]>,
    mut conversation: Conversation,
    method: Method,
    answered: u8,
) -> Outcome {
    let id = next_identifier(conversation.identifier).ok_or("no randomness")?;
    let (request, extra) = match method {
        Method::Mschapv2 => {
            let challenge = random::<16>().ok_or("no randomness")?;
            conversation.stage = Stage::MsChapChallenge { challenge, ms_id: id };
            conversation.expires_at = r.now.saturating_add(MSCHAPV2_SECONDS);
            let packet = MsChapV2::Challenge { id, challenge, name: SERVER_NAME.to_vec() };
            (packet.to_eap(EapCode::Request, id).map_err(|_| "EAP reply does not encode")?, Vec::new())
        }
        Method::Gtc => {
            let decision = r.login.challenge(&conversation.user, r.via());
            let Decision::Prompt(prompt) = &decision else { return r.finish(&decision, answered) };
            let text = super::prompt_text(prompt);
            conversation.stage = Stage::Gtc { token: Zeroizing::new(prompt.token().to_owned()) };
            let until = prompt.expires_at().min(r.now.saturating_add(GTC_MAX_SECONDS));
            conversation.expires_at = until;
            let mut extra = Attribute::text(attr::REPLY_MESSAGE, &text);
            extra.push(super::seconds(attr::SESSION_TIMEOUT, until.saturating_sub(r.now)));
            (EapPacket::request(id, EapType::Gtc, text.as_bytes()), extra)
        }
    };
    conversation.identifier = id;
    let state = match state {
        Some(state) => {
            r.conversations.put_back(state, conversation);
            state
        }
        None => r.conversations.insert(conversation, r.now).ok_or("too many EAP conversations under way")?,
    };
    r.challenge(&request, &state, extra)
}

/// A response in a conversation under way.
fn step(r: &Request<'_>, state: &[u8], eap: &EapPacket) -> Outcome {
    let claimed = user_name(r.packet);
    let Ok(state) = <[u8; 16]>::try_from(state) else { return r.refuse(claimed, eap.identifier) };
    let conversation = {
        let mut t = r.conversations.lock();
        let Some(c) = t.map.get(&state) else {
            drop(t);
            return r.refuse(claimed, eap.identifier);
        };
        if c.expires_at <= r.now {
            t.map.remove(&state);
            drop(t);
            return r.refuse(claimed, eap.identifier);
        }
        // Bound to the client and the user: anyone else's request is refused, the conversation
        // left as it was.
        if c.client != r.index
            || c.ip != r.from.ip()
            || c.user_name.as_deref() != r.packet.get(attr::USER_NAME)
        {
            drop(t);
            return r.refuse(claimed, eap.identifier);
        }
        // A response to another request: silently discarded (RFC 3748 §4.1), nothing changed.
        if c.identifier != eap.identifier {
            return Err("EAP identifier mismatch");
        }
        match t.map.remove(&state) {
            Some(c) => c,
            None => return Err("EAP conversation vanished"),
        }
    };
    let user = conversation.user.clone();
    if eap.kind == Some(EapType::Nak) {
        return nak(r, state, conversation, eap);
    }
    match (conversation.stage, eap.kind) {
        (Stage::MsChapChallenge { challenge, ms_id }, Some(EapType::MsChapV2)) => {
            let stage = Stage::MsChapChallenge { challenge, ms_id };
            let conversation = Conversation { stage, ..conversation };
            mschapv2_response(r, state, conversation, eap)
        }
        (Stage::MsChapSuccess { decision, keys }, Some(EapType::MsChapV2))
            if matches!(MsChapV2::decode(&eap.data), Ok(MsChapV2::SuccessAck)) =>
        {
            let mut packet = r.finish(&decision, eap.identifier)?;
            let send_salt = u16::from_be_bytes(random::<2>().ok_or("no randomness")?);
            let recv_salt = send_salt ^ 1;
            let keys = mschapv2::mppe_key_attributes(
                &r.client.secret,
                &r.packet.authenticator,
                &keys,
                send_salt,
                recv_salt,
            )
            .map_err(|_| "MPPE keys do not encode")?;
            packet.attributes.extend(keys);
            Ok(packet)
        }
        (Stage::MsChapFailure { decision }, Some(EapType::MsChapV2))
            if matches!(MsChapV2::decode(&eap.data), Ok(MsChapV2::FailureAck)) =>
        {
            r.finish(&decision, eap.identifier)
        }
        (Stage::Gtc { token }, Some(EapType::Gtc)) => {
            let Ok(answer) = std::str::from_utf8(&eap.data) else { return r.refuse(&user, eap.identifier) };
            let answer = Zeroizing::new(answer.to_owned());
            let decision = r.login.answer(&user, Some(&token), &answer, r.via(), None);
            if matches!(decision, Decision::Unavailable) {
                // Nothing was examined: the gateway's retry goes on from here.
                let stage = Stage::Gtc { token };
                r.conversations.put_back(state, Conversation { stage, ..conversation });
                return Err("the database is unavailable");
            }
            r.finish(&decision, eap.identifier)
        }
        // Anything else out of its place ends the conversation, nothing examined.
        _ => r.refuse(&user, eap.identifier),
    }
}

/// The peer asks for another method (RFC 3748 §5.3.1): the first one it
/// names that the client allows, other than the one offered; else the end.
fn nak(r: &Request<'_>, state: [u8; 16], conversation: Conversation, eap: &EapPacket) -> Outcome {
    let offered = match &conversation.stage {
        Stage::MsChapChallenge { .. } => Method::Mschapv2,
        Stage::Gtc { .. } => Method::Gtc,
        Stage::Started | Stage::MsChapSuccess { .. } | Stage::MsChapFailure { .. } => {
            return r.refuse(&conversation.user, eap.identifier);
        }
    };
    let asked = eap.nak_types().unwrap_or_default();
    let next = r.client.eap.iter().copied().find(|m| *m != offered && asked.contains(&m.eap_type()));
    match next {
        Some(method) => begin(r, Some(state), conversation, method, eap.identifier),
        None => r.refuse(&conversation.user, eap.identifier),
    }
}

/// The peer's MSCHAPv2 Response: the service checks it; a Success request
/// with the authenticator response, or a Failure request.
fn mschapv2_response(
    r: &Request<'_>,
    state: [u8; 16],
    conversation: Conversation,
    eap: &EapPacket,
) -> Outcome {
    let Stage::MsChapChallenge { challenge, ms_id } = conversation.stage else {
        return r.refuse(&conversation.user, eap.identifier);
    };
    let user = conversation.user.as_str();
    let Ok(MsChapV2::Response { id, peer_challenge, nt_response, name, .. }) = MsChapV2::decode(&eap.data)
    else {
        return r.refuse(user, eap.identifier);
    };
    // A Response to another Challenge: discarded, nothing examined, the conversation kept.
    if id != ms_id {
        let stage = Stage::MsChapChallenge { challenge, ms_id };
        r.conversations.put_back(state, Conversation { stage, ..conversation });
        return Err("MS-CHAPv2-ID mismatch");
    }
    // The name hashed must be the user's: the proof is of the conversation's user.
    let hashed = mschapv2::user_name_for_hash(&name);
    if hashed != user.as_bytes() {
        return r.refuse(user, eap.identifier);
    }
    let proof = mx::NtProof {
        authenticator_challenge: challenge,
        peer_challenge,
        user_name: hashed.to_vec(),
        nt_response,
    };
    let (decision, hash_hash) = r.login.answer_mschapv2(user, &proof, r.via());
    let id = next_identifier(eap.identifier).ok_or("no randomness")?;
    let (request, stage) = match (decision, hash_hash) {
        (Decision::Unavailable, _) => {
            let stage = Stage::MsChapChallenge { challenge, ms_id };
            r.conversations.put_back(state, Conversation { stage, ..conversation });
            return Err("the database is unavailable");
        }
        (decision @ Decision::Accepted(_), Some(hash_hash)) => {
            let response = mschapv2::authenticator_response_from_hash_hash(
                hash_hash.as_bytes(),
                &nt_response,
                &peer_challenge,
                &challenge,
                hashed,
            );
            let keys = MppeKeys::server_from_hash_hash(hash_hash.as_bytes(), &nt_response);
            let message = mschapv2::success_message(&response, "Login accepted");
            (MsChapV2::SuccessRequest { id, message }, Stage::MsChapSuccess { decision, keys })
        }
        // An accept without its hash-hash cannot be finished: refused as an internal error.
        (Decision::Accepted(_), None) => {
            let decision = Decision::Internal;
            let next = random::<16>().ok_or("no randomness")?;
            let message = mschapv2::failure_message(&next, "Login failed");
            (MsChapV2::FailureRequest { id, message }, Stage::MsChapFailure { decision })
        }
        (decision, _) => {
            let next = random::<16>().ok_or("no randomness")?;
            let message = mschapv2::failure_message(&next, "Login failed");
            (MsChapV2::FailureRequest { id, message }, Stage::MsChapFailure { decision })
        }
    };
    let request = request.to_eap(EapCode::Request, id).map_err(|_| "EAP reply does not encode")?;
    let conversation = Conversation {
        identifier: id,
        expires_at: r.now.saturating_add(MSCHAPV2_SECONDS),
        stage,
        ..conversation
    };
    r.conversations.put_back(state, conversation);
    r.challenge(&request, &state, Vec::new())
}
