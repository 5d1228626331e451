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

/// Whether `user` is a user id the core accepts (1 to 255 bytes of UTF-8,
/// no control characters; otherwise [`crate::Error::InvalidUserId`]).
/// Hosts check ids with it before they store or look anything up, instead
/// of writing the rule again.
///
/// ```
/// assert!(matrixauth::is_valid_user_id("山田.taro@example.lg.jp"));
/// assert!(!matrixauth::is_valid_user_id(""));
/// assert!(!matrixauth::is_valid_user_id("a\u{0}b"));
/// assert!(!matrixauth::is_valid_user_id(&"x".repeat(256)));
/// ```
pub fn is_valid_user_id(user: &str) -> bool {
    is_valid_name(user)
}

/// A user id, audience or card serial held inline (1..=255 bytes of UTF-8,
/// no control characters), so that audit events and challenge bodies need
/// no heap allocation. Reads as a `&str`.
#[derive(Clone, Copy)]
pub struct Name {
    len: u8,
    bytes: [u8; 255],
}

impl Name {
    /// `s` as a name, if it is a valid user id, audience or serial (see
    /// [`crate::Error::InvalidUserId`]); the empty name is allowed here (a
    /// refused ticket whose content could not be trusted has no user).
    pub(crate) fn new(s: &str) -> Option<Self> {
        if !(s.is_empty() || is_valid_name(s)) {
            return None;
        }
        let mut bytes = [0u8; 255];
        bytes.get_mut(..s.len())?.copy_from_slice(s.as_bytes());
        Some(Name { len: s.len() as u8, bytes })
    }

    /// `s` as a name; a string that is not one (never passed here by the
    /// crate's own callers, which validate first) becomes the empty name.
    pub(crate) fn lossy(s: &str) -> Self {
        Name::new(s).unwrap_or(Name { len: 0, bytes: [0u8; 255] })
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        let bytes = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        // Built from a &str and never changed: always UTF-8.
        core::str::from_utf8(bytes).unwrap_or("")
    }
}

impl core::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl core::hash::Hash for Name {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl core::fmt::Debug for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl core::fmt::Display for Name {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bytes of fixed capacity `N` held inline: an encoded challenge body, a
/// decoded token. Equality compares the used bytes.
#[derive(Clone, Copy)]
pub(crate) struct InlineBytes<const N: usize> {
    len: usize,
    bytes: [u8; N],
}

impl<const N: usize> InlineBytes<N> {
    pub(crate) const fn new() -> Self {
        InlineBytes { len: 0, bytes: [0u8; N] }
    }

    /// A copy of `data`, or `None` if it is longer than `N`.
    pub(crate) fn from_slice(data: &[u8]) -> Option<Self> {
        let mut out = Self::new();
        out.extend(data)?;
        Some(out)
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// The whole buffer, for writers that report how much they wrote.
    pub(crate) fn buffer_mut(&mut self) -> &mut [u8; N] {
        &mut self.bytes
    }

    /// Marks the first `len` bytes of the buffer as used (`None` past `N`).
    pub(crate) fn set_len(&mut self, len: usize) -> Option<()> {
        (len <= N).then(|| self.len = len)
    }

    /// Appends `data`; `None` (and nothing appended) if it does not fit.
    pub(crate) fn extend(&mut self, data: &[u8]) -> Option<()> {
        let end = self.len.checked_add(data.len())?;
        self.bytes.get_mut(self.len..end)?.copy_from_slice(data);
        self.len = end;
        Some(())
    }

    pub(crate) fn push(&mut self, b: u8) -> Option<()> {
        self.extend(&[b])
    }

    /// Appends a string with a one-byte length prefix (at most 255 bytes).
    pub(crate) fn put_str8(&mut self, s: &str) -> Option<()> {
        let n = u8::try_from(s.len()).ok()?;
        self.push(n)?;
        self.extend(s.as_bytes())
    }
}

impl<const N: usize> PartialEq for InlineBytes<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> Eq for InlineBytes<N> {}

impl<const N: usize> core::fmt::Debug for InlineBytes<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("InlineBytes").field("len", &self.len).finish_non_exhaustive()
    }
}
