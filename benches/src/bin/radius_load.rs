//! Complete RADIUS logins per second against a running `matrixauth serve --radius`, on loopback:
//! each login is an Access-Request, the Access-Challenge with the grid, the answer read off the
//! grid, and the Access-Accept. Run by `scripts/bench.sh` (which starts the server and enrols the
//! users); prints one JSON line with logins/s and the p50 and p99 latency of a whole login.
//!
//!   radius_load ADDR SECRET USER_PREFIX USERS SECONDS [eap:HTTP_PORT]
//!
//! With `eap:HTTP_PORT`, each login is EAP-MSCHAPv2 (issue 25) as an IKEv2 gateway relays it: the
//! grid from the portal (`POST /api/challenge` on HTTP_PORT), then Identity, Challenge, Response,
//! Success request (its authenticator response checked), ack, and the Access-Accept with the
//! MPPE keys (checked against RFC 3079's from the answer): four RADIUS round trips and one HTTP
//! request. The client entry needs `eap = ["mschapv2"]`.
//!
//! Users USER_PREFIX0..USERS-1 must hold the pattern B2 G3 D5 A8 H1 E6 with "pw" after two
//! digits; one thread per user, so no two logins of one user overlap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use radius::eap::{self as codec, EapCode, EapPacket, EapType};
use radius::mschapv2::{self, MsChapV2};
use radius::{Attribute, Code, Packet, attr};

const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];

fn exchange(
    socket: &UdpSocket,
    secret: &[u8],
    id: u8,
    user: &str,
    password: &str,
    state: Option<&[u8]>,
) -> Packet {
    // The password is hidden under the request's authenticator: made here, then sent as is.
    let mut auth = [0u8; 16];
    getrandom::fill(&mut auth).unwrap();
    let mut attributes = vec![
        Attribute::new(attr::USER_NAME, user.as_bytes()).unwrap(),
        Attribute::new(
            attr::USER_PASSWORD,
            &radius::hide_password(secret, &auth, password.as_bytes()).unwrap(),
        )
        .unwrap(),
    ];
    if let Some(s) = state {
        attributes.push(Attribute::new(attr::STATE, s).unwrap());
    }
    send_with(socket, secret, id, auth, attributes)
}

/// Sends an Access-Request with these attributes (and Message-Authenticator) until a reply comes.
fn send(socket: &UdpSocket, secret: &[u8], id: u8, attributes: Vec<Attribute>) -> (Packet, [u8; 16]) {
    let mut auth = [0u8; 16];
    getrandom::fill(&mut auth).unwrap();
    (send_with(socket, secret, id, auth, attributes), auth)
}

/// [`send`] with a given Request Authenticator.
fn send_with(
    socket: &UdpSocket,
    secret: &[u8],
    id: u8,
    auth: [u8; 16],
    attributes: Vec<Attribute>,
) -> Packet {
    let wire = Packet { code: Code::AccessRequest, identifier: id, authenticator: auth, attributes }
        .encode_request(secret)
        .unwrap();
    let mut buf = [0u8; 4096];
    loop {
        socket.send(&wire).unwrap();
        match socket.recv(&mut buf) {
            Ok(n) => {
                assert!(radius::response_is_authentic(secret, &auth, &buf[..n]), "reply not authentic");
                return Packet::decode(&buf[..n]).unwrap();
            }
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
            }
            Err(e) => panic!("{e}"),
        }
    }
}

/// The portal's grid for `user` (`POST /api/challenge`), as rows of digits.
fn portal_grid(http_port: u16, user: &str) -> Vec<Vec<u8>> {
    use std::io::{Read, Write};
    let body = format!("{{\"user\":\"{user}\"}}");
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", http_port)).unwrap();
    write!(
        tcp,
        "POST /api/challenge HTTP/1.1\r\nHost: 127.0.0.1:{http_port}\r\nOrigin: http://127.0.0.1:{http_port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    tcp.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let matrix = reply.split_once("\"matrix\":[").unwrap().1.split_once("]]").unwrap().0;
    matrix.split("],").map(|row| row.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect()).collect()
}

/// The answer for CELLS with "pw" after two digits.
fn answer_of(rows: &[Vec<u8>]) -> String {
    let digits: Vec<String> = CELLS
        .iter()
        .map(|c| {
            let (col, row) = (usize::from(c.as_bytes()[0] - b'A'), c[1..].parse::<usize>().unwrap() - 1);
            rows[row][col].to_string()
        })
        .collect();
    format!("{}pw{}", digits[..2].concat(), digits[2..].concat())
}

/// One whole EAP-MSCHAPv2 login of `user`; panics unless it is accepted with the right keys.
fn eap_login(socket: &UdpSocket, secret: &[u8], id: &mut u8, user: &str, http_port: u16) {
    let answer = answer_of(&portal_grid(http_port, user));
    let name = Attribute::new(attr::USER_NAME, user.as_bytes()).unwrap();
    let mut step = |state: Option<&[u8]>, eap: &EapPacket| {
        *id = id.wrapping_add(1);
        let mut attributes = vec![name.clone()];
        if let Some(s) = state {
            attributes.push(Attribute::new(attr::STATE, s).unwrap());
        }
        attributes.extend(codec::to_attributes(&eap.encode().unwrap()).unwrap());
        let (reply, auth) = send(socket, secret, *id, attributes);
        let eap = codec::decode_from(&reply, codec::DEFAULT_MAX_EAP).unwrap().unwrap();
        (reply, eap, auth)
    };
    let (reply, request, _) = step(None, &EapPacket::response(1, EapType::Identity, user.as_bytes()));
    assert_eq!(reply.code, Code::AccessChallenge, "{user}");
    let state = reply.get(attr::STATE).unwrap().to_vec();
    let MsChapV2::Challenge { id: ms_id, challenge, .. } = MsChapV2::decode(&request.data).unwrap() else {
        panic!("no MSCHAPv2 Challenge for {user}")
    };
    let mut peer_challenge = [0u8; 16];
    getrandom::fill(&mut peer_challenge).unwrap();
    let nt_hash = mschapv2::nt_password_hash(&answer);
    let nt_response = mschapv2::generate_nt_response(&challenge, &peer_challenge, user.as_bytes(), &nt_hash);
    let response = MsChapV2::Response {
        id: ms_id,
        peer_challenge,
        nt_response,
        flags: 0,
        name: user.as_bytes().to_vec(),
    };
    let (_, request, _) =
        step(Some(&state), &response.to_eap(EapCode::Response, request.identifier).unwrap());
    let Ok(MsChapV2::SuccessRequest { message, .. }) = MsChapV2::decode(&request.data) else {
        panic!("no Success request for {user}")
    };
    let expected = mschapv2::generate_authenticator_response(
        &nt_hash,
        &nt_response,
        &peer_challenge,
        &challenge,
        user.as_bytes(),
    );
    assert!(mschapv2::verify_authenticator_response(&expected, &message[..42]), "authenticator response");
    let ack = MsChapV2::SuccessAck.to_eap(EapCode::Response, request.identifier).unwrap();
    let (accept, eap, auth) = step(Some(&state), &ack);
    assert_eq!((accept.code, eap.code), (Code::AccessAccept, EapCode::Success), "{user}");
    let send_key = mschapv2::find_vendor_attribute(&accept.attributes, mschapv2::MS_MPPE_SEND_KEY).unwrap();
    let keys = mschapv2::MppeKeys::server(&nt_hash, &nt_response);
    assert_eq!(&mschapv2::decrypt_mppe_key(secret, &auth, send_key).unwrap()[..], &keys.send[..]);
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let eap: Option<u16> =
        args.get(5).and_then(|a| a.strip_prefix("eap:")).map(|port| port.parse().expect("eap:HTTP_PORT"));
    args.truncate(5);
    let [addr, secret, prefix, users, seconds] = <[String; 5]>::try_from(args)
        .expect("usage: radius_load ADDR SECRET USER_PREFIX USERS SECONDS [eap:HTTP_PORT]");
    let users: usize = users.parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(seconds.parse().unwrap());
    let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
    let started = Instant::now();
    let threads: Vec<_> = (0..users)
        .map(|i| {
            let (addr, secret, user, cred) =
                (addr.clone(), secret.clone(), format!("{prefix}{i}"), cred.clone());
            std::thread::spawn(move || {
                let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
                socket.connect(&addr).unwrap();
                socket.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut latencies = Vec::new();
                let mut id = 0u8;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    if let Some(http_port) = eap {
                        eap_login(&socket, secret.as_bytes(), &mut id, &user, http_port);
                        latencies.push(t.elapsed());
                        continue;
                    }
                    id = id.wrapping_add(1);
                    let challenge = exchange(&socket, secret.as_bytes(), id, &user, "", None);
                    assert_eq!(challenge.code, Code::AccessChallenge, "{user}");
                    let text: String = challenge
                        .all(attr::REPLY_MESSAGE)
                        .map(|a| String::from_utf8(a.value().to_vec()).unwrap())
                        .collect();
                    let matrix = mx::Matrix::parse_text(text.split_once('\n').unwrap().1).unwrap();
                    let answer = cred.respond_matrix(&matrix).unwrap();
                    id = id.wrapping_add(1);
                    let state = challenge.get(attr::STATE).unwrap().to_vec();
                    let accept = exchange(&socket, secret.as_bytes(), id, &user, &answer, Some(&state));
                    assert_eq!(accept.code, Code::AccessAccept, "{user}");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all: Vec<Duration> = threads.into_iter().flat_map(|t| t.join().unwrap()).collect();
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "{{\"name\":\"{}\",\"logins\":{},\"seconds\":{elapsed:.1},\"logins_per_second\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"concurrency\":{users}}}",
        if eap.is_some() { "radius_eap_logins" } else { "radius_logins" },
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
}
