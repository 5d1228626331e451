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

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn comparisons(a in any::<u16>(), b in any::<u16>()) {
        prop_assert_eq!(ct::eq16(a, b), a == b);
        prop_assert_eq!(ct::lt16(a, b), a < b);
        prop_assert_eq!(ct::ge16(a, b), a >= b);
        prop_assert_eq!(ct::gt16(a, b), a > b);
        prop_assert!(ct::eq16(a, a));
    }

    #[test]
    fn select(a in any::<u8>(), b in any::<u8>(), c in any::<bool>()) {
        prop_assert_eq!(ct::select8(a, b, c), if c { b } else { a });
    }

    #[test]
    fn lookup(table in prop::collection::vec(any::<u8>(), 0..300), index in any::<u16>()) {
        let plain = table.get(usize::from(index)).copied().unwrap_or(0);
        prop_assert_eq!(ct::lookup(&table, index), plain);
    }
}

#[test]
fn edges() {
    for (a, b) in [(0, 0), (0, u16::MAX), (u16::MAX, 0), (u16::MAX, u16::MAX), (255, 256)] {
        assert_eq!(ct::lt16(a, b), a < b);
        assert_eq!(ct::eq16(a, b), a == b);
    }
    assert_eq!(ct::lookup(&[], 0), 0);
    assert_eq!(ct::lookup(&[7; 256], 255), 7);
    assert_eq!(ct::lookup(&[7; 256], 256), 0);
}
