//! Complete RADIUS logins per second against a running `matrixauth serve --radius`, on loopback:
//! each login is an Access-Request, the Access-Challenge with the grid, the answer read off the
//! grid, and the Access-Accept. Run by `scripts/bench.sh` (which starts the server and enrols the
//! users); prints one JSON line with logins/s and the p50 and p99 latency of a whole login.
//!
//!   radius_load ADDR SECRET USER_PREFIX USERS SECONDS
//!
//! Users USER_PREFIX0..USERS-1 must hold the pattern B2 G3 D5 A8 H1 E6 with "pw" after two
//! digits; one thread per user, so no two logins of one user overlap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::net::UdpSocket;
use std::time::{Duration, Instant};

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

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [addr, secret, prefix, users, seconds] =
        <[String; 5]>::try_from(args).expect("usage: radius_load ADDR SECRET USER_PREFIX USERS SECONDS");
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
        "{{\"name\":\"radius_logins\",\"logins\":{},\"seconds\":{elapsed:.1},\"logins_per_second\":{:.0},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"concurrency\":{users}}}",
        all.len(),
        all.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
}
