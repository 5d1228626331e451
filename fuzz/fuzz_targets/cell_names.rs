//! Cell names and matrix text: parsing never panics; a parsed name prints back canonically.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrixauth::{Geometry, Matrix, PatternCredential};

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(g) = Geometry::new(26, 26) {
        if let Ok(cell) = g.parse_cell(&s) {
            let name = cell.to_string();
            assert_eq!(g.parse_cell(&name).unwrap(), cell);
            assert!(name.len() <= 3);
        }
    }
    let names: Vec<&str> = s.split(',').take(20).collect();
    let _ = PatternCredential::from_names(&names, "", 0);
    if let Ok(m) = Matrix::parse_text(&s) {
        assert_eq!(Matrix::parse_text(&m.render_text()).unwrap(), m);
    }
});
