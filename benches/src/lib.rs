//! Shared fixtures of the benchmarks, the dudect harness and the memory report.

/// An authenticator, a credential and a card, each with a pending challenge.
pub struct Fixture {
    /// Default policy, a fixed key.
    pub auth: mx::Authenticator,
    /// `B2 G3 D5 A8 H1 E6`, fixed string `pw` after the 2nd digit.
    pub cred: mx::PatternCredential,
    /// A state with `challenge` pending.
    pub pending: mx::UserState,
    /// The pending pattern challenge.
    pub challenge: mx::Challenge,
    /// Its right answer.
    pub right: String,
    /// A wrong answer of the same length.
    pub wrong: String,
    /// An 8×8 two-digit card.
    pub card: mx::GridCard,
    /// A state with `card_challenge` pending.
    pub card_pending: mx::UserState,
    /// The pending card challenge.
    pub card_challenge: mx::CardChallenge,
    /// Its right answer.
    pub card_right: String,
    /// `cred` sealed for `alice`.
    pub sealed: Vec<u8>,
    /// The time of the challenges.
    pub now: u64,
}

impl Fixture {
    /// Builds the fixture.
    ///
    /// # Panics
    /// Never with the fixed inputs used here.
    #[allow(clippy::missing_panics_doc, clippy::unwrap_used)]
    pub fn new() -> Self {
        let now = 1_800_000_000;
        let auth =
            mx::Authenticator::new(mx::Keyring::new(&[7; 32], 1).unwrap(), mx::Policy::default()).unwrap();
        let cred = mx::PatternCredential::from_names(&["B2", "G3", "D5", "A8", "H1", "E6"], "pw", 2).unwrap();
        let mut pending = mx::UserState::new();
        let challenge = auth.issue_challenge("alice", &mut pending, now).unwrap();
        let right = cred.respond(&challenge).unwrap().to_string();
        let wrong: String = right
            .chars()
            .map(|c| if c.is_ascii_digit() { if c == '9' { '0' } else { '9' } } else { c })
            .collect();
        let card =
            mx::GridCard::generate(&mx::CardSpec { serial: Some("MX-BENCH".into()), ..Default::default() })
                .unwrap();
        let mut card_pending = mx::UserState::new();
        let card_challenge = auth.issue_card_challenge("alice", &card, &mut card_pending, now).unwrap();
        let card_right = card.respond(&card_challenge).unwrap().to_string();
        let sealed = cred.seal(auth.keyring(), "alice").unwrap();
        Fixture {
            auth,
            cred,
            pending,
            challenge,
            right,
            wrong,
            card,
            card_pending,
            card_challenge,
            card_right,
            sealed,
            now,
        }
    }
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}
