//! Terminal demo of a matrix login: `cargo run --example login`.
//!
//! Enrols a demo credential, then loops: shows a fresh 8×8 matrix, reads the
//! answer from standard input, verifies it and prints the outcome, the
//! counters and the audit event. Five wrong answers lock the demo user, just
//! as a real server would. End with Ctrl-D or an empty line.

use std::io::{BufRead, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use matrixauth::{Authenticator, Error, Keyring, PatternCredential, Policy, UserState};

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let key = Keyring::generate_key()?;
    let auth = Authenticator::new(Keyring::new(key.as_ref(), 1)?, Policy::default())?;
    let cells = ["B2", "G3", "D5", "A8", "H1", "E6"];
    let credential = PatternCredential::from_names(&cells, "pw", 2)?;
    auth.check_credential(&credential)?;
    let strength = auth.strength(&credential);
    println!("matrixauth demo login");
    println!("Demo credential: pattern {} and fixed string \"pw\" after the 2nd digit.", cells.join(" "));
    println!(
        "Strength: {:.1} bits of pattern space; one online guess succeeds with probability {:.0e};",
        strength.pattern_space_bits, strength.guess_probability
    );
    println!(
        "a watcher expects {:.0} candidate patterns after one observed login, {:.1} after two.\n",
        strength.candidates_after[0], strength.candidates_after[1]
    );

    let mut state = UserState::new();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        let challenge = match auth.issue_challenge("demo", &mut state, now()) {
            Ok(c) => c,
            Err(Error::Locked { locked_until }) => {
                println!("The demo user is locked until {locked_until:?} (Unix seconds). Bye.");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        println!("{}", challenge.matrix.render_text());
        print!("Answer (fixed string + digits, empty line to quit): ");
        std::io::stdout().flush()?;
        let Some(Ok(line)) = lines.next() else { break };
        if line.trim().is_empty() {
            break;
        }
        let verdict = auth.verify("demo", &credential, &mut state, &challenge.token, &line, now())?;
        println!(
            "=> {}  (consecutive failures {}, since success {})",
            verdict.outcome,
            state.consecutive_failures(),
            state.failures_since_success()
        );
        println!("audit: {}\n", verdict.event.to_json());
    }
    Ok(())
}
