//! Prints the strength table quoted in the README: `cargo run --example strength`.

use matrixauth::{Policy, Strength};

fn main() {
    println!("Figures for an 8×8 grid with repeated cells forbidden (Policy::default()):\n");
    println!(
        "| L | pattern space | one online guess | success before permanent lock (100 guesses) \
         | candidates after 1 / 2 / 3 observed logins | logins to a unique pattern |"
    );
    println!("|---|---|---|---|---|---|");
    for len in [4, 6, 8, 10] {
        let policy = Policy { min_pattern_len: 4, ..Policy::default() };
        let s = Strength::for_length(&policy, len);
        println!(
            "| {len} | 2^{:.1} | 10^-{len} | {:.1e} | {:.0} / {:.1} / {:.2} | {} |",
            s.pattern_space_bits,
            s.online_success_before_permanent_lock,
            s.candidates_after[0],
            s.candidates_after[1],
            s.candidates_after[2],
            s.observations_to_unique
        );
    }
}
