//! The SAML 2.0 Web SSO identity provider (SPEC §14, `docs/FEDERATION.md`):
//! `/saml/metadata`, `/saml/sso` (HTTP-Redirect and HTTP-POST in),
//! `/saml/slo`, `/saml/idp-initiated`; Responses go out over HTTP-POST from
//! an auto-posting page.
//!
//! A request is refused with a 400 page, never a redirect and never an
//! assertion, when: it cannot be read ([`saml_request`]: size before and
//! after inflating, base64, DEFLATE, UTF-8, any DTD or entity); its issuer
//! is no registered SP; its ACS URL is not one of the SP's (exact match);
//! its signature is bad, or missing when the SP wants signed requests; its
//! `IssueInstant` is older than `saml.max_request_age_seconds` or in the
//! future; its `Destination` is another; or its ID was seen before (the
//! store's single-use keys, shared by every node).

// Handlers return a ready `Response` as their error (a 400 page, a JSON error): boxing it
// would only add noise. XML and HTML are assembled with `format!`.
#![allow(clippy::result_large_err, clippy::format_push_string)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;

use super::App;
use super::fed::{self, Federation, Flow, IdpSession, NameIdFormat, SamlConfig, fail};
use super::saml_request::{self, Binding, NS_ASSERTION, NS_PROTOCOL, RedirectQuery, Request, format_instant};
use super::xmlsig::{self, attr, text};

/// How far in the future a request's `IssueInstant` may be (clock skew).
pub const FUTURE_SKEW: u64 = 60;
/// How long an assertion is valid for its SP (`NotOnOrAfter`).
pub const ASSERTION_SECONDS: u64 = 300;
/// The longest `RelayState` accepted (SAML says 80 bytes; SPs send more).
pub const MAX_RELAY_STATE: usize = 1024;

const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const POST_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const REDIRECT_BINDING: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";
const AC_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified";

/// A registered service provider, loaded.
pub(crate) struct Sp {
    entity_id: String,
    acs: Vec<String>,
    slo: Option<String>,
    name_id_format: NameIdFormat,
    email_domain: Option<String>,
    user_attribute: Option<String>,
    groups_attribute: Option<String>,
    cert: Option<Vec<u8>>,
    want_signed_requests: bool,
    sign_response: bool,
    idp_initiated: bool,
    relay_state: Option<String>,
}

/// The SAML IdP's settings.
pub(crate) struct Idp {
    entity_id: String,
    sso_url: String,
    slo_url: String,
    max_age: u64,
    sps: Vec<Sp>,
}

impl Idp {
    pub(crate) fn new(base: &str, c: SamlConfig) -> Result<Idp, String> {
        c.check()?;
        let mut sps = Vec::with_capacity(c.sp.len());
        for s in c.sp {
            let cert = match &s.certificate {
                Some(path) => {
                    let pem = std::fs::read_to_string(path).map_err(|e| {
                        format!("[[saml.sp]] {:?} certificate {}: {e}", s.entity_id, path.display())
                    })?;
                    Some(
                        xmlsig::cert_from_pem(&pem)
                            .map_err(|e| format!("[[saml.sp]] {:?}: {e}", s.entity_id))?,
                    )
                }
                None => None,
            };
            let nonempty = |a: Option<String>, default: &str| {
                let a = a.unwrap_or_else(|| default.to_owned());
                (!a.is_empty()).then_some(a)
            };
            sps.push(Sp {
                entity_id: s.entity_id,
                acs: s.acs,
                slo: s.slo,
                name_id_format: s.name_id_format,
                email_domain: s.email_domain,
                user_attribute: nonempty(s.user_attribute, "uid"),
                groups_attribute: nonempty(s.groups_attribute, "groups"),
                cert,
                want_signed_requests: s.want_signed_requests,
                sign_response: s.sign_response,
                idp_initiated: s.idp_initiated,
                relay_state: s.relay_state,
            });
        }
        Ok(Idp {
            entity_id: c.entity_id.unwrap_or_else(|| format!("{base}/saml/metadata")),
            sso_url: format!("{base}/saml/sso"),
            slo_url: format!("{base}/saml/slo"),
            max_age: c.max_request_age_seconds.unwrap_or(300),
            sps,
        })
    }

    fn sp(&self, entity_id: &str) -> Option<(usize, &Sp)> {
        self.sps.iter().enumerate().find(|(_, s)| s.entity_id == entity_id)
    }
}

/// A SAML login waiting for the grid.
pub(crate) struct Pending {
    sp: usize,
    acs: String,
    request_id: Option<String>,
    relay_state: Option<String>,
}

fn parts(app: &App) -> Result<(Arc<Federation>, &Idp), Response> {
    let fed = app.fed.as_ref().ok_or_else(|| StatusCode::NOT_FOUND.into_response())?;
    let idp = fed.saml.as_ref().ok_or_else(|| StatusCode::NOT_FOUND.into_response())?;
    Ok((Arc::clone(fed), idp))
}

/// `GET /saml/metadata`: the IdP's metadata, with every certificate in use
/// (both during a key rollover).
pub async fn metadata(State(app): State<Arc<App>>) -> Response {
    let (fed, idp) = match parts(&app) {
        Ok(p) => p,
        Err(res) => return res,
    };
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" \
         xmlns:ds=\"{}\" entityID=\"{}\"><md:IDPSSODescriptor WantAuthnRequestsSigned=\"{}\" \
         protocolSupportEnumeration=\"{NS_PROTOCOL}\">",
        xmlsig::NS_DS,
        attr(&idp.entity_id),
        idp.sps.iter().all(|s| s.want_signed_requests) && !idp.sps.is_empty(),
    );
    for cert in fed.keys.certs() {
        xml.push_str(&format!(
            "<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{}\
             </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
            b64(cert)
        ));
    }
    for binding in [REDIRECT_BINDING, POST_BINDING] {
        xml.push_str(&format!(
            "<md:SingleLogoutService Binding=\"{binding}\" Location=\"{}\"/>",
            attr(&idp.slo_url)
        ));
    }
    for f in [NameIdFormat::Unspecified, NameIdFormat::Email, NameIdFormat::Persistent] {
        xml.push_str(&format!("<md:NameIDFormat>{}</md:NameIDFormat>", f.uri()));
    }
    for binding in [REDIRECT_BINDING, POST_BINDING] {
        xml.push_str(&format!(
            "<md:SingleSignOnService Binding=\"{binding}\" Location=\"{}\"/>",
            attr(&idp.sso_url)
        ));
    }
    xml.push_str("</md:IDPSSODescriptor></md:EntityDescriptor>\n");
    ([(header::CONTENT_TYPE, "application/samlmetadata+xml")], xml).into_response()
}

/// Reads an `application/x-www-form-urlencoded` body of the POST binding.
fn form(body: Result<Bytes, BytesRejection>) -> Result<RedirectQuery, Response> {
    let body = body.map_err(|e| fail(e.status(), "the request body is too large or unreadable"))?;
    let text =
        std::str::from_utf8(&body).map_err(|_| fail(StatusCode::BAD_REQUEST, "the form is not UTF-8"))?;
    let mut q = RedirectQuery::default();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match name {
            "SAMLRequest" => &mut q.message,
            "RelayState" => &mut q.relay_state,
            _ => continue,
        };
        if slot.is_some() {
            return Err(fail(StatusCode::BAD_REQUEST, "a SAML parameter given twice"));
        }
        *slot =
            Some(saml_request::url_decode(value).map_err(|e| fail(StatusCode::BAD_REQUEST, &e.to_string()))?);
    }
    Ok(q)
}

fn raw_query(uri: &Uri) -> Result<RedirectQuery, Response> {
    saml_request::split_query(uri.query().unwrap_or_default())
        .map_err(|e| fail(StatusCode::BAD_REQUEST, &e.to_string()))
}

/// `GET /saml/sso`: an AuthnRequest over the HTTP-Redirect binding.
pub async fn sso_redirect(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    match raw_query(&uri) {
        Ok(q) => incoming(app, headers, q, Binding::Redirect, false).await,
        Err(res) => res,
    }
}

/// `POST /saml/sso`: an AuthnRequest over the HTTP-POST binding.
pub async fn sso_post(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match form(body) {
        Ok(q) => incoming(app, headers, q, Binding::Post, false).await,
        Err(res) => res,
    }
}

/// `GET /saml/slo`: a LogoutRequest over the HTTP-Redirect binding.
pub async fn slo_redirect(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    match raw_query(&uri) {
        Ok(q) => incoming(app, headers, q, Binding::Redirect, true).await,
        Err(res) => res,
    }
}

/// `POST /saml/slo`: a LogoutRequest over the HTTP-POST binding.
pub async fn slo_post(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match form(body) {
        Ok(q) => incoming(app, headers, q, Binding::Post, true).await,
        Err(res) => res,
    }
}

async fn incoming(
    app: Arc<App>,
    headers: HeaderMap,
    q: RedirectQuery,
    binding: Binding,
    logout: bool,
) -> Response {
    let out = tokio::task::spawn_blocking(move || match check(&app, &q, binding, logout) {
        Ok((sp, Request::Authn(r), fed, _)) => {
            let acs = match (&r.acs_url, r.acs_index) {
                (Some(url), _) => url.clone(),
                (None, Some(i)) => match fed
                    .saml
                    .as_ref()
                    .and_then(|idp| idp.sps.get(sp))
                    .and_then(|s| s.acs.get(i as usize))
                {
                    Some(url) => url.clone(),
                    None => {
                        return fail(
                            StatusCode::BAD_REQUEST,
                            "AssertionConsumerServiceIndex names no registered ACS",
                        );
                    }
                },
                (None, None) => {
                    match fed.saml.as_ref().and_then(|idp| idp.sps.get(sp)).and_then(|s| s.acs.first()) {
                        Some(url) => url.clone(),
                        None => return fail(StatusCode::BAD_REQUEST, "no ACS"),
                    }
                }
            };
            let flow = Flow::Saml(Pending {
                sp,
                acs,
                request_id: Some(r.id.clone()),
                relay_state: q.relay_state.clone(),
            });
            if r.is_passive && fed.session(&headers, app.login()).is_none() {
                return fail(StatusCode::BAD_REQUEST, "IsPassive: no session, and a login needs the grid");
            }
            fed::start(&app, &fed, flow, &headers, r.force_authn)
        }
        Ok((sp, Request::Logout(r), fed, signed)) => {
            logout_response(&app, &fed, sp, &r, signed, q.relay_state.as_deref(), &headers)
        }
        Err(res) => res,
    })
    .await;
    out.unwrap_or_else(|_| fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
}

/// Every check of an incoming request: readable, from a registered SP,
/// signed as that SP requires, fresh, for us, to a registered ACS, and
/// never seen before. The `bool`: its signature was checked.
fn check(
    app: &App,
    q: &RedirectQuery,
    binding: Binding,
    logout: bool,
) -> Result<(usize, Request, Arc<Federation>, bool), Response> {
    let (fed, idp) = parts(app)?;
    let bad = |why: &str| fail(StatusCode::BAD_REQUEST, why);
    let message = q.message.as_deref().ok_or_else(|| bad("no SAMLRequest"))?;
    let request = saml_request::read(message, binding).map_err(|e| bad(&e.to_string()))?;
    match (&request, logout) {
        (Request::Authn(_), false) | (Request::Logout(_), true) => {}
        (Request::Authn(_), true) => return Err(bad("an AuthnRequest sent to the logout endpoint")),
        (Request::Logout(_), false) => return Err(bad("a LogoutRequest sent to the login endpoint")),
    }
    let (index, sp) = idp
        .sp(request.issuer())
        .ok_or_else(|| bad("unknown service provider (its Issuer is not registered)"))?;
    if let Some(relay) = &q.relay_state
        && relay.len() > MAX_RELAY_STATE
    {
        return Err(bad("RelayState is too long"));
    }
    // The signature.
    let mut signed = false;
    match binding {
        Binding::Post if sp.want_signed_requests => {
            return Err(bad("this SP must sign its requests: use the HTTP-Redirect binding (signed query)"));
        }
        Binding::Post => {}
        Binding::Redirect => match (&q.signature, &q.sig_alg, &sp.cert) {
            (Some(sig), Some(alg), Some(cert)) => {
                let sig = base64::engine::general_purpose::STANDARD
                    .decode(sig.split_whitespace().collect::<String>())
                    .map_err(|_| bad("the Signature is not base64"))?;
                xmlsig::verify_redirect(cert, alg, &q.signed, &sig).map_err(|e| bad(&e))?;
                signed = true;
            }
            (Some(_), None, Some(_)) => return Err(bad("a Signature without SigAlg")),
            (None, _, _) if sp.want_signed_requests => {
                return Err(bad("this SP must sign its requests; this one is unsigned"));
            }
            _ => {}
        },
    }
    // Fresh and for us.
    let login = app.login();
    let now = login.now();
    let issued = request.issue_instant();
    if issued > now + FUTURE_SKEW {
        return Err(bad("the request's IssueInstant is in the future (check the clocks)"));
    }
    if now.saturating_sub(issued) > idp.max_age {
        return Err(bad("the request is too old (IssueInstant)"));
    }
    let ours = if logout { &idp.slo_url } else { &idp.sso_url };
    if let Some(d) = request.destination()
        && d != ours
    {
        return Err(bad("the request's Destination is not this IdP"));
    }
    if let Request::Authn(r) = &request {
        if let Some(url) = &r.acs_url
            && !sp.acs.iter().any(|a| a == url)
        {
            return Err(bad(
                "the AssertionConsumerServiceURL is not registered for this SP (never redirected to)",
            ));
        }
        if let Some(b) = &r.protocol_binding
            && b != POST_BINDING
        {
            return Err(bad("only the HTTP-POST binding is offered for the Response"));
        }
    }
    // Never seen before, on any node.
    let key = format!("{}\n{}", request.issuer(), request.id());
    match login.claim_once("saml request", &key, issued + idp.max_age + FUTURE_SKEW) {
        Ok(true) => {}
        Ok(false) => return Err(bad("this request was used before (replayed)")),
        Err(_) => {
            return Err(fail(
                StatusCode::SERVICE_UNAVAILABLE,
                "the login service is temporarily unavailable",
            ));
        }
    }
    Ok((index, request, fed, signed))
}

/// The query of `/saml/idp-initiated`.
#[derive(Deserialize)]
pub struct IdpInitiated {
    /// The SP's entity id.
    pub sp: Option<String>,
}

/// `GET /saml/idp-initiated?sp=ENTITY_ID`: a login started at the IdP for
/// an SP that allows it (`idp_initiated = true`); the Response goes to its
/// first ACS URL with no `InResponseTo`.
pub async fn idp_initiated(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    query: Result<Query<IdpInitiated>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let entity = query.ok().and_then(|q| q.0.sp).unwrap_or_default();
    let out = tokio::task::spawn_blocking(move || {
        let (fed, idp) = match parts(&app) {
            Ok(p) => p,
            Err(res) => return res,
        };
        let Some((index, sp)) = idp.sp(&entity).filter(|(_, s)| s.idp_initiated) else {
            return fail(
                StatusCode::BAD_REQUEST,
                "unknown service provider, or one that does not take IdP-initiated logins",
            );
        };
        let Some(acs) = sp.acs.first().cloned() else { return fail(StatusCode::BAD_REQUEST, "no ACS") };
        let flow =
            Flow::Saml(Pending { sp: index, acs, request_id: None, relay_state: sp.relay_state.clone() });
        fed::start(&app, &fed, flow, &headers, false)
    })
    .await;
    out.unwrap_or_else(|_| fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
}

fn name_id(fed: &Federation, sp: &Sp, user: &str) -> String {
    match sp.name_id_format {
        NameIdFormat::Unspecified => user.to_owned(),
        NameIdFormat::Email => match &sp.email_domain {
            Some(d) if !user.contains('@') => format!("{user}@{d}"),
            _ => user.to_owned(),
        },
        NameIdFormat::Persistent => fed.pseudonym(&sp.entity_id, user),
    }
}

fn saml_id() -> Result<String, String> {
    fed::random_id(20).map(|id| format!("_{id}"))
}

/// The signed Response for a parked login, as an auto-posting page. Runs
/// store reads: call off the async runtime.
pub(crate) fn respond(app: &App, fed: &Federation, p: &Pending, s: &IdpSession, sso: bool) -> Response {
    let Some(idp) = fed.saml.as_ref() else { return StatusCode::NOT_FOUND.into_response() };
    let Some(sp) = idp.sps.get(p.sp) else {
        return fail(StatusCode::BAD_REQUEST, "unknown service provider");
    };
    // Checked when the request came; checked again here, where the post is made.
    if !sp.acs.contains(&p.acs) {
        return fail(StatusCode::BAD_REQUEST, "the ACS URL is not registered");
    }
    let Ok(groups) = app.login().groups(&s.user) else {
        return fail(StatusCode::SERVICE_UNAVAILABLE, "the login service is temporarily unavailable");
    };
    match response_xml(fed, idp, sp, p, s, &groups, app.login().now()) {
        Ok(xml) => {
            // Audited before it leaves: no assertion goes out unrecorded.
            if app.login().record_federation(&s.user, "saml", &sp.entity_id, "assertion", sso).is_err() {
                return fail(StatusCode::SERVICE_UNAVAILABLE, "the login service is temporarily unavailable");
            }
            let encoded = base64::engine::general_purpose::STANDARD.encode(xml.as_bytes());
            let mut fields = vec![("SAMLResponse", encoded.as_str())];
            if let Some(r) = &p.relay_state {
                fields.push(("RelayState", r.as_str()));
            }
            fed::autopost(&p.acs, &fields, None)
        }
        Err(e) => {
            crate::warn!("matrixauth serve: SAML response: {e}");
            fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// The Response XML: the assertion signed, and the Response too when the
/// SP asks. Written canonical ([`xmlsig`]).
pub(crate) fn response_xml(
    fed: &Federation,
    idp: &Idp,
    sp: &Sp,
    p: &Pending,
    s: &IdpSession,
    groups: &[String],
    now: u64,
) -> Result<String, String> {
    let t = format_instant;
    let aid = saml_id()?;
    let rid = saml_id()?;
    let irt = p.request_id.as_deref().map(|id| format!(" InResponseTo=\"{}\"", attr(id))).unwrap_or_default();
    let valid_until = (now + ASSERTION_SECONDS).min(s.ends_at.max(now + 1));
    // The assertion.
    let head = format!(
        "<saml:Assertion xmlns:saml=\"{NS_ASSERTION}\" ID=\"{aid}\" IssueInstant=\"{}\" Version=\"2.0\">",
        t(now)
    );
    let issuer = format!("<saml:Issuer>{}</saml:Issuer>", text(&idp.entity_id));
    let qualifiers = if sp.name_id_format == NameIdFormat::Persistent {
        format!(" NameQualifier=\"{}\" SPNameQualifier=\"{}\"", attr(&idp.entity_id), attr(&sp.entity_id))
    } else {
        String::new()
    };
    let mut body = format!(
        "<saml:Subject><saml:NameID Format=\"{}\"{qualifiers}>{}</saml:NameID>\
         <saml:SubjectConfirmation Method=\"{BEARER}\"><saml:SubjectConfirmationData{irt} NotOnOrAfter=\"{}\" \
         Recipient=\"{}\"></saml:SubjectConfirmationData></saml:SubjectConfirmation></saml:Subject>\
         <saml:Conditions NotBefore=\"{}\" NotOnOrAfter=\"{}\"><saml:AudienceRestriction><saml:Audience>{}\
         </saml:Audience></saml:AudienceRestriction></saml:Conditions>\
         <saml:AuthnStatement AuthnInstant=\"{}\" SessionIndex=\"{}\" SessionNotOnOrAfter=\"{}\"><saml:AuthnContext>\
         <saml:AuthnContextClassRef>{AC_UNSPECIFIED}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>",
        sp.name_id_format.uri(),
        text(&name_id(fed, sp, &s.user)),
        t(valid_until),
        attr(&p.acs),
        t(now.saturating_sub(30)),
        t(valid_until),
        text(&sp.entity_id),
        t(s.auth_time),
        attr(&format!(
            "_{}",
            fed::sha256_hex(format!("{}\n{}", s.user, s.auth_time).as_bytes()).get(..32).unwrap_or_default()
        )),
        t(s.ends_at),
    );
    let mut attributes = String::new();
    let attribute = |name: &str, values: &[&str]| {
        let mut a = format!("<saml:Attribute Name=\"{}\" NameFormat=\"{BASIC}\">", attr(name));
        for v in values {
            a.push_str(&format!("<saml:AttributeValue>{}</saml:AttributeValue>", text(v)));
        }
        a.push_str("</saml:Attribute>");
        a
    };
    if let Some(name) = &sp.user_attribute {
        attributes.push_str(&attribute(name, &[s.user.as_str()]));
    }
    if let Some(name) = &sp.groups_attribute
        && !groups.is_empty()
    {
        let values: Vec<&str> = groups.iter().map(String::as_str).collect();
        attributes.push_str(&attribute(name, &values));
    }
    if !attributes.is_empty() {
        body.push_str(&format!("<saml:AttributeStatement>{attributes}</saml:AttributeStatement>"));
    }
    let assertion = format!("{head}{issuer}{body}</saml:Assertion>");
    let assertion = xmlsig::sign_enveloped(&assertion, &aid, head.len() + issuer.len(), &fed.keys.signer)?;
    // The Response around it.
    let head = format!(
        "<samlp:Response xmlns:samlp=\"{NS_PROTOCOL}\" Destination=\"{}\" ID=\"{rid}\"{irt} IssueInstant=\"{}\" Version=\"2.0\">",
        attr(&p.acs),
        t(now)
    );
    let issuer = format!("<saml:Issuer xmlns:saml=\"{NS_ASSERTION}\">{}</saml:Issuer>", text(&idp.entity_id));
    let status =
        format!("<samlp:Status><samlp:StatusCode Value=\"{SUCCESS}\"></samlp:StatusCode></samlp:Status>");
    let response = format!("{head}{issuer}{status}{assertion}</samlp:Response>");
    if sp.sign_response {
        xmlsig::sign_enveloped(&response, &rid, head.len() + issuer.len(), &fed.keys.signer)
    } else {
        Ok(response)
    }
}

/// Ends the sessions a LogoutRequest names (the browser's, and, when the
/// request's signature was checked, every session of the user its NameID
/// names: anyone can write an unsigned one) and answers with a signed
/// LogoutResponse to the SP's SLO URL.
fn logout_response(
    app: &App,
    fed: &Federation,
    sp_index: usize,
    r: &saml_request::LogoutRequest,
    signed: bool,
    relay_state: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    let Some(idp) = fed.saml.as_ref() else { return StatusCode::NOT_FOUND.into_response() };
    let Some(sp) = idp.sps.get(sp_index) else {
        return fail(StatusCode::BAD_REQUEST, "unknown service provider");
    };
    let ended = fed.end_sessions(headers, |user| signed && name_id(fed, sp, user) == r.name_id);
    let clear = fed.clear_cookie();
    let Some(slo) = &sp.slo else {
        let mut res =
            fail(StatusCode::OK, &format!("logged out ({ended} session(s) ended); this SP has no SLO URL"));
        if let Some(c) = clear {
            res.headers_mut().insert(header::SET_COOKIE, c);
        }
        return res;
    };
    let now = app.login().now();
    let xml = saml_id().and_then(|id| {
        let head = format!(
            "<samlp:LogoutResponse xmlns:samlp=\"{NS_PROTOCOL}\" Destination=\"{}\" ID=\"{id}\" InResponseTo=\"{}\" \
             IssueInstant=\"{}\" Version=\"2.0\">",
            attr(slo),
            attr(&r.id),
            format_instant(now)
        );
        let issuer = format!("<saml:Issuer xmlns:saml=\"{NS_ASSERTION}\">{}</saml:Issuer>", text(&idp.entity_id));
        let element = format!(
            "{head}{issuer}<samlp:Status><samlp:StatusCode Value=\"{SUCCESS}\"></samlp:StatusCode></samlp:Status>\
             </samlp:LogoutResponse>"
        );
        xmlsig::sign_enveloped(&element, &id, head.len() + issuer.len(), &fed.keys.signer)
    });
    match xml {
        Ok(xml) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(xml.as_bytes());
            let mut fields = vec![("SAMLResponse", encoded.as_str())];
            if let Some(r) = relay_state {
                fields.push(("RelayState", r));
            }
            fed::autopost(slo, &fields, clear)
        }
        Err(e) => {
            crate::warn!("matrixauth serve: SAML logout response: {e}");
            fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}
