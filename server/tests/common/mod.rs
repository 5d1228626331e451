//! What the server's integration tests share.
#![allow(dead_code, clippy::unwrap_used)]

pub(crate) mod webauthn;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use matrixauth_server::login::{Clock, DEFAULT_SESSION_SECONDS, Login, Settings, TicketForm};
use matrixauth_server::store::Store;

/// The site key of every test: fixed, so decoy kinds are the same in each run.
pub(crate) const SITE_KEY: [u8; 32] = [0x5a; 32];

/// The login service over `store` with the default policy and `clock`.
pub(crate) fn login(store: Store, keyring: mx::Keyring, clock: Clock) -> Arc<Login> {
    login_with(store, keyring, clock, mx::Policy::default(), DEFAULT_SESSION_SECONDS)
}

/// The login service over a new store in `dir` (its keyring made there too), on a clock at
/// `now` that the test moves: the service, the keyring and the clock.
pub(crate) fn login_in(dir: &std::path::Path, now: u64) -> (Arc<Login>, mx::Keyring, Arc<AtomicU64>) {
    let keyring = matrixauth_server::keys::load_or_create(&dir.join("keyring")).unwrap();
    let store =
        Store::open(&dir.join("matrixauth.db"), keyring.clone(), matrixauth_server::store::Migrate::Yes)
            .unwrap();
    let clock = Arc::new(AtomicU64::new(now));
    let c = Arc::clone(&clock);
    (login(store, keyring.clone(), Arc::new(move || c.load(Ordering::SeqCst))), keyring, clock)
}

/// The login service with a policy and a longest session.
pub(crate) fn login_with(
    store: Store,
    keyring: mx::Keyring,
    clock: Clock,
    policy: mx::Policy,
    session_max_seconds: u64,
) -> Arc<Login> {
    login_tickets(store, keyring, clock, policy, session_max_seconds, TicketForm::default())
}

/// The login service handing on tickets of `tickets`' form.
pub(crate) fn login_tickets(
    store: Store,
    keyring: mx::Keyring,
    clock: Clock,
    policy: mx::Policy,
    session_max_seconds: u64,
    tickets: TicketForm,
) -> Arc<Login> {
    Login::new(Settings {
        store,
        keyring,
        site_key: zeroize::Zeroizing::new(SITE_KEY),
        policy,
        clock,
        session_max_seconds,
        tickets,
        audit_node: "test".to_owned(),
    })
    .unwrap()
}

/// Audit lines an authenticator produced.
#[derive(Clone, Default)]
pub(crate) struct Events(Arc<std::sync::Mutex<Vec<String>>>);

impl Events {
    /// The lines so far, emptying the buffer.
    pub(crate) fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

/// An authenticator whose audit events land in the returned buffer (for
/// tests that drive the store directly, as the login service does).
pub(crate) fn audited_authenticator(
    keyring: &mx::Keyring,
    policy: &mx::Policy,
) -> Result<(mx::Authenticator, Events), mx::Error> {
    let events = Events::default();
    let sink_events = events.clone();
    let sink: mx::AuditSink = Arc::new(move |e: &mx::Event| sink_events.0.lock().unwrap().push(e.to_json()));
    Ok((mx::Authenticator::new(keyring.clone(), policy.clone())?.with_audit_sink(sink), events))
}
