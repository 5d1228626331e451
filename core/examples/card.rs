//! Prints a new grid card: `cargo run --example card` for text,
//! `cargo run --example card -- --svg` for the printable SVG (the sample in
//! `docs/card-example.svg` was made this way; its values are random and
//! belong to nobody).

use matrixauth::{CardSpec, GridCard};

fn main() -> Result<(), matrixauth::Error> {
    let svg = std::env::args().any(|a| a == "--svg");
    let card = GridCard::generate(&CardSpec {
        serial: Some("MX-DEMO-0001".into()),
        expires_at: Some(1_830_297_600), // 2028-01-01
        ..CardSpec::default()
    })?;
    if svg {
        print!("{}", card.render_svg().as_str());
    } else {
        print!("{}", card.render_text().as_str());
    }
    Ok(())
}
