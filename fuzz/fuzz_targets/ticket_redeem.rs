//! Tickets: arbitrary or mutated tickets are never redeemed; nothing panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrixauth::{Authenticator, Keyring, Policy, TicketVerifier};

fuzz_target!(|data: &[u8]| {
    let kr = Keyring::new(&[7; 32], 1).unwrap();
    let auth = Authenticator::new(kr.clone(), Policy::default()).unwrap();
    let verifier = TicketVerifier::new(kr, 16);
    let real = auth.issue_ticket("alice", "vpn", 1_800_000_000).unwrap();
    let s = String::from_utf8_lossy(data);
    let (ticket, audience) = s.split_once('|').unwrap_or((&s, "vpn"));
    let ok = verifier.redeem(ticket, audience, 1_800_000_001);
    if ticket != real {
        assert!(ok.is_err(), "a forged ticket was redeemed");
    }
    let mut t = real.clone().into_bytes();
    for (i, b) in data.iter().enumerate() {
        let n = t.len();
        if let Some(x) = t.get_mut(i % n) {
            *x ^= b;
        }
    }
    let mutated = String::from_utf8_lossy(&t).into_owned();
    if mutated != real {
        assert!(verifier.redeem(&mutated, "vpn", 1_800_000_001).is_err(), "a mutated ticket was redeemed");
    }
});
