//! Reading what a SAML service provider sends: the `SAMLRequest` of the
//! HTTP-Redirect binding (base64 of raw DEFLATE) and of the HTTP-POST
//! binding (base64), the `AuthnRequest` or `LogoutRequest` inside, and the
//! octets a Redirect-binding signature covers.
//!
//! Nothing here does I/O or knows the server: bytes in, a typed request or
//! a [`RequestError`] out, so the fuzz target (`fuzz/fuzz_targets/
//! saml_request.rs`) compiles this file alone. Every limit is checked
//! before the work it bounds: the encoded size before decoding, the
//! inflated size while inflating (a deflate bomb stops at
//! [`MAX_XML`] + 1 bytes), UTF-8 before parsing, and any `<!` other than a
//! comment (a DTD, an entity declaration, CDATA) before the XML reader
//! sees the text; the reader, `roxmltree`, refuses DTDs as well.

use std::io::Read as _;

use base64::Engine as _;

/// The longest `SAMLRequest` value accepted (base64 text, after URL decoding).
pub const MAX_ENCODED: usize = 16 * 1024;
/// The longest XML accepted, after inflating.
pub const MAX_XML: usize = 32 * 1024;
/// The longest request ID accepted (it is echoed as `InResponseTo`).
pub const MAX_ID: usize = 256;

/// Why a request was refused. The text says what was wrong, never the
/// request's content.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// Over [`MAX_ENCODED`] before decoding.
    TooLarge,
    /// Over [`MAX_XML`] after inflating (a deflate bomb, or just too big).
    TooLargeInflated,
    /// Not base64.
    Base64,
    /// Not raw DEFLATE (Redirect binding).
    Inflate,
    /// Not UTF-8 (the XML, or a URL-encoded value).
    NotUtf8,
    /// A DTD, an entity declaration or CDATA: refused, never expanded.
    Dtd,
    /// Not well-formed XML.
    Xml,
    /// Well-formed, but not the request expected; says which part.
    Saml(&'static str),
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::TooLarge => write!(f, "the SAML message is over {MAX_ENCODED} bytes"),
            RequestError::TooLargeInflated => {
                write!(f, "the SAML message inflates to over {MAX_XML} bytes")
            }
            RequestError::Base64 => f.write_str("the SAML message is not base64"),
            RequestError::Inflate => f.write_str("the SAML message is not raw DEFLATE"),
            RequestError::NotUtf8 => f.write_str("the SAML message is not UTF-8"),
            RequestError::Dtd => {
                f.write_str("the SAML message holds a DTD or an entity declaration (refused)")
            }
            RequestError::Xml => f.write_str("the SAML message is not well-formed XML"),
            RequestError::Saml(what) => write!(f, "the SAML message is not a valid request: {what}"),
        }
    }
}

impl std::error::Error for RequestError {}

/// How the message came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// HTTP-Redirect: base64 of raw DEFLATE, in the query.
    Redirect,
    /// HTTP-POST: base64, in a form field.
    Post,
}

/// The SAML protocol namespace.
pub const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// The SAML assertion namespace.
pub const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

/// An `AuthnRequest`'s fields the IdP uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthnRequest {
    /// `ID` (answered as `InResponseTo`).
    pub id: String,
    /// `Issuer`: the SP's entity id.
    pub issuer: String,
    /// `IssueInstant`, Unix seconds.
    pub issue_instant: u64,
    /// `AssertionConsumerServiceURL`, if given.
    pub acs_url: Option<String>,
    /// `AssertionConsumerServiceIndex`, if given.
    pub acs_index: Option<u32>,
    /// `ProtocolBinding`, if given.
    pub protocol_binding: Option<String>,
    /// `Destination`, if given.
    pub destination: Option<String>,
    /// `ForceAuthn="true"`.
    pub force_authn: bool,
    /// `IsPassive="true"`.
    pub is_passive: bool,
}

/// A `LogoutRequest`'s fields the IdP uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogoutRequest {
    /// `ID`.
    pub id: String,
    /// `Issuer`.
    pub issuer: String,
    /// `IssueInstant`, Unix seconds.
    pub issue_instant: u64,
    /// `NameID`.
    pub name_id: String,
    /// `Destination`, if given.
    pub destination: Option<String>,
}

/// A request from an SP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// Log a user in.
    Authn(AuthnRequest),
    /// Log a user out.
    Logout(LogoutRequest),
}

impl Request {
    /// The issuer (the SP's entity id).
    pub fn issuer(&self) -> &str {
        match self {
            Request::Authn(r) => &r.issuer,
            Request::Logout(r) => &r.issuer,
        }
    }

    /// The request's ID.
    pub fn id(&self) -> &str {
        match self {
            Request::Authn(r) => &r.id,
            Request::Logout(r) => &r.id,
        }
    }

    /// When it was issued (Unix seconds).
    pub fn issue_instant(&self) -> u64 {
        match self {
            Request::Authn(r) => r.issue_instant,
            Request::Logout(r) => r.issue_instant,
        }
    }

    /// Its `Destination`, if it gave one.
    pub fn destination(&self) -> Option<&str> {
        match self {
            Request::Authn(r) => r.destination.as_deref(),
            Request::Logout(r) => r.destination.as_deref(),
        }
    }
}

/// Decodes a `SAMLRequest` value (already URL-decoded) to its XML text.
pub fn decode(encoded: &str, binding: Binding) -> Result<String, RequestError> {
    if encoded.len() > MAX_ENCODED {
        return Err(RequestError::TooLarge);
    }
    // The POST binding's base64 is often broken into lines.
    let compact: String = encoded.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| RequestError::Base64)?;
    let bytes = match binding {
        Binding::Post => {
            if raw.len() > MAX_XML {
                return Err(RequestError::TooLargeInflated);
            }
            raw
        }
        Binding::Redirect => {
            let mut out = Vec::new();
            let limit = (MAX_XML as u64) + 1;
            flate2::read::DeflateDecoder::new(raw.as_slice())
                .take(limit)
                .read_to_end(&mut out)
                .map_err(|_| RequestError::Inflate)?;
            if out.len() > MAX_XML {
                return Err(RequestError::TooLargeInflated);
            }
            out
        }
    };
    String::from_utf8(bytes).map_err(|_| RequestError::NotUtf8)
}

/// Refuses any markup declaration: `<!` is allowed only as a comment.
fn refuse_declarations(xml: &str) -> Result<(), RequestError> {
    let mut rest = xml;
    while let Some(at) = rest.find("<!") {
        let tail = rest.get(at..).unwrap_or_default();
        if !tail.starts_with("<!--") {
            return Err(RequestError::Dtd);
        }
        rest = tail.get(4..).unwrap_or_default();
    }
    Ok(())
}

fn attr<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> Option<&'a str> {
    node.attribute(name)
}

/// The text of the first child element `ns:name`: one text node, nothing
/// else (a comment or an element inside would split the value, and only its
/// first part be read).
fn child_text(node: roxmltree::Node<'_, '_>, ns: &str, name: &str) -> Option<String> {
    let c = node
        .children()
        .find(|c| c.is_element() && c.tag_name().namespace() == Some(ns) && c.tag_name().name() == name)?;
    let mut inside = c.children();
    match (inside.next(), inside.next()) {
        (Some(t), None) if t.is_text() => t.text().map(|t| t.trim().to_owned()),
        _ => None,
    }
}

fn check_id(id: &str) -> Result<String, RequestError> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID
        && id.bytes().all(|b| b.is_ascii_graphic() && !b"<>&\"'".contains(&b));
    if ok {
        Ok(id.to_owned())
    } else {
        Err(RequestError::Saml("ID missing or not 1 to 256 plain characters"))
    }
}

fn check_url(url: &str) -> Result<String, RequestError> {
    if url.len() > 2048 || url.chars().any(char::is_control) {
        return Err(RequestError::Saml("a URL over 2048 characters or with control characters"));
    }
    Ok(url.to_owned())
}

/// Parses an `AuthnRequest` or a `LogoutRequest` (SAML 2.0 protocol).
pub fn parse(xml: &str) -> Result<Request, RequestError> {
    if xml.len() > MAX_XML {
        return Err(RequestError::TooLargeInflated);
    }
    refuse_declarations(xml)?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 4096,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(xml, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => RequestError::Dtd,
        _ => RequestError::Xml,
    })?;
    let root = doc.root_element();
    if root.tag_name().namespace() != Some(NS_PROTOCOL) {
        return Err(RequestError::Saml("not in the SAML 2.0 protocol namespace"));
    }
    if attr(root, "Version") != Some("2.0") {
        return Err(RequestError::Saml("Version is not 2.0"));
    }
    let id = check_id(attr(root, "ID").unwrap_or_default())?;
    let issuer = child_text(root, NS_ASSERTION, "Issuer")
        .filter(|i| !i.is_empty() && i.len() <= 1024)
        .ok_or(RequestError::Saml("Issuer missing, or not plain text"))?;
    let issue_instant = attr(root, "IssueInstant")
        .and_then(parse_instant)
        .ok_or(RequestError::Saml("IssueInstant missing or not an xs:dateTime"))?;
    let destination = attr(root, "Destination").map(check_url).transpose()?;
    match root.tag_name().name() {
        "AuthnRequest" => {
            let flag = |name| attr(root, name).is_some_and(|v| v == "true" || v == "1");
            let acs_index = match attr(root, "AssertionConsumerServiceIndex") {
                Some(v) => Some(v.parse().map_err(|_| RequestError::Saml("AssertionConsumerServiceIndex"))?),
                None => None,
            };
            Ok(Request::Authn(AuthnRequest {
                id,
                issuer,
                issue_instant,
                acs_url: attr(root, "AssertionConsumerServiceURL").map(check_url).transpose()?,
                acs_index,
                protocol_binding: attr(root, "ProtocolBinding").map(str::to_owned),
                destination,
                force_authn: flag("ForceAuthn"),
                is_passive: flag("IsPassive"),
            }))
        }
        "LogoutRequest" => {
            let name_id = child_text(root, NS_ASSERTION, "NameID")
                .filter(|n| !n.is_empty() && n.len() <= 1024)
                .ok_or(RequestError::Saml("NameID missing, or not plain text"))?;
            Ok(Request::Logout(LogoutRequest { id, issuer, issue_instant, name_id, destination }))
        }
        _ => Err(RequestError::Saml("neither an AuthnRequest nor a LogoutRequest")),
    }
}

/// Decodes and parses in one step.
pub fn read(encoded: &str, binding: Binding) -> Result<Request, RequestError> {
    parse(&decode(encoded, binding)?)
}

/// Percent-decodes one `application/x-www-form-urlencoded` value (`+` is a
/// space); the result must be UTF-8.
pub fn url_decode(value: &str) -> Result<String, RequestError> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).ok_or(RequestError::Saml("a broken %-escape"))?;
                let hex = std::str::from_utf8(hex).map_err(|_| RequestError::Saml("a broken %-escape"))?;
                out.push(u8::from_str_radix(hex, 16).map_err(|_| RequestError::Saml("a broken %-escape"))?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| RequestError::NotUtf8)
}

/// A Redirect-binding query split into its parts: each value URL-decoded,
/// and the octets its signature covers (SAML bindings §3.4.4.1: the
/// parameters as they came, `SAMLRequest`, `RelayState` if present,
/// `SigAlg`, joined by `&`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RedirectQuery {
    /// `SAMLRequest` (or `SAMLResponse`), decoded.
    pub message: Option<String>,
    /// `RelayState`, decoded.
    pub relay_state: Option<String>,
    /// `SigAlg`, decoded.
    pub sig_alg: Option<String>,
    /// `Signature`, decoded (still base64).
    pub signature: Option<String>,
    /// The signed octets (empty without `SigAlg`).
    pub signed: Vec<u8>,
}

/// Splits a raw query string (the part after `?`, still URL-encoded). A
/// parameter given twice is refused (which one was signed?).
pub fn split_query(raw: &str) -> Result<RedirectQuery, RequestError> {
    if raw.len() > 2 * MAX_ENCODED {
        return Err(RequestError::TooLarge);
    }
    let mut q = RedirectQuery::default();
    let (mut m_raw, mut r_raw, mut s_raw) = (None, None, None);
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (slot, raw_slot) = match name {
            "SAMLRequest" => (&mut q.message, Some(&mut m_raw)),
            "RelayState" => (&mut q.relay_state, Some(&mut r_raw)),
            "SigAlg" => (&mut q.sig_alg, Some(&mut s_raw)),
            "Signature" => (&mut q.signature, None),
            _ => continue,
        };
        if slot.is_some() {
            return Err(RequestError::Saml("a parameter given twice"));
        }
        *slot = Some(url_decode(value)?);
        if let Some(r) = raw_slot {
            *r = Some(pair);
        }
    }
    if let (Some(m), Some(s)) = (m_raw, s_raw) {
        let mut signed = m.to_owned();
        if let Some(r) = r_raw {
            signed.push('&');
            signed.push_str(r);
        }
        signed.push('&');
        signed.push_str(s);
        q.signed = signed.into_bytes();
    }
    Ok(q)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses an `xs:dateTime` in UTC (`2026-12-06T17:00:00Z`, fractions of a
/// second allowed and dropped, `+00:00` accepted for `Z`) to Unix seconds.
pub fn parse_instant(text: &str) -> Option<u64> {
    let text = text.trim();
    let body = text.strip_suffix('Z').or_else(|| text.strip_suffix("+00:00"))?;
    let (date, clock) = body.split_once('T')?;
    let mut date_parts = date.splitn(3, '-');
    let (year, month, day) = (date_parts.next()?, date_parts.next()?, date_parts.next()?);
    if year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let num = |part: &str| -> Option<i64> {
        if part.bytes().all(|b| b.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let (year, month, day) = (num(year)?, num(month)?, num(day)?);
    let clock = clock
        .split_once('.')
        .map_or(clock, |(whole, frac)| if frac.bytes().all(|b| b.is_ascii_digit()) { whole } else { "" });
    let mut clock_parts = clock.splitn(3, ':');
    let (hour, minute, second) = (clock_parts.next()?, clock_parts.next()?, clock_parts.next()?);
    if hour.len() != 2 || minute.len() != 2 || second.len() != 2 {
        return None;
    }
    let (hour, minute, second) = (num(hour)?, num(minute)?, num(second)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    u64::try_from(secs).ok()
}

/// Formats Unix seconds as an `xs:dateTime` in UTC (`2026-12-06T17:00:00Z`).
pub fn format_instant(unix: u64) -> String {
    // Up to the year 9999: later instants are written as its last second.
    let unix = unix.min(253_402_300_799);
    let days = i64::try_from(unix / 86_400).unwrap_or(0);
    let rem = unix % 86_400;
    // Howard Hinnant's `civil_from_days`.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let doe = shifted - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}
