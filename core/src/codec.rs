//! Big-endian reading and writing for the crate's byte formats.

/// Reads fields from a byte slice; every read is bounds-checked and returns
/// `None` past the end, so truncated input is an error, never a panic.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    pub(crate) fn u8(&mut self) -> Option<u8> {
        Some(self.array::<1>()?[0])
    }

    pub(crate) fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.array()?))
    }

    /// A string with a one-byte length prefix.
    pub(crate) fn str8(&mut self) -> Option<&'a str> {
        let n = usize::from(self.u8()?);
        core::str::from_utf8(self.take(n)?).ok()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

/// Appends a string with a one-byte length prefix; callers have checked
/// that it is at most 255 bytes (user ids, audiences and serials are).
pub(crate) fn put_str8(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let n = bytes.len().min(255);
    out.push(n as u8);
    out.extend_from_slice(bytes.get(..n).unwrap_or(&[]));
}

/// Latest `now` accepted: 9999-12-31T23:59:59Z, in Unix seconds.
pub const MAX_TIME: u64 = 253_402_300_799;

/// Refuses a `now` past [`MAX_TIME`].
pub(crate) fn check_time(now: u64) -> crate::Result<()> {
    if now > MAX_TIME { Err(crate::Error::InvalidTime) } else { Ok(()) }
}

/// Checks a user id, audience or card serial: 1..=255 bytes, no control
/// characters (so it cannot break a log line or a length prefix).
pub(crate) fn is_valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 255 && !s.chars().any(char::is_control)
}
