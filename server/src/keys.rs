//! The demo server's keyring file: created on first start, owner-only.
//!
//! Format: one key per line, `<key id> <64 hex digits>`; the first line is
//! the signing key, the others verify only (rotate by adding a new first
//! line). Lines starting with `#` are comments.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

/// Reads the keyring at `path`, creating it with one fresh key if it does
/// not exist. Refuses a file that group or others can read.
pub fn load_or_create(path: &Path) -> Result<mx::Keyring, String> {
    if !path.exists() {
        create(path)?;
    }
    check_permissions(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut keyring: Option<mx::Keyring> = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || format!("{} line {}: expected `<key id> <64 hex digits>`", path.display(), n + 1);
        let (id, hex) = line.split_once(' ').ok_or_else(bad)?;
        let id: u32 = id.parse().map_err(|_| bad())?;
        let key = zeroize::Zeroizing::new(unhex(hex.trim()).ok_or_else(bad)?);
        match &mut keyring {
            None => keyring = Some(mx::Keyring::new(&key, id).map_err(|e| format!("{}: {e}", bad()))?),
            Some(k) => k.add_verification_key(&key, id).map_err(|e| format!("{}: {e}", bad()))?,
        }
    }
    keyring.ok_or_else(|| format!("{} holds no key", path.display()))
}

fn create(path: &Path) -> Result<(), String> {
    let key = mx::Keyring::generate_key().map_err(|e| e.to_string())?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let mut hex = zeroize::Zeroizing::new(String::with_capacity(2 * key.len()));
    for b in key.iter() {
        let _ = write!(hex, "{b:02x}");
    }
    writeln!(file, "# matrixauth keyring: <key id> <key>; first line signs. Keep secret.")
        .and_then(|()| writeln!(file, "1 {}", hex.as_str()))
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn check_permissions(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode =
            std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{} is readable by others (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    Ok(())
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// `matrixauth keys rotate`: adds a fresh key as the signing key (the new
/// first line) and keeps the old ones for verification, so existing sealed
/// credentials, states and tickets stay valid; states move to the new key
/// as they are next written. The file is replaced atomically (a temporary
/// file, owner-only, synced, then renamed). Returns the new key id. Running
/// servers keep the old signing key until restarted.
pub fn rotate(path: &Path) -> Result<u32, String> {
    check_permissions(path)?;
    load_or_create(path)?; // refuses a damaged file before touching it
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
    );
    let max_id = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(' ').and_then(|(id, _)| id.parse::<u32>().ok()))
        .max()
        .unwrap_or(0);
    let id = max_id.checked_add(1).ok_or("no key id left")?;
    let key = mx::Keyring::generate_key().map_err(|e| e.to_string())?;
    let mut out = zeroize::Zeroizing::new(String::new());
    out.push_str("# matrixauth keyring: <key id> <key>; first line signs. Keep secret.\n");
    let _ = write!(out, "{id} ");
    for b in key.iter() {
        let _ = write!(out, "{b:02x}");
    }
    out.push('\n');
    for line in text.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')) {
        out.push_str(line.trim());
        out.push('\n');
    }
    let tmp = path.with_extension("rotating");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut file = opts.open(&tmp).map_err(|e| format!("cannot create {}: {e}", tmp.display()))?;
    file.write_all(out.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot replace {}: {e}", path.display()))?;
    load_or_create(path)?;
    Ok(id)
}

/// The site key: a 32-byte key for the login service's own keyed functions
/// (which kind of user an unknown id looks like, a decoy card's serial and
/// values), derived from the keyring file's **oldest** key (its last line)
/// with HMAC-SHA256 under a fixed label. Rotating keys adds a first line
/// and keeps the old ones, so the site key, and every decoy, stays the same;
/// every node reading the same keyring file derives the same key.
pub fn site_key(path: &Path) -> Result<zeroize::Zeroizing<[u8; 32]>, String> {
    use hmac::{KeyInit, Mac};
    load_or_create(path)?; // the same checks: permissions, format
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?,
    );
    let oldest = text
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| l.split_once(' '))
        .and_then(|(_, hex)| unhex(hex.trim()))
        .map(zeroize::Zeroizing::new)
        .ok_or_else(|| format!("{} holds no key", path.display()))?;
    let mut mac = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&oldest)
        .map_err(|_| format!("{}: a key of no usable length", path.display()))?;
    mac.update(b"matrixauth-server site key v1");
    Ok(zeroize::Zeroizing::new(mac.finalize().into_bytes().into()))
}
