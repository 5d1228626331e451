//! Memory figures for docs/BENCHMARKS.md: serialised sizes and the heap allocations of each
//! operation, counted by a wrapping global allocator. `cargo run --release -p
//! matrixauth-benches --bin memory`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::many_single_char_names, missing_docs, unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count<T>(f: impl FnOnce() -> T) -> (usize, usize, T) {
    let (a, b) = (ALLOCS.load(Ordering::SeqCst), BYTES.load(Ordering::SeqCst));
    let out = f();
    (ALLOCS.load(Ordering::SeqCst) - a, BYTES.load(Ordering::SeqCst) - b, out)
}

fn main() {
    let f = matrixauth_benches::Fixture::new();
    println!("| item | bytes |\n|---|---|");
    println!(
        "| user state, new | {} |",
        mx::UserState::new().to_bytes(f.auth.keyring(), "alice").unwrap().len()
    );
    println!(
        "| user state, pattern challenge pending | {} |",
        f.pending.to_bytes(f.auth.keyring(), "alice").unwrap().len()
    );
    println!(
        "| user state, card challenge pending (1 card tracked) | {} |",
        f.card_pending.to_bytes(f.auth.keyring(), "alice").unwrap().len()
    );
    println!("| sealed credential (6 cells, 2-char fixed string) | {} |", f.sealed.len());
    let sealed_card = f.card.seal(f.auth.keyring(), "alice").unwrap();
    println!("| sealed card (8×8, 2 digits per cell) | {} |", sealed_card.len());
    println!("| challenge token (pattern) | {} |", f.challenge.token.len());
    println!("| challenge token (card) | {} |", f.card_challenge.token.len());
    println!(
        "| login ticket (user `alice`, audience `vpn.example`) | {} |",
        f.auth.issue_ticket("alice", "vpn.example", f.now).unwrap().len()
    );

    println!("\n| operation | heap allocations | bytes allocated |\n|---|---|---|");
    let mut rows: Vec<(&str, usize, usize)> = Vec::new();
    let mut s = f.pending.clone();
    let (a, b, v) =
        count(|| f.auth.verify("alice", &f.cred, &mut s, &f.challenge.token, &f.right, f.now + 1).unwrap());
    assert!(v.accepted());
    rows.push(("verify, right answer", a, b));
    let mut s = f.pending.clone();
    let (a, b, v) =
        count(|| f.auth.verify("alice", &f.cred, &mut s, &f.challenge.token, &f.wrong, f.now + 1).unwrap());
    assert!(!v.accepted());
    rows.push(("verify, wrong answer", a, b));
    let (a, b, ok) =
        count(|| mx::ct::testing::response_matches(&f.cred, &f.challenge.matrix, f.right.as_bytes()));
    assert!(ok);
    rows.push(("the constant-time answer check alone", a, b));
    let mut s = mx::UserState::new();
    let (a, b, _) = count(|| f.auth.issue_challenge("alice", &mut s, f.now).unwrap());
    rows.push(("issue_challenge", a, b));
    let mut s = f.card_pending.clone();
    let (a, b, _) = count(|| {
        f.auth
            .verify_card("alice", &f.card, &mut s, &f.card_challenge.token, &f.card_right, f.now + 1)
            .unwrap()
    });
    rows.push(("verify_card, right answer", a, b));
    let bytes = f.pending.to_bytes(f.auth.keyring(), "alice").unwrap();
    let (a, b, _) = count(|| mx::UserState::from_bytes(f.auth.keyring(), "alice", &bytes).unwrap());
    rows.push(("UserState::from_bytes", a, b));
    let (a, b, _) = count(|| mx::PatternCredential::open(f.auth.keyring(), "alice", &f.sealed).unwrap());
    rows.push(("PatternCredential::open", a, b));
    for (name, a, b) in rows {
        println!("| {name} | {a} | {b} |");
    }
}
