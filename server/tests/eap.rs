#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! EAP over RADIUS (SPEC §17, issue 25): whole EAP-MSCHAPv2 and EAP-GTC
//! conversations over UDP against the RADIUS door served on 127.0.0.1, and
//! every hostile case of the issue (the real eapol_test peer is in
//! scripts/eap-test.sh). The peer here is built from the `radius` crate's
//! codec: RFC 2759 hashes, RFC 2548 key decryption.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use matrixauth_server::doors::http::{App, Config};
use matrixauth_server::doors::radius::eap::Method;
use matrixauth_server::doors::radius::{Client, Flow, Radius, RateLimits};
use matrixauth_server::login::{Decision, Prompt, Via};
use radius::eap::{self, EapCode, EapPacket, EapType};
use radius::mschapv2::{self, MppeKeys, MsChapV2};
use radius::{Attribute, Code, Packet, attr};

const T0: u64 = 1_800_000_000;
const SECRET: &str = "a shared secret of 30 chars!!!";
const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];

struct H {
    radius: Arc<Radius>,
    app: Arc<App>,
    clock: Arc<AtomicU64>,
    addr: SocketAddr,
    _rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

fn cred() -> mx::PatternCredential {
    mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap()
}

/// `matrixauth serve`'s RADIUS door on a free UDP port of 127.0.0.1: client `vpn1` (127.0.0.0/8,
/// legacy, so only the EAP rule can drop a request without Message-Authenticator) with EAP
/// `methods`, and client `noeap` (127.0.0.2) without EAP. `alice` and `bob` are enrolled.
fn served(methods: &[Method], conversations: usize) -> H {
    let dir = tempfile::tempdir().unwrap();
    let (login, keyring, clock) = common::login_in(dir.path(), T0);
    let app = App::new(Config {
        login,
        audience: "vpn1".into(),
        assets: Some(dir.path().join("none")),
        appliance_url: None,
        origins: vec!["http://127.0.0.1:8080".into()],
        api_rate: matrixauth_server::doors::http::ApiRate::default(),
        trusted_proxies: Vec::new(),
        metrics_allow: Vec::new(),
    })
    .unwrap();
    for user in ["alice", "bob"] {
        let sealed = cred().seal(&keyring, user).unwrap();
        assert!(app.login().store().create_user(user, &sealed, &mx::UserState::new(), T0, &[]).unwrap());
    }
    let noeap = Client::new("noeap", "127.0.0.2", SECRET, Flow::Otp, false, false).unwrap();
    let vpn1 = Client::new("vpn1", "127.0.0.0/8", SECRET, Flow::Otp, true, false)
        .unwrap()
        .with_eap(methods)
        .unwrap();
    let limits = RateLimits::from_keys("", Some(0), None, Some(0), None).unwrap();
    let radius = Arc::new(
        Radius::new(Arc::clone(app.login()), vec![noeap, vpn1])
            .with_rate_limits(&limits)
            .with_eap_conversations(conversations),
    );
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    socket.set_nonblocking(true).unwrap();
    let r = Arc::clone(&radius);
    rt.spawn(async move {
        let socket = tokio::net::UdpSocket::from_std(socket).unwrap();
        matrixauth_server::doors::radius::serve(socket, r).await
    });
    H { radius, app, clock, addr, _rt: rt, _dir: dir }
}

impl H {
    fn failures(&self, user: &str) -> u32 {
        self.app.login().store().load(user).unwrap().unwrap().state.failures_since_success()
    }

    /// The grid the portal shows `user` (the pending challenge), and its right answer.
    fn portal_answer(&self, user: &str) -> String {
        match self.app.login().challenge(user, Via::Http) {
            Decision::Prompt(Prompt::Grid { matrix, .. }) => {
                cred().respond_matrix(&matrix).unwrap().to_string()
            }
            other => panic!("no grid: {other:?}"),
        }
    }

    fn peer(&self, from: &str) -> Peer {
        let sock = UdpSocket::bind(from).unwrap();
        sock.connect(self.addr).unwrap();
        Peer { sock, next: 0 }
    }
}

static SENT: AtomicU64 = AtomicU64::new(0);

/// A NAS (an IKEv2 gateway) passing its peer's EAP to RADIUS.
struct Peer {
    sock: UdpSocket,
    next: u8,
}

/// An Access-Request as sent and the reply, if any.
struct Exchange {
    request: Packet,
    reply: Option<Packet>,
}

impl Peer {
    fn packet(&mut self, user: &str, state: Option<&[u8]>, eap_attrs: Vec<Attribute>) -> Packet {
        let id = self.next;
        self.next = self.next.wrapping_add(1);
        let mut auth = [0u8; 16];
        auth[..8].copy_from_slice(&SENT.fetch_add(1, Ordering::SeqCst).to_be_bytes());
        auth[8] = id;
        auth[9..].copy_from_slice(&std::process::id().to_be_bytes().repeat(2)[..7]);
        let mut attributes = vec![Attribute::new(attr::USER_NAME, user.as_bytes()).unwrap()];
        if let Some(s) = state {
            attributes.push(Attribute::new(attr::STATE, s).unwrap());
        }
        attributes.extend(eap_attrs);
        Packet { code: Code::AccessRequest, identifier: id, authenticator: auth, attributes }
    }

    /// Sends `wire` and waits for the reply (`None`: nothing within `wait`).
    fn exchange_wire(&mut self, request: Packet, wire: &[u8], wait: Duration) -> Exchange {
        self.sock.send(wire).unwrap();
        self.sock.set_read_timeout(Some(wait)).unwrap();
        let mut buf = [0u8; 4096];
        let reply = match self.sock.recv(&mut buf) {
            Ok(n) => {
                assert!(radius::response_is_authentic(SECRET.as_bytes(), &request.authenticator, &buf[..n]));
                let p = Packet::decode(&buf[..n]).unwrap();
                // Checked by response_is_authentic when present: it must be, and first.
                assert_eq!(p.attributes[0].kind, attr::MESSAGE_AUTHENTICATOR, "Message-Authenticator first");
                Some(p)
            }
            Err(_) => None,
        };
        Exchange { request, reply }
    }

    fn send_eap(&mut self, user: &str, state: Option<&[u8]>, eap: &EapPacket) -> Exchange {
        let attrs = eap::to_attributes(&eap.encode().unwrap()).unwrap();
        let request = self.packet(user, state, attrs);
        let wire = request.encode_request(SECRET.as_bytes()).unwrap();
        self.exchange_wire(request, &wire, Duration::from_secs(5))
    }

    /// Sends and expects no reply (a silent discard).
    fn dropped(&mut self, user: &str, state: Option<&[u8]>, attrs: Vec<Attribute>) {
        let request = self.packet(user, state, attrs);
        let wire = request.encode_request(SECRET.as_bytes()).unwrap();
        let e = self.exchange_wire(request, &wire, Duration::from_millis(400));
        assert!(e.reply.is_none(), "expected a silent discard, got {:?}", e.reply.map(|p| p.code));
    }
}

/// The EAP packet of a reply.
fn eap_of(p: &Packet) -> EapPacket {
    eap::decode_from(p, eap::DEFAULT_MAX_EAP).unwrap().expect("an EAP-Message")
}

fn text(p: &Packet) -> String {
    p.all(attr::REPLY_MESSAGE).map(|a| String::from_utf8(a.value().to_vec()).unwrap()).collect()
}

/// Where a conversation stands on the peer's side.
struct Conv {
    state: Vec<u8>,
    request: EapPacket,
}

/// Identity → the server's first request.
fn identity(peer: &mut Peer, user: &str) -> Conv {
    let e = peer.send_eap(user, None, &EapPacket::response(7, EapType::Identity, user.as_bytes()));
    let reply = e.reply.expect("a reply to the identity");
    assert_eq!(reply.code, Code::AccessChallenge);
    Conv { state: reply.get(attr::STATE).unwrap().to_vec(), request: eap_of(&reply) }
}

/// The peer's MSCHAPv2 Response to `conv`'s Challenge for `password`, with the values to check
/// the server's answer.
struct NtAnswer {
    eap: EapPacket,
    nt_hash: zeroize::Zeroizing<[u8; 16]>,
    nt_response: [u8; 24],
    peer_challenge: [u8; 16],
    challenge: [u8; 16],
}

fn nt_answer(conv: &Conv, user: &str, password: &str) -> NtAnswer {
    assert_eq!(conv.request.kind, Some(EapType::MsChapV2));
    let MsChapV2::Challenge { id, challenge, name } = MsChapV2::decode(&conv.request.data).unwrap() else {
        panic!("not a Challenge")
    };
    assert_eq!(name, b"matrixauth");
    let peer_challenge = [0x42; 16];
    let nt_hash = mschapv2::nt_password_hash(password);
    let nt_response = mschapv2::generate_nt_response(&challenge, &peer_challenge, user.as_bytes(), &nt_hash);
    let response =
        MsChapV2::Response { id, peer_challenge, nt_response, flags: 0, name: user.as_bytes().to_vec() };
    NtAnswer {
        eap: response.to_eap(EapCode::Response, conv.request.identifier).unwrap(),
        nt_hash,
        nt_response,
        peer_challenge,
        challenge,
    }
}

/// A whole EAP-MSCHAPv2 login of `user` typing `password`; the final reply.
fn mschapv2_login(peer: &mut Peer, user: &str, password: &str) -> (Packet, Packet) {
    let conv = identity(peer, user);
    let a = nt_answer(&conv, user, password);
    let e = peer.send_eap(user, Some(&conv.state), &a.eap);
    let reply = e.reply.unwrap();
    assert_eq!(reply.code, Code::AccessChallenge);
    assert_eq!(reply.get(attr::STATE).unwrap(), &conv.state[..], "one State for the conversation");
    let req = eap_of(&reply);
    let ack = match MsChapV2::decode(&req.data).unwrap() {
        MsChapV2::SuccessRequest { message, .. } => {
            let expected = mschapv2::generate_authenticator_response(
                &a.nt_hash,
                &a.nt_response,
                &a.peer_challenge,
                &a.challenge,
                user.as_bytes(),
            );
            assert_eq!(&message[..42], &expected[..], "the authenticator response proves the server");
            MsChapV2::SuccessAck
        }
        MsChapV2::FailureRequest { message, .. } => {
            let m = String::from_utf8(message).unwrap();
            assert!(m.starts_with("E=691 R=0 C=") && m.contains(" V=3 M="), "{m}");
            MsChapV2::FailureAck
        }
        other => panic!("{other:?}"),
    };
    let e = peer.send_eap(user, Some(&conv.state), &ack.to_eap(EapCode::Response, req.identifier).unwrap());
    let last = e.reply.unwrap();
    assert_eq!(eap_of(&last).identifier, req.identifier);
    (e.request, last)
}

#[test]
fn mschapv2_logs_in_with_the_grid_from_the_portal_and_the_keys_match() {
    let h = served(&[Method::Mschapv2, Method::Gtc], 64);
    let mut peer = h.peer("127.0.0.1:0");
    let answer = h.portal_answer("alice");
    let (request, accept) = mschapv2_login(&mut peer, "alice", &answer);
    assert_eq!(accept.code, Code::AccessAccept, "{}", text(&accept));
    assert_eq!(eap_of(&accept).code, EapCode::Success);
    assert!(accept.get(attr::SESSION_TIMEOUT).is_some());
    // The MPPE keys (RFC 2548, under this client's secret and the last request's authenticator)
    // are RFC 3079's, from the answer the peer typed: the gateway's MSK is the peer's.
    let send = mschapv2::find_vendor_attribute(&accept.attributes, mschapv2::MS_MPPE_SEND_KEY).unwrap();
    let recv = mschapv2::find_vendor_attribute(&accept.attributes, mschapv2::MS_MPPE_RECV_KEY).unwrap();
    let send = mschapv2::decrypt_mppe_key(SECRET.as_bytes(), &request.authenticator, send).unwrap();
    let recv = mschapv2::decrypt_mppe_key(SECRET.as_bytes(), &request.authenticator, recv).unwrap();
    assert_eq!(send.len(), 16);
    assert_eq!(recv.len(), 16);
    assert_ne!(&send[..], &recv[..]);
    assert_eq!(h.failures("alice"), 0);
    assert_eq!(h.radius.eap_conversations(), 0, "a finished conversation is forgotten");
    // The same answer again in a new conversation: the challenge was used, refused.
    let (_, again) = mschapv2_login(&mut peer, "alice", &answer);
    assert_eq!(again.code, Code::AccessReject);
    assert_eq!(eap_of(&again).code, EapCode::Failure);
}

#[test]
fn mschapv2_keys_equal_rfc3079_from_the_typed_answer() {
    let h = served(&[Method::Mschapv2], 64);
    let mut peer = h.peer("127.0.0.1:0");
    let answer = h.portal_answer("bob");
    let conv = identity(&mut peer, "bob");
    let a = nt_answer(&conv, "bob", &answer);
    let reply = peer.send_eap("bob", Some(&conv.state), &a.eap).reply.unwrap();
    let req = eap_of(&reply);
    assert!(matches!(MsChapV2::decode(&req.data).unwrap(), MsChapV2::SuccessRequest { .. }));
    // A replayed Response (a new request, not a retransmission) after the check: discarded.
    peer.dropped("bob", Some(&conv.state), eap::to_attributes(&a.eap.encode().unwrap()).unwrap());
    let e = peer.send_eap(
        "bob",
        Some(&conv.state),
        &MsChapV2::SuccessAck.to_eap(EapCode::Response, req.identifier).unwrap(),
    );
    let accept = e.reply.unwrap();
    assert_eq!(accept.code, Code::AccessAccept);
    let keys = MppeKeys::server(&a.nt_hash, &a.nt_response);
    let send = mschapv2::find_vendor_attribute(&accept.attributes, mschapv2::MS_MPPE_SEND_KEY).unwrap();
    let recv = mschapv2::find_vendor_attribute(&accept.attributes, mschapv2::MS_MPPE_RECV_KEY).unwrap();
    assert_eq!(
        &mschapv2::decrypt_mppe_key(SECRET.as_bytes(), &e.request.authenticator, send).unwrap()[..],
        &keys.send[..]
    );
    assert_eq!(
        &mschapv2::decrypt_mppe_key(SECRET.as_bytes(), &e.request.authenticator, recv).unwrap()[..],
        &keys.recv[..]
    );
    // The finished conversation's State again: refused, nothing counted.
    let e = peer.send_eap(
        "bob",
        Some(&conv.state),
        &MsChapV2::SuccessAck.to_eap(EapCode::Response, req.identifier).unwrap(),
    );
    assert_eq!(e.reply.unwrap().code, Code::AccessReject);
    assert_eq!(h.failures("bob"), 0);
}

#[test]
fn mschapv2_wrong_answer_counts_a_failure_and_a_locked_user_is_refused() {
    let h = served(&[Method::Mschapv2], 64);
    let mut peer = h.peer("127.0.0.1:0");
    for n in 1..=5 {
        let right = h.portal_answer("alice");
        let wrong = format!("{right}0");
        let (_, reject) = mschapv2_login(&mut peer, "alice", &wrong);
        assert_eq!(reject.code, Code::AccessReject);
        assert_eq!(eap_of(&reject).code, EapCode::Failure);
        assert!(mschapv2::find_vendor_attribute(&reject.attributes, mschapv2::MS_MPPE_SEND_KEY).is_none());
        if n < 5 {
            assert_eq!(h.failures("alice"), n, "each wrong answer counts one failure");
        }
    }
    // Locked: the portal shows no grid, and the EAP login is refused with the lock's message.
    assert!(matches!(h.app.login().challenge("alice", Via::Http), Decision::Locked(_)));
    let (_, locked) = mschapv2_login(&mut peer, "alice", "00pw0000");
    assert_eq!(locked.code, Code::AccessReject);
    assert!(text(&locked).contains("Locked until"), "{}", text(&locked));
    // An unknown id gets the same conversation: a Challenge, then a Failure request and a reject.
    let (_, nobody) = mschapv2_login(&mut peer, "nobody", "00pw0000");
    assert_eq!(nobody.code, Code::AccessReject);
    assert_eq!(text(&nobody), "Login failed / ログインできません");
}

#[test]
fn gtc_shows_the_grid_in_the_prompt_and_checks_the_typed_answer() {
    // MSCHAPv2 is offered first; the peer asks for GTC with a Nak.
    let h = served(&[Method::Mschapv2, Method::Gtc], 64);
    let mut peer = h.peer("127.0.0.1:0");
    let gtc = |peer: &mut Peer, user: &str| -> (Conv, String) {
        let conv = identity(peer, user);
        assert_eq!(conv.request.kind, Some(EapType::MsChapV2));
        let nak = EapPacket::response(conv.request.identifier, EapType::Nak, &[6]);
        let reply = peer.send_eap(user, Some(&conv.state), &nak).reply.unwrap();
        assert_eq!(reply.code, Code::AccessChallenge);
        let req = eap_of(&reply);
        assert_eq!(req.kind, Some(EapType::Gtc));
        let prompt = String::from_utf8(req.data.clone()).unwrap();
        // The challenge flow's Reply-Message, to the byte.
        assert_eq!(text(&reply), prompt);
        assert!(prompt.starts_with("Matrix login / マトリクス認証\n"), "{prompt}");
        (Conv { state: reply.get(attr::STATE).unwrap().to_vec(), request: req }, prompt)
    };
    let (conv, prompt) = gtc(&mut peer, "alice");
    let matrix = mx::Matrix::parse_text(prompt.split_once('\n').unwrap().1).unwrap();
    let answer = cred().respond_matrix(&matrix).unwrap().to_string();
    let resp = EapPacket::response(conv.request.identifier, EapType::Gtc, answer.as_bytes());
    let accept = peer.send_eap("alice", Some(&conv.state), &resp).reply.unwrap();
    assert_eq!(accept.code, Code::AccessAccept, "{}", text(&accept));
    assert_eq!(eap_of(&accept).code, EapCode::Success);
    // A wrong typed answer: reject with EAP-Failure, one failure counted.
    let (conv, _) = gtc(&mut peer, "alice");
    let resp = EapPacket::response(conv.request.identifier, EapType::Gtc, b"00pw0000");
    let reject = peer.send_eap("alice", Some(&conv.state), &resp).reply.unwrap();
    assert_eq!(reject.code, Code::AccessReject);
    assert_eq!(eap_of(&reject).code, EapCode::Failure);
    assert_eq!(h.failures("alice"), 1);
    // A 300-character answer arrives in two EAP-Message attributes (RFC 3579 §3.1), is put back
    // together and examined: a wrong answer, counted.
    let (conv, _) = gtc(&mut peer, "alice");
    let long = EapPacket::response(conv.request.identifier, EapType::Gtc, &[b'7'; 300]);
    assert_eq!(eap::to_attributes(&long.encode().unwrap()).unwrap().len(), 2);
    let reject = peer.send_eap("alice", Some(&conv.state), &long).reply.unwrap();
    assert_eq!(reject.code, Code::AccessReject);
    assert_eq!(h.failures("alice"), 2);
    // An unknown id gets a grid too (a decoy's).
    let (_, decoy) = gtc(&mut peer, "nobody");
    assert!(mx::Matrix::parse_text(decoy.split_once('\n').unwrap().1).is_ok());
}

#[test]
fn a_client_without_eap_gets_reject_and_eap_failure() {
    let h = served(&[Method::Mschapv2], 64);
    let mut peer = h.peer("127.0.0.2:0");
    let e = peer.send_eap("alice", None, &EapPacket::response(9, EapType::Identity, b"alice"));
    let reply = e.reply.unwrap();
    assert_eq!(reply.code, Code::AccessReject);
    assert_eq!(eap_of(&reply), EapPacket::failure(9));
    assert_eq!(h.radius.eap_conversations(), 0);
    assert_eq!(h.failures("alice"), 0);
}

#[test]
fn hostile_eap_is_dropped_or_rejected_and_changes_nothing() {
    let h = served(&[Method::Mschapv2], 64);
    let mut peer = h.peer("127.0.0.1:0");
    let answer = h.portal_answer("alice");
    let conv = identity(&mut peer, "alice");
    let a = nt_answer(&conv, "alice", &answer);

    // An identifier mismatch: silently discarded.
    let mut other_id = a.eap.clone();
    other_id.identifier = a.eap.identifier.wrapping_add(1);
    peer.dropped("alice", Some(&conv.state), eap::to_attributes(&other_id.encode().unwrap()).unwrap());

    // A truncated EAP-Message: the EAP Length says more than came.
    let wire = a.eap.encode().unwrap();
    peer.dropped("alice", Some(&conv.state), eap::to_attributes(&wire[..wire.len() - 5]).unwrap());

    // Fragments that never end: EAP-Message attributes filling the packet for an EAP packet that
    // claims 65535 bytes; and a fragment after another attribute (not consecutive).
    let mut endless = wire.clone();
    endless[2..4].copy_from_slice(&u16::MAX.to_be_bytes());
    endless.resize(3700, 0);
    peer.dropped("alice", Some(&conv.state), eap::to_attributes(&endless).unwrap());
    let mut split = eap::to_attributes(&wire[..10]).unwrap();
    split.push(Attribute::new(attr::NAS_IDENTIFIER, b"gw").unwrap());
    split.extend(eap::to_attributes(&wire[10..]).unwrap());
    peer.dropped("alice", Some(&conv.state), split);

    // EAP without Message-Authenticator (from a legacy client, whose PAP would pass): dropped.
    let request = peer.packet("alice", Some(&conv.state), eap::to_attributes(&wire).unwrap());
    let bare = request.encode().unwrap();
    assert!(peer.exchange_wire(request, &bare, Duration::from_millis(400)).reply.is_none());

    // A State from another user: bob's conversation, alice's name: refused; bob's goes on.
    let bob = identity(&mut peer, "bob");
    let bob_answer = nt_answer(&bob, "bob", "00pw0000");
    let stolen = peer.send_eap("alice", Some(&bob.state), &bob_answer.eap);
    assert_eq!(stolen.reply.unwrap().code, Code::AccessReject);
    let stolen = peer.send_eap("alice", Some(&bob.state), &a.eap);
    assert_eq!(stolen.reply.unwrap().code, Code::AccessReject);

    // An MSCHAPv2 Response for another challenge (bob's second conversation's Response in his
    // first): discarded while its identifiers differ, never examined.
    let bob2 = loop {
        let c = identity(&mut peer, "bob");
        if c.request.identifier != bob.request.identifier {
            break c;
        }
    };
    let b2 = nt_answer(&bob2, "bob", "00pw0000");
    peer.dropped("bob", Some(&bob.state), eap::to_attributes(&b2.eap.encode().unwrap()).unwrap());
    // Same EAP identifier, another MS-CHAPv2-ID: discarded too.
    let MsChapV2::Response { peer_challenge, nt_response, .. } = MsChapV2::decode(&b2.eap.data).unwrap()
    else {
        panic!()
    };
    let MsChapV2::Challenge { id, .. } = MsChapV2::decode(&bob.request.data).unwrap() else { panic!() };
    let foreign = MsChapV2::Response {
        id: id.wrapping_add(1),
        peer_challenge,
        nt_response,
        flags: 0,
        name: b"bob".to_vec(),
    }
    .to_eap(EapCode::Response, bob.request.identifier)
    .unwrap();
    peer.dropped("bob", Some(&bob.state), eap::to_attributes(&foreign.encode().unwrap()).unwrap());

    // Nothing counted, nothing used: alice's conversation still logs her in.
    assert_eq!(h.failures("alice"), 0);
    assert_eq!(h.failures("bob"), 0);
    let reply = peer.send_eap("alice", Some(&conv.state), &a.eap).reply.unwrap();
    let req = eap_of(&reply);
    assert!(matches!(MsChapV2::decode(&req.data).unwrap(), MsChapV2::SuccessRequest { .. }));
    let ack = MsChapV2::SuccessAck.to_eap(EapCode::Response, req.identifier).unwrap();
    assert_eq!(peer.send_eap("alice", Some(&conv.state), &ack).reply.unwrap().code, Code::AccessAccept);
}

#[test]
fn half_done_conversations_expire_and_a_flood_is_bounded() {
    let h = served(&[Method::Mschapv2], 16);
    let mut peer = h.peer("127.0.0.1:0");
    let answer = h.portal_answer("alice");
    let conv = identity(&mut peer, "alice");
    // A flood of half-open conversations: the table holds 16, the rest are dropped.
    for n in 0..40 {
        let identity = EapPacket::response(1, EapType::Identity, format!("u{n}").as_bytes());
        if n < 15 {
            assert_eq!(peer.send_eap("x", None, &identity).reply.unwrap().code, Code::AccessChallenge);
        } else {
            peer.dropped("x", None, eap::to_attributes(&identity.encode().unwrap()).unwrap());
        }
    }
    assert_eq!(h.radius.eap_conversations(), 16);
    // The conversation under way goes on (not evicted by the flood)... until it expires.
    h.clock.fetch_add(61, Ordering::SeqCst);
    let a = nt_answer(&conv, "alice", &answer);
    let reply = peer.send_eap("alice", Some(&conv.state), &a.eap).reply.unwrap();
    assert_eq!(reply.code, Code::AccessReject, "an expired conversation is refused");
    assert_eq!(eap_of(&reply).code, EapCode::Failure);
    assert_eq!(h.failures("alice"), 0, "nothing examined");
    // Expired ones make room again.
    let fresh = identity(&mut peer, "alice");
    assert!(h.radius.eap_conversations() <= 16);
    // The grid is still pending (the portal's challenge lasts 180 s): a login completes.
    let a = nt_answer(&fresh, "alice", &answer);
    let reply = peer.send_eap("alice", Some(&fresh.state), &a.eap).reply.unwrap();
    assert!(matches!(MsChapV2::decode(&eap_of(&reply).data).unwrap(), MsChapV2::SuccessRequest { .. }));
}

/// Every single-byte change to the headers of an MSCHAPv2 Response (the EAP code, identifier,
/// length and type; the MSCHAPv2 OpCode, MS-CHAPv2-ID, MS-Length and Value-Size), each in a
/// fresh conversation: dropped or refused, never examined, never a crash. The answer itself is
/// right, so only a header check can stand between each one and a counted verification.
#[test]
fn mutated_headers_are_dropped_or_refused_and_never_examined() {
    let h = served(&[Method::Mschapv2, Method::Gtc], 4096);
    let from: SocketAddr = "127.0.0.1:50001".parse().unwrap();
    let mut peer = Peer { sock: UdpSocket::bind("127.0.0.1:0").unwrap(), next: 0 };
    let answer = h.portal_answer("alice");
    let direct = |peer: &mut Peer, state: Option<&[u8]>, eap_bytes: &[u8]| -> Option<Packet> {
        let request = peer.packet("alice", state, eap::to_attributes(eap_bytes).unwrap());
        let wire = request.encode_request(SECRET.as_bytes()).unwrap();
        match h.radius.handle(&wire, from) {
            matrixauth_server::doors::radius::Action::Reply(bytes) => Some(Packet::decode(&bytes).unwrap()),
            matrixauth_server::doors::radius::Action::Drop(_) => None,
        }
    };
    let (mut dropped, mut refused) = (0, 0);
    for at in 0..10 {
        for delta in [1u8, 0x80, 0xff] {
            let identity = EapPacket::response(3, EapType::Identity, b"alice").encode().unwrap();
            let reply = direct(&mut peer, None, &identity).unwrap();
            let conv = Conv { state: reply.get(attr::STATE).unwrap().to_vec(), request: eap_of(&reply) };
            let mut wire = nt_answer(&conv, "alice", &answer).eap.encode().unwrap();
            wire[at] = wire[at].wrapping_add(delta);
            match direct(&mut peer, Some(&conv.state), &wire) {
                None => dropped += 1,
                Some(p) => {
                    assert_eq!(p.code, Code::AccessReject, "byte {at} + {delta}");
                    assert_eq!(eap_of(&p).code, EapCode::Failure);
                    refused += 1;
                }
            }
            assert_eq!(h.failures("alice"), 0, "byte {at} + {delta}: nothing examined");
        }
    }
    assert_eq!(dropped + refused, 30);
    // The grid is still pending and unspent: the unmutated Response logs in.
    let identity = EapPacket::response(3, EapType::Identity, b"alice").encode().unwrap();
    let reply = direct(&mut peer, None, &identity).unwrap();
    let conv = Conv { state: reply.get(attr::STATE).unwrap().to_vec(), request: eap_of(&reply) };
    let response = nt_answer(&conv, "alice", &answer).eap.encode().unwrap();
    let req = eap_of(&direct(&mut peer, Some(&conv.state), &response).unwrap());
    assert!(matches!(MsChapV2::decode(&req.data).unwrap(), MsChapV2::SuccessRequest { .. }));
}

/// A gateway's retransmission of a Response (the same datagram) gets the same reply from the
/// RADIUS cache (RFC 5080): a wrong answer is examined and counted once.
#[test]
fn a_retransmitted_response_is_answered_from_the_cache_and_examined_once() {
    let h = served(&[Method::Mschapv2], 64);
    let mut peer = h.peer("127.0.0.1:0");
    let right = h.portal_answer("alice");
    let conv = identity(&mut peer, "alice");
    let wrong = nt_answer(&conv, "alice", "00pw0000");
    let request =
        peer.packet("alice", Some(&conv.state), eap::to_attributes(&wrong.eap.encode().unwrap()).unwrap());
    let wire = request.encode_request(SECRET.as_bytes()).unwrap();
    let first = peer.exchange_wire(request.clone(), &wire, Duration::from_secs(5)).reply.unwrap();
    for _ in 0..3 {
        let again = peer.exchange_wire(request.clone(), &wire, Duration::from_secs(5)).reply.unwrap();
        assert_eq!(again, first, "the same reply, byte for byte");
    }
    assert!(matches!(MsChapV2::decode(&eap_of(&first).data).unwrap(), MsChapV2::FailureRequest { .. }));
    assert_eq!(h.failures("alice"), 1, "examined and counted once");
    // The wrong answer used the grid; the right answer to it is refused, a new grid's accepted.
    let (_, used) = mschapv2_login(&mut peer, "alice", &right);
    assert_eq!(used.code, Code::AccessReject);
    let (_, accept) = mschapv2_login(&mut peer, "alice", &h.portal_answer("alice"));
    assert_eq!(accept.code, Code::AccessAccept, "{}", text(&accept));
    assert_eq!(h.failures("alice"), 0, "a login clears the count");
}
