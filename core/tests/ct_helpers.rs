#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::format_collect,
    missing_docs,
    clippy::float_cmp,
    clippy::naive_bytecount,
    clippy::manual_strip
)]
//! Every constant-time helper against the plain operation it replaces.

use matrixauth::ct::testing as ct;
use proptest::prelude::*;

fn plain_shift_up(bytes: &[u8; 64], amount: usize) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[amount..].copy_from_slice(&bytes[..64 - amount]);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn masks(a in 0u64..(1 << 62), b in 0u64..(1 << 62)) {
        prop_assert_eq!(ct::mask_lt(a, b), if a < b { u64::MAX } else { 0 });
        prop_assert_eq!(ct::mask_eq(a, b), if a == b { u64::MAX } else { 0 });
        prop_assert_eq!(ct::mask_eq(a, a), u64::MAX);
    }

    #[test]
    fn shift_up(bytes in prop::array::uniform32(any::<u8>()), more in prop::array::uniform32(any::<u8>()),
                amount in 0u64..64, stages in 1u32..=6) {
        let mut buf = [0u8; 64];
        buf[..32].copy_from_slice(&bytes);
        buf[32..].copy_from_slice(&more);
        // Stages cover amounts below 2^stages; higher bits of the amount are ignored.
        let stages = stages.max(5);
        let effective = (amount & ((1 << stages) - 1)) as usize;
        prop_assert_eq!(ct::shift_up(&buf, amount, stages), plain_shift_up(&buf, effective));
    }

    #[test]
    fn lookup_byte(table in prop::collection::vec(any::<u8>(), 256), len in 0usize..=256,
                   index in prop::array::uniform16(0u64..700)) {
        let table: [u8; 256] = table.try_into().unwrap();
        let got = ct::lookup_byte(&table, len, &index);
        for (g, &i) in got.iter().zip(&index) {
            let plain = if (i as usize) < len.div_ceil(8) * 8 { table[i as usize] } else { 0 };
            prop_assert_eq!(*g, plain);
        }
    }

    #[test]
    fn eq_bytes(a in prop::collection::vec(any::<u8>(), 0..130), flip in any::<prop::sample::Index>()) {
        prop_assert!(ct::eq_bytes(&a, &a));
        if !a.is_empty() {
            let mut b = a.clone();
            let i = flip.index(b.len());
            b[i] ^= 1;
            prop_assert!(!ct::eq_bytes(&a, &b));
            prop_assert!(!ct::eq_bytes(&a, &a[..a.len() - 1]));
        }
    }
}

#[test]
fn edges() {
    assert_eq!(ct::mask_lt(0, 0), 0);
    assert_eq!(ct::mask_lt(0, 1), u64::MAX);
    assert_eq!(ct::mask_lt(255, 256), u64::MAX);
    assert_eq!(ct::mask_eq(0, 0), u64::MAX);
    let table = [7u8; 256];
    assert_eq!(ct::lookup_byte(&table, 256, &[255; 16]), [7; 16]);
    assert_eq!(ct::lookup_byte(&table, 248, &[248; 16]), [0; 16]);
    assert_eq!(ct::lookup_byte(&table, 0, &[0; 16]), [0; 16]);
    let ones = [1u8; 64];
    assert_eq!(ct::shift_up(&ones, 63, 6)[63], 1);
    assert_eq!(ct::shift_up(&ones, 63, 6)[62], 0);
    assert!(ct::eq_bytes(&[], &[]));
}

prop_compose! {
    /// A geometry, a matrix on it, and a credential whose cells may lie
    /// outside it (the check must then never match).
    fn case()(rows in 2usize..=16, cols in 2usize..=16)
             (digits in prop::collection::vec(0u8..10, rows * cols),
              cells in prop::collection::vec((0usize..20, 0usize..20), 1..=16),
              fixed in "[!-~]{0,32}",
              at in any::<prop::sample::Index>(),
              rows in Just(rows), cols in Just(cols))
             -> (matrixauth::Matrix, Vec<(usize, usize)>, String, usize) {
        let geometry = matrixauth::Geometry::new(rows, cols).unwrap();
        let matrix = matrixauth::Matrix::from_digits(geometry, &digits).unwrap();
        let at = at.index(cells.len() + 1);
        (matrix, cells, fixed, at)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, .. ProptestConfig::default() })]

    /// The word-based check against the plain definition (`respond_matrix`):
    /// the right answer matches, every one-byte change, truncation and
    /// extension does not, and a cell outside the grid never matches.
    #[test]
    fn response_check_is_the_plain_comparison(
        (matrix, cells, fixed, at) in case(),
        pos in any::<prop::sample::Index>(), other in any::<u8>(), junk in prop::collection::vec(any::<u8>(), 0..60)
    ) {
        let cells: Vec<matrixauth::Cell> =
            cells.iter().map(|&(r, c)| matrixauth::Cell::new(r, c).unwrap()).collect();
        let cred = matrixauth::PatternCredential::new(&cells, &fixed, at).unwrap();
        if let Ok(right) = cred.respond_matrix(&matrix) {
                let right = right.as_bytes().to_vec();
                prop_assert!(ct::response_matches(&cred, &matrix, &right));
                let i = pos.index(right.len());
                let mut changed = right.clone();
                prop_assume!(changed[i] != other);
                changed[i] = other;
                prop_assert!(!ct::response_matches(&cred, &matrix, &changed));
                prop_assert!(!ct::response_matches(&cred, &matrix, &right[..right.len() - 1]));
                let mut longer = right.clone();
                longer.push(b'0');
                prop_assert!(!ct::response_matches(&cred, &matrix, &longer));
                prop_assert_eq!(ct::response_matches(&cred, &matrix, &junk), junk == right);
        } else {
            // A cell outside the grid: nothing matches, not even what the cells inside would give.
            prop_assert!(!ct::response_matches(&cred, &matrix, &junk));
            let inside: String = cells.iter().map(|c| {
                matrix.get(*c).map_or('0', |d| char::from(b'0' + d))
            }).collect();
            prop_assert!(!ct::response_matches(&cred, &matrix, inside.as_bytes()));
        }
    }
}
