#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! The watcher's candidate count against brute force, and sampling.

use matrixauth::analysis::{Observation, consistent_count, sample_consistent};
use matrixauth::{Authenticator, Geometry, Keyring, Matrix, PatternCredential, Policy, UserState};
use proptest::prelude::*;

fn brute(obs: &[Observation], geometry: Geometry, len: usize, repeats: bool) -> u128 {
    let n = geometry.cells();
    let mut count = 0u128;
    let mut idx = vec![0usize; len];
    loop {
        let distinct = repeats || (0..len).all(|a| (0..a).all(|b| idx[a] != idx[b]));
        if distinct
            && obs.iter().all(|o| {
                (0..len).all(|i| o.matrix.get(geometry.cell_at(idx[i]).unwrap()) == Some(o.digits[i]))
            })
        {
            count += 1;
        }
        let mut p = 0;
        loop {
            if p == len {
                return count;
            }
            idx[p] += 1;
            if idx[p] < n {
                break;
            }
            idx[p] = 0;
            p += 1;
        }
    }
}

fn observation(geometry: Geometry, digits: &[u8], cells: &[usize]) -> Observation {
    let matrix = Matrix::from_digits(geometry, digits).unwrap();
    let typed = cells.iter().map(|&c| matrix.get(geometry.cell_at(c).unwrap()).unwrap()).collect();
    Observation { matrix, digits: typed }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn count_matches_brute_force(
        mats in proptest::collection::vec(proptest::collection::vec(0u8..4, 16), 1..3),
        cells in proptest::sample::subsequence((0..16).collect::<Vec<usize>>(), 3),
        repeats in any::<bool>(),
    ) {
        // 4×4 grid, digits 0–3 so that many patterns stay consistent.
        let g = Geometry::new(4, 4).unwrap();
        let obs: Vec<Observation> = mats.iter().map(|m| observation(g, m, &cells)).collect();
        let want = brute(&obs, g, 3, repeats);
        prop_assert!(want >= 1, "the true pattern is always consistent");
        prop_assert_eq!(consistent_count(&obs, 3, repeats).unwrap(), want);
        let s = sample_consistent(&obs, 3, repeats).unwrap().unwrap();
        for o in &obs {
            for (i, c) in s.iter().enumerate() {
                prop_assert_eq!(o.matrix.get(*c), Some(o.digits[i]));
            }
        }
        if !repeats {
            prop_assert!(s[0] != s[1] && s[1] != s[2] && s[0] != s[2]);
        }
    }
}

#[test]
fn sampling_is_uniform_over_the_candidates() {
    // One observation on a 4×4 grid with a 2-cell pattern: few candidates, each should come up
    // about equally often.
    let g = Geometry::new(4, 4).unwrap();
    let digits: Vec<u8> = (0..16).map(|i| (i % 3) as u8).collect();
    let obs = vec![observation(g, &digits, &[0, 1])];
    let n = consistent_count(&obs, 2, false).unwrap() as usize;
    assert_eq!(n as u128, brute(&obs, g, 2, false));
    let mut seen = std::collections::HashMap::new();
    let draws = 400 * n;
    for _ in 0..draws {
        *seen.entry(sample_consistent(&obs, 2, false).unwrap().unwrap()).or_insert(0usize) += 1;
    }
    assert_eq!(seen.len(), n, "every candidate is reachable");
    let expected = draws as f64 / n as f64;
    let chi2: f64 = seen.values().map(|&o| (o as f64 - expected).powi(2) / expected).sum();
    // n-1 degrees of freedom; 3 × dof is far in the tail for any dof here.
    assert!(chi2 < 3.0 * (n as f64 - 1.0) + 30.0, "chi2 {chi2} for {n} candidates");
}

#[test]
fn watcher_against_the_real_verifier() {
    // Observe three real logins of an 8×8, 6-cell credential; the candidates shrink, the true
    // pattern stays among them, and a sampled candidate logs in whenever it is unique.
    let auth = Authenticator::new(Keyring::new(&[9; 32], 1).unwrap(), Policy::default()).unwrap();
    let cred = PatternCredential::from_names(&["B2", "G3", "D5", "A8", "H1", "E6"], "", 0).unwrap();
    let mut state = UserState::new();
    let mut obs = Vec::new();
    let mut counts = Vec::new();
    for k in 0..3u64 {
        let ch = auth.issue_challenge("alice", &mut state, 1_800_000_000 + k).unwrap();
        let typed = cred.respond(&ch).unwrap();
        assert!(
            auth.verify("alice", &cred, &mut state, &ch.token, &typed, 1_800_000_000 + k).unwrap().accepted()
        );
        obs.push(Observation {
            matrix: ch.matrix.clone(),
            digits: typed.bytes().map(|b| b - b'0').collect(),
        });
        counts.push(consistent_count(&obs, 6, false).unwrap());
    }
    assert!(counts[0] > counts[1] && counts[1] >= counts[2] && counts[2] >= 1, "{counts:?}");
    assert!(counts[0] > 10_000, "one observation leaves many candidates: {counts:?}");
    if counts[2] == 1 {
        let guess = sample_consistent(&obs, 6, false).unwrap().unwrap();
        let names: Vec<String> = guess.iter().map(ToString::to_string).collect();
        let stolen = PatternCredential::from_names(&names, "", 0).unwrap();
        let ch = auth.issue_challenge("alice", &mut state, 1_800_000_100).unwrap();
        let v = auth
            .verify("alice", &cred, &mut state, &ch.token, &stolen.respond(&ch).unwrap(), 1_800_000_100)
            .unwrap();
        assert!(v.accepted());
    }
}

#[test]
fn bad_observations_are_errors() {
    let g = Geometry::new(8, 8).unwrap();
    let m = Matrix::from_digits(g, &[1; 64]).unwrap();
    assert!(consistent_count(&[], 6, false).is_err());
    assert!(consistent_count(&[Observation { matrix: m.clone(), digits: vec![1; 5] }], 6, false).is_err());
    assert!(consistent_count(&[Observation { matrix: m.clone(), digits: vec![10; 6] }], 6, false).is_err());
    assert!(consistent_count(&[Observation { matrix: m.clone(), digits: vec![1; 17] }], 17, false).is_err());
    // All-ones matrix: every ordered pattern of distinct cells is consistent: 64·63·…·59.
    let all = consistent_count(&[Observation { matrix: m.clone(), digits: vec![1; 6] }], 6, false).unwrap();
    assert_eq!(all, (59..=64u128).product());
    // 16 cells on an all-ones 8×8 grid: 64!/48!, counted without enumerating.
    let big = consistent_count(&[Observation { matrix: m, digits: vec![1; 16] }], 16, false).unwrap();
    assert_eq!(big, (49..=64u128).product());
}
