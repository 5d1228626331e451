//! User state bytes: decoding never panics, and whatever decodes re-encodes to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrixauth::UserState;

fuzz_target!(|data: &[u8]| {
    if let Ok(state) = UserState::from_bytes(data) {
        assert_eq!(state.to_bytes(), data, "the state encoding is not canonical");
        assert_eq!(UserState::from_bytes(&state.to_bytes()).unwrap(), state);
    }
});
