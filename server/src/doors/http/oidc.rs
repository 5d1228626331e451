//! The OpenID Connect provider (SPEC §14, `docs/FEDERATION.md`): discovery
//! at `/.well-known/openid-configuration`, `/oidc/authorize` (the
//! authorization-code flow, PKCE S256 required), `/oidc/token`
//! (`client_secret_basic`, `client_secret_post`, or a public client),
//! `/oidc/jwks`, `/oidc/userinfo`. No implicit flow, no refresh tokens.
//!
//! Codes and access tokens are sealed (AES-256-GCM under a key derived from
//! the site key, so any node of a cluster opens them) and a code is used up
//! in the store's single-use keys when redeemed: once across the cluster,
//! within [`CODE_SECONDS`]. The ID token is ES256, signed with the IdP key
//! ([`super::idp_key`]); the JWKS publishes every certificate's key, both
//! during a rollover.

// Handlers return a ready `Response` as their error (a 400 page, a JSON error): boxing it
// would only add noise. XML and HTML are assembled with `format!`.
#![allow(clippy::result_large_err, clippy::format_push_string)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;

use super::App;
use super::fed::{self, Federation, Flow, IdpSession, OidcConfig, fail};
use super::saml_request::url_decode;

/// How long a code lives (seconds).
pub const CODE_SECONDS: u64 = 60;
/// The longest life of an access token (seconds; never past the session).
pub const ACCESS_SECONDS: u64 = 600;
/// `amr` (RFC 8176): a one-time password, which the grid's answer is.
pub const AMR: &str = "otp";
/// `acr`: matrix authentication.
pub const ACR: &str = "urn:matrixauth:acr:matrix";

struct Client {
    id: String,
    secret_sha256: Option<[u8; 32]>,
    redirect_uris: Vec<String>,
}

/// The provider's settings.
pub(crate) struct Provider {
    issuer: String,
    clients: Vec<Client>,
}

impl Provider {
    pub(crate) fn new(base: &str, c: OidcConfig) -> Result<Provider, String> {
        c.check()?;
        let clients = c
            .client
            .into_iter()
            .map(|c| {
                let secret_sha256 = c.secret_sha256.as_deref().map(|h| {
                    let mut out = [0u8; 32];
                    for (i, o) in out.iter_mut().enumerate() {
                        *o =
                            h.get(2 * i..2 * i + 2).and_then(|x| u8::from_str_radix(x, 16).ok()).unwrap_or(0);
                    }
                    out
                });
                Client { id: c.client_id, secret_sha256, redirect_uris: c.redirect_uris }
            })
            .collect();
        Ok(Provider { issuer: c.issuer.unwrap_or_else(|| base.to_owned()), clients })
    }

    fn client(&self, id: &str) -> Option<(usize, &Client)> {
        self.clients.iter().enumerate().find(|(_, c)| c.id == id)
    }
}

/// An authorization waiting for the grid.
pub(crate) struct Pending {
    client: usize,
    redirect_uri: String,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
}

fn provider(app: &App) -> Result<(Arc<Federation>, &Provider), Response> {
    let fed = app.fed.as_ref().ok_or_else(|| StatusCode::NOT_FOUND.into_response())?;
    let p = fed.oidc.as_ref().ok_or_else(|| StatusCode::NOT_FOUND.into_response())?;
    Ok((Arc::clone(fed), p))
}

fn b64url(data: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")], axum::Json(body.clone()))
        .into_response()
}

/// `GET /.well-known/openid-configuration`.
pub async fn discovery(State(app): State<Arc<App>>) -> Response {
    let (fed, p) = match provider(&app) {
        Ok(x) => x,
        Err(res) => return res,
    };
    let base = &fed.base;
    let body = json!({
        "issuer": p.issuer,
        "authorization_endpoint": format!("{base}/oidc/authorize"),
        "token_endpoint": format!("{base}/oidc/token"),
        "userinfo_endpoint": format!("{base}/oidc/userinfo"),
        "jwks_uri": format!("{base}/oidc/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "scopes_supported": ["openid", "profile", "groups"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr",
                             "preferred_username", "groups"],
    });
    ([(header::CACHE_CONTROL, "max-age=300")], axum::Json(body)).into_response()
}

/// The `kid` of a certificate's key: SHA-256 of the certificate, base64url, 16 characters.
fn kid(cert: &[u8]) -> String {
    fed::sha256_hex(cert).get(..16).unwrap_or_default().to_owned()
}

/// The EC point (`x`, `y`) of a P-256 certificate.
fn ec_point(cert: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    use x509_cert::der::Decode as _;
    let cert = x509_cert::Certificate::from_der(cert).ok()?;
    let point = cert.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes();
    match point {
        [4, rest @ ..] if rest.len() == 64 => Some((rest.get(..32)?.to_vec(), rest.get(32..)?.to_vec())),
        _ => None,
    }
}

/// `GET /oidc/jwks`: every certificate's key (the current one first).
pub async fn jwks(State(app): State<Arc<App>>) -> Response {
    let (fed, _) = match provider(&app) {
        Ok(x) => x,
        Err(res) => return res,
    };
    let keys: Vec<Value> = fed
        .keys
        .certs()
        .iter()
        .filter_map(|c| {
            let (x, y) = ec_point(c)?;
            Some(json!({"kty": "EC", "crv": "P-256", "x": b64url(&x), "y": b64url(&y), "use": "sig",
                        "alg": "ES256", "kid": kid(c)}))
        })
        .collect();
    ([(header::CACHE_CONTROL, "max-age=300")], axum::Json(json!({ "keys": keys }))).into_response()
}

/// The query parameters of a URL (each once; a repeated one is refused).
fn params(raw: &str) -> Result<Vec<(String, String)>, String> {
    if raw.len() > 8192 {
        return Err("the request is too long".into());
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = url_decode(name).map_err(|e| e.to_string())?;
        let value = url_decode(value).map_err(|e| e.to_string())?;
        if out.iter().any(|(n, _)| *n == name) {
            return Err(format!("parameter {name} given twice"));
        }
        out.push((name, value));
    }
    Ok(out)
}

fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A redirect to the client's registered URI with `query` appended.
fn back_to(redirect_uri: &str, query: &[(&str, &str)]) -> Response {
    let mut url = redirect_uri.to_owned();
    let mut sep = if url.contains('?') { '&' } else { '?' };
    for (name, value) in query {
        url.push(sep);
        url.push_str(name);
        url.push('=');
        url.push_str(&encode(value));
        sep = '&';
    }
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(&url) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

fn error_back(redirect_uri: &str, error: &str, description: &str, state: Option<&str>) -> Response {
    let mut q = vec![("error", error), ("error_description", description)];
    if let Some(s) = state {
        q.push(("state", s));
    }
    back_to(redirect_uri, &q)
}

/// Whether `s` is a PKCE value (RFC 7636 §4.1: 43 to 128 unreserved characters).
fn pkce_value(s: &str) -> bool {
    (43..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// `GET /oidc/authorize`: an unknown client or a redirect URI not
/// registered gets a 400 page (never a redirect); any other fault goes back
/// to the registered URI as `error=`.
pub async fn authorize(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let raw = uri.query().unwrap_or_default().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        let (fed, p) = match provider(&app) {
            Ok(x) => x,
            Err(res) => return res,
        };
        let q = match params(&raw) {
            Ok(q) => q,
            Err(e) => return fail(StatusCode::BAD_REQUEST, &e),
        };
        let Some((index, client)) = get(&q, "client_id").and_then(|id| p.client(id)) else {
            return fail(StatusCode::BAD_REQUEST, "unknown client_id");
        };
        let Some(redirect_uri) =
            get(&q, "redirect_uri").filter(|u| client.redirect_uris.iter().any(|r| r == u))
        else {
            return fail(
                StatusCode::BAD_REQUEST,
                "redirect_uri missing or not registered for this client (never redirected to)",
            );
        };
        let state = get(&q, "state");
        if state.is_some_and(|s| s.len() > 1024) {
            return fail(StatusCode::BAD_REQUEST, "state is too long");
        }
        let err = |e: &str, d: &str| error_back(redirect_uri, e, d, state);
        if get(&q, "response_type") != Some("code") {
            return err("unsupported_response_type", "only the authorization-code flow (response_type=code)");
        }
        if !get(&q, "scope").is_some_and(|s| s.split(' ').any(|x| x == "openid")) {
            return err("invalid_scope", "the scope must hold openid");
        }
        if get(&q, "request").is_some() || get(&q, "request_uri").is_some() {
            return err("request_not_supported", "request objects are not supported");
        }
        let Some(challenge) = get(&q, "code_challenge").filter(|c| c.len() == 43 && pkce_value(c)) else {
            return err("invalid_request", "PKCE is required: code_challenge (S256) missing or malformed");
        };
        if get(&q, "code_challenge_method") != Some("S256") {
            return err("invalid_request", "PKCE is required with code_challenge_method=S256");
        }
        let nonce = get(&q, "nonce");
        if nonce.is_some_and(|n| n.len() > 255) {
            return err("invalid_request", "nonce is too long");
        }
        let prompt = get(&q, "prompt").unwrap_or_default();
        let max_age = match get(&q, "max_age").map(str::parse::<u64>) {
            None => None,
            Some(Ok(m)) => Some(m),
            Some(Err(_)) => return err("invalid_request", "max_age is not a number of seconds"),
        };
        // A session whose grid was answered more than max_age ago does not do (OIDC Core §3.1.2.1).
        let too_old = max_age.is_some_and(|m| {
            m == 0
                || fed
                    .session(&headers, app.login())
                    .is_some_and(|s| app.login().now().saturating_sub(s.auth_time) > m)
        });
        let fresh = prompt.split(' ').any(|p| p == "login") || too_old;
        // prompt=none shows no grid: without a session that will do, login_required.
        if prompt.split(' ').any(|p| p == "none") && (fresh || fed.session(&headers, app.login()).is_none()) {
            return err("login_required", "no session; the grid must be answered");
        }
        let flow = Flow::Oidc(Pending {
            client: index,
            redirect_uri: redirect_uri.to_owned(),
            state: state.map(str::to_owned),
            nonce: nonce.map(str::to_owned),
            code_challenge: challenge.to_owned(),
        });
        fed::start(&app, &fed, flow, &headers, fresh)
    })
    .await;
    out.unwrap_or_else(|_| fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
}

/// The code for a parked authorization, sent back to the client.
pub(crate) fn respond(app: &App, fed: &Federation, p: &Pending, s: &IdpSession, sso: bool) -> Response {
    let Some(provider) = fed.oidc.as_ref() else { return StatusCode::NOT_FOUND.into_response() };
    let Some(client) = provider.clients.get(p.client) else {
        return fail(StatusCode::BAD_REQUEST, "unknown client");
    };
    if !client.redirect_uris.contains(&p.redirect_uri) {
        return fail(StatusCode::BAD_REQUEST, "redirect_uri not registered");
    }
    let now = app.login().now();
    let claims = json!({
        "c": client.id, "r": p.redirect_uri, "u": s.user, "e": s.enrolled_at, "t": s.auth_time,
        "s": s.ends_at, "n": p.nonce, "p": p.code_challenge, "x": now + CODE_SECONDS, "o": sso,
    });
    let Ok(code) = fed.seal(b"oidc code", claims.to_string().as_bytes()) else {
        return fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    };
    let mut q = vec![("code", code.as_str())];
    if let Some(st) = &p.state {
        q.push(("state", st.as_str()));
    }
    back_to(&p.redirect_uri, &q)
}

fn token_error(status: StatusCode, error: &str, description: &str) -> Response {
    let mut res = json_response(status, &json!({ "error": error, "error_description": description }));
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"matrixauth\""));
    }
    res
}

/// The client a token request authenticates as: HTTP Basic
/// (`client_secret_basic`) or `client_id` and `client_secret` in the form
/// (`client_secret_post`); a public client names itself with `client_id`.
fn authenticate<'a>(
    p: &'a Provider,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<&'a Client, Response> {
    let invalid = || token_error(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed");
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .map(|b| {
            let raw = base64::engine::general_purpose::STANDARD.decode(b.trim()).map_err(|_| invalid())?;
            let text = String::from_utf8(raw).map_err(|_| invalid())?;
            let (id, secret) = text.split_once(':').ok_or_else(invalid)?;
            Ok::<_, Response>((
                url_decode(id).map_err(|_| invalid())?,
                url_decode(secret).map_err(|_| invalid())?,
            ))
        })
        .transpose()?;
    let (id, secret) = match (basic, get(form, "client_id"), get(form, "client_secret")) {
        (Some(_), _, Some(_)) => {
            return Err(token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "two client authentications",
            ));
        }
        (Some((id, secret)), form_id, None) => {
            if form_id.is_some_and(|f| f != id) {
                return Err(invalid());
            }
            (id, Some(zeroize::Zeroizing::new(secret)))
        }
        (None, Some(id), secret) => (id.to_owned(), secret.map(|s| zeroize::Zeroizing::new(s.to_owned()))),
        (None, None, _) => return Err(invalid()),
    };
    let client = p.client(&id).map(|(_, c)| c).ok_or_else(invalid)?;
    match (&client.secret_sha256, secret) {
        (None, None) => Ok(client),
        (Some(expected), Some(secret)) => {
            use sha2::Digest as _;
            let got: [u8; 32] = sha2::Sha256::digest(secret.as_bytes()).into();
            if bool::from(got.ct_eq(expected)) { Ok(client) } else { Err(invalid()) }
        }
        _ => Err(invalid()),
    }
}

/// `POST /oidc/token`: a code for an ID token and an access token.
pub async fn token(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return token_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "the body is too large or unreadable",
        );
    };
    let out = tokio::task::spawn_blocking(move || {
        let (fed, p) = match provider(&app) {
            Ok(x) => x,
            Err(res) => return res,
        };
        let bad = |d: &str| token_error(StatusCode::BAD_REQUEST, "invalid_request", d);
        let Ok(text) = std::str::from_utf8(&body) else { return bad("the form is not UTF-8") };
        let form = match params(text) {
            Ok(f) => f,
            Err(e) => return bad(&e),
        };
        let client = match authenticate(p, &headers, &form) {
            Ok(c) => c,
            Err(res) => return res,
        };
        if get(&form, "grant_type") != Some("authorization_code") {
            return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "only authorization_code");
        }
        let grant = |d: &str| token_error(StatusCode::BAD_REQUEST, "invalid_grant", d);
        let Some(code) = get(&form, "code") else { return bad("code missing") };
        let Some(claims) =
            fed.open(b"oidc code", code).and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        else {
            return grant("the code is not valid");
        };
        let login = app.login();
        let now = login.now();
        let exp = claims.get("x").and_then(Value::as_u64).unwrap_or(0);
        if now >= exp {
            return grant("the code has expired");
        }
        if claims.get("c").and_then(Value::as_str) != Some(client.id.as_str()) {
            return grant("the code was issued to another client");
        }
        // Used up now, whatever follows: a code is tried once, on any node.
        match login.claim_once("oidc code", code, exp + 1) {
            Ok(true) => {}
            Ok(false) => return grant("the code was used before"),
            Err(_) => {
                return token_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again");
            }
        }
        if get(&form, "redirect_uri") != claims.get("r").and_then(Value::as_str) {
            return grant("redirect_uri does not match the authorization request");
        }
        let Some(verifier) = get(&form, "code_verifier").filter(|v| pkce_value(v)) else {
            return grant("PKCE: code_verifier missing or malformed");
        };
        let computed = {
            use sha2::Digest as _;
            b64url(&sha2::Sha256::digest(verifier.as_bytes()))
        };
        let expected = claims.get("p").and_then(Value::as_str).unwrap_or_default();
        if !bool::from(computed.as_bytes().ct_eq(expected.as_bytes())) {
            return grant("PKCE: code_verifier does not match code_challenge");
        }
        tokens(&fed, p, client, login, &claims)
    })
    .await;
    out.unwrap_or_else(|_| token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal error"))
}

/// The ID token and the access token of a redeemed code.
fn tokens(
    fed: &Federation,
    p: &Provider,
    client: &Client,
    login: &crate::login::Login,
    claims: &Value,
) -> Response {
    let grant = |d: &str| token_error(StatusCode::BAD_REQUEST, "invalid_grant", d);
    let now = login.now();
    let (Some(user), Some(auth_time), Some(ends_at), Some(enrolled_at)) = (
        claims.get("u").and_then(Value::as_str),
        claims.get("t").and_then(Value::as_u64),
        claims.get("s").and_then(Value::as_u64),
        claims.get("e").and_then(Value::as_u64),
    ) else {
        return grant("the code is not valid");
    };
    // The user may have been suspended or locked since the grid was answered.
    let Some(bound) = login.session_still_allowed(user, enrolled_at) else {
        return grant("the user may not log in now");
    };
    let ends_at = ends_at.min(bound);
    if ends_at <= now {
        return grant("the session has ended");
    }
    let groups = login.groups(user).unwrap_or_default();
    let mut id_claims = json!({
        "iss": p.issuer, "sub": user, "aud": client.id, "exp": ends_at, "iat": now,
        "auth_time": auth_time, "amr": [AMR], "acr": ACR, "preferred_username": user,
    });
    if let (Some(n), Some(obj)) = (claims.get("n").and_then(Value::as_str), id_claims.as_object_mut()) {
        obj.insert("nonce".into(), json!(n));
    }
    if let (false, Some(obj)) = (groups.is_empty(), id_claims.as_object_mut()) {
        obj.insert("groups".into(), json!(groups));
    }
    let Ok(id_token) = sign_jwt(fed, &id_claims) else {
        return token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "signing failed");
    };
    let sso = claims.get("o").and_then(Value::as_bool).unwrap_or(false);
    if login.record_federation(user, "oidc", &client.id, "id_token", sso).is_err() {
        return token_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", "try again");
    }
    let access_exp = ends_at.min(now + ACCESS_SECONDS);
    let access = json!({ "u": user, "c": client.id, "x": access_exp, "e": enrolled_at });
    let Ok(access_token) = fed.seal(b"oidc access", access.to_string().as_bytes()) else {
        return token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "sealing failed");
    };
    json_response(
        StatusCode::OK,
        &json!({ "access_token": access_token, "token_type": "Bearer", "expires_in": access_exp - now,
                 "id_token": id_token, "scope": "openid" }),
    )
}

/// A JWT signed ES256 with the current key.
pub(crate) fn sign_jwt(fed: &Federation, claims: &Value) -> Result<String, String> {
    let header = json!({ "alg": "ES256", "typ": "JWT", "kid": kid(fed.keys.signer.cert()) });
    let input =
        format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let sig = fed.keys.signer.sign(input.as_bytes())?;
    Ok(format!("{input}.{}", b64url(&sig)))
}

/// `GET` or `POST /oidc/userinfo` with `Authorization: Bearer`.
pub async fn userinfo(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let out = tokio::task::spawn_blocking(move || {
        let (fed, _) = match provider(&app) {
            Ok(x) => x,
            Err(res) => return res,
        };
        let denied = || {
            let mut res = json_response(StatusCode::UNAUTHORIZED, &json!({ "error": "invalid_token" }));
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer error=\"invalid_token\""));
            res
        };
        let Some(token) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return denied();
        };
        let Some(claims) =
            fed.open(b"oidc access", token.trim()).and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        else {
            return denied();
        };
        let login = app.login();
        let (Some(user), Some(exp), Some(enrolled_at)) = (
            claims.get("u").and_then(Value::as_str),
            claims.get("x").and_then(Value::as_u64),
            claims.get("e").and_then(Value::as_u64),
        ) else {
            return denied();
        };
        if login.now() >= exp || login.session_still_allowed(user, enrolled_at).is_none() {
            return denied();
        }
        let groups = login.groups(user).unwrap_or_default();
        json_response(StatusCode::OK, &json!({ "sub": user, "preferred_username": user, "groups": groups }))
    })
    .await;
    out.unwrap_or_else(|_| fail(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))
}
