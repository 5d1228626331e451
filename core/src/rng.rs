//! Randomness straight from the operating system.
//!
//! Every call asks the OS (`getrandom`) afresh. No generator state lives in
//! the process, so a child made by `fork()` in an appliance daemon can never
//! repeat its parent's nonces. In the crate's own unit tests a deterministic
//! source can be installed per thread to produce the golden vectors; that
//! switch does not exist outside `cfg(test)`.

use crate::error::{Error, Result};

#[cfg(test)]
thread_local! {
    static TEST_STREAM: core::cell::RefCell<Option<(chacha20::ChaCha20, u64)>> =
        const { core::cell::RefCell::new(None) };
}

/// Fills `buf` with random bytes from the OS.
pub(crate) fn fill(buf: &mut [u8]) -> Result<()> {
    #[cfg(test)]
    {
        let used = TEST_STREAM.with(|s| {
            if let Some((c, _)) = s.borrow_mut().as_mut() {
                use chacha20::cipher::StreamCipher;
                buf.fill(0);
                c.apply_keystream(buf);
                true
            } else {
                false
            }
        });
        if used {
            return Ok(());
        }
    }
    getrandom::fill(buf).map_err(|_| Error::Random)
}

/// Installs (Some) or removes (None) a deterministic stream for this thread.
#[cfg(test)]
pub(crate) fn set_test_seed(seed: Option<u64>) {
    use chacha20::cipher::KeyIvInit;
    TEST_STREAM.with(|s| {
        *s.borrow_mut() = seed.map(|seed| {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&seed.to_be_bytes());
            (chacha20::ChaCha20::new(&key.into(), &[0u8; 12].into()), seed)
        });
    });
}

/// A uniform integer in `0..bound` (bound >= 1) by rejection sampling.
pub(crate) fn below(bound: u32) -> Result<u32> {
    debug_assert!(bound >= 1);
    let bound = bound.max(1);
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let mut b = [0u8; 4];
        fill(&mut b)?;
        let v = u32::from_be_bytes(b);
        if v < zone {
            return Ok(v % bound);
        }
    }
}

/// A uniform integer in `0..bound` (bound >= 1) by rejection sampling.
pub(crate) fn below_u128(bound: u128) -> Result<u128> {
    let bound = bound.max(1);
    let zone = u128::MAX - (u128::MAX % bound);
    loop {
        let mut b = [0u8; 16];
        fill(&mut b)?;
        let v = u128::from_be_bytes(b);
        if v < zone {
            return Ok(v % bound);
        }
    }
}
