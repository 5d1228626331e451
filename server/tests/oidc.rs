#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! The OpenID Connect provider through the router (issue 22): the
//! authorization-code flow through the portal's grid, an ES256 ID token
//! checked against the JWKS, and the refusals: PKCE missing or wrong, a
//! code replayed or expired, a redirect URI not registered, a bad client
//! secret.

mod common;
mod fed_common;

use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use fed_common::*;
use serde_json::Value;
use sha2::Digest as _;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-and-some-more";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn authorize_uri(client: &str, redirect: &str, extra: &str) -> String {
    format!(
        "/oidc/authorize?response_type=code&client_id={client}&redirect_uri={}&scope=openid%20profile\
         &state=st%201&nonce=n-0S6_WzA2Mj{extra}",
        urlencode(redirect)
    )
}

fn pkce() -> String {
    format!("&code_challenge={}&code_challenge_method=S256", challenge(VERIFIER))
}

/// A query parameter of a Location URL.
fn param(location: &str, name: &str) -> Option<String> {
    let query = location.split_once('?')?.1;
    query.split('&').find_map(|p| {
        let (n, v) = p.split_once('=')?;
        (n == name).then(|| matrixauth_server::doors::http::saml_request::url_decode(v).unwrap())
    })
}

/// Logs `user` in for the client's authorization; the code and the session cookie.
async fn code_for(h: &Harness, user: &str, client: &str, redirect: &str) -> (String, String) {
    let r = get(h, &authorize_uri(client, redirect, &pkce()), None).await;
    let fed = parked(&r);
    let v = grid_login(h, user, &fed, true).await;
    assert_eq!(v.json()["outcome"], "accepted", "{}", v.body);
    let cookie = v.cookie().unwrap();
    let r = get(h, &format!("/fed/continue?fed={fed}"), Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let loc = r.location().unwrap().to_owned();
    assert!(
        loc.starts_with(&format!("{redirect}{}", if redirect.contains('?') { "&" } else { "?" })),
        "{loc}"
    );
    assert_eq!(param(&loc, "state").as_deref(), Some("st 1"));
    (param(&loc, "code").unwrap(), cookie)
}

async fn token(h: &Harness, basic: Option<(&str, &str)>, form: &str) -> Reply {
    let mut b = Request::builder()
        .method("POST")
        .uri("/oidc/token")
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some((id, secret)) = basic {
        b = b.header("authorization", format!("Basic {}", B64.encode(format!("{id}:{secret}"))));
    }
    send(h, b.body(Body::from(form.to_owned())).unwrap()).await
}

fn redeem_form(code: &str, redirect: &str, verifier: &str) -> String {
    format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={verifier}",
        urlencode(code),
        urlencode(redirect)
    )
}

/// Checks an ES256 JWT against the JWKS; its claims.
async fn verified_claims(h: &Harness, jwt: &str) -> Value {
    let jwks = get(h, "/oidc/jwks", None).await.json();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let d = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap();
    let header: Value = serde_json::from_slice(&d(parts[0])).unwrap();
    assert_eq!(header["alg"], "ES256");
    let key =
        jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]).expect("kid in the JWKS");
    let mut point = vec![4u8];
    point.extend(d(key["x"].as_str().unwrap()));
    point.extend(d(key["y"].as_str().unwrap()));
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &d(parts[2]))
        .expect("the ID token verifies against the JWKS");
    serde_json::from_slice(&d(parts[1])).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_flow_with_pkce_yields_a_verified_id_token() {
    let h = harness();
    enroll(&h, "alice").await;
    h.app.login().set_group("alice", "vpn-users", true, "test").unwrap();
    let disco = get(&h, "/.well-known/openid-configuration", None).await.json();
    assert_eq!(disco["issuer"], ORIGIN);
    assert_eq!(disco["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(disco["response_types_supported"], serde_json::json!(["code"]));
    let (code, cookie) = code_for(&h, "alice", "vpn", "https://rp.test/cb").await;
    h.clock.store(T0 + 10, Ordering::SeqCst);
    let r =
        token(&h, Some(("vpn", CLIENT_SECRET)), &redeem_form(&code, "https://rp.test/cb", VERIFIER)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers.get("cache-control").unwrap(), "no-store");
    let t = r.json();
    assert_eq!(t["token_type"], "Bearer");
    assert!(t.get("refresh_token").is_none(), "no refresh tokens");
    let claims = verified_claims(&h, t["id_token"].as_str().unwrap()).await;
    assert_eq!(claims["iss"], ORIGIN);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], "vpn");
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["auth_time"], T0);
    assert_eq!(claims["iat"], T0 + 10);
    assert_eq!(claims["exp"], T0 + 8 * 3600, "the ID token lives as long as the session");
    assert_eq!(claims["amr"], serde_json::json!(["otp"]));
    assert!(claims["acr"].is_string());
    assert_eq!(claims["groups"], serde_json::json!(["vpn-users"]));
    let audited = h.app.login().store().audit(None).unwrap();
    assert!(
        audited.iter().any(|l| l.contains("\"event\":\"federation\"")
            && l.contains("\"what\":\"id_token\"")
            && l.contains("\"audience\":\"vpn\"")),
        "the ID token is audited"
    );
    // userinfo with the access token.
    let req = Request::builder()
        .uri("/oidc/userinfo")
        .header("authorization", format!("Bearer {}", t["access_token"].as_str().unwrap()))
        .body(Body::empty())
        .unwrap();
    let u = send(&h, req).await;
    assert_eq!(u.status, StatusCode::OK, "{}", u.body);
    assert_eq!(u.json()["sub"], "alice");
    let req = Request::builder()
        .uri("/oidc/userinfo")
        .header("authorization", "Bearer forged")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&h, req).await.status, StatusCode::UNAUTHORIZED);
    // The code is single use.
    let again =
        token(&h, Some(("vpn", CLIENT_SECRET)), &redeem_form(&code, "https://rp.test/cb", VERIFIER)).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(again.json()["error"], "invalid_grant");
    assert!(again.json().get("id_token").is_none());
    // Single sign-on: a second authorization from the session gets a code without the grid,
    // for the registered URI with a query of its own; client_secret_post redeems it.
    let r = get(&h, &authorize_uri("vpn", "https://rp.test/cb2?x=1", &pkce()), Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let loc = r.location().unwrap();
    assert!(loc.starts_with("https://rp.test/cb2?x=1&code="), "{loc}");
    let code2 = param(loc, "code").unwrap();
    let form = format!(
        "{}&client_id=vpn&client_secret={}",
        redeem_form(&code2, "https://rp.test/cb2?x=1", VERIFIER),
        urlencode(CLIENT_SECRET)
    );
    assert_eq!(token(&h, None, &form).await.status, StatusCode::OK);
    // prompt=login asks for the grid again even with a session.
    let r = get(
        &h,
        &authorize_uri("vpn", "https://rp.test/cb", &format!("{}&prompt=login", pkce())),
        Some(&cookie),
    )
    .await;
    parked(&r);
    // A suspended user's pending code is refused at the token endpoint.
    let (code3, _) = code_for(&h, "alice", "vpn", "https://rp.test/cb").await;
    h.app.login().suspend("alice", "test").unwrap();
    let r =
        token(&h, Some(("vpn", CLIENT_SECRET)), &redeem_form(&code3, "https://rp.test/cb", VERIFIER)).await;
    assert_eq!(r.json()["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkce_is_required_and_checked() {
    let h = harness();
    enroll(&h, "bob").await;
    // Missing, or plain: back to the client with an error, never to the grid.
    let r = get(&h, &authorize_uri("vpn", "https://rp.test/cb", ""), None).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let loc = r.location().unwrap();
    assert!(loc.starts_with("https://rp.test/cb?"), "{loc}");
    assert_eq!(param(loc, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(loc, "state").as_deref(), Some("st 1"));
    let plain = format!("&code_challenge={}&code_challenge_method=plain", challenge(VERIFIER));
    let r = get(&h, &authorize_uri("vpn", "https://rp.test/cb", &plain), None).await;
    assert_eq!(param(r.location().unwrap(), "error").as_deref(), Some("invalid_request"));
    // The implicit flow is not offered.
    let r = get(
        &h,
        &authorize_uri("vpn", "https://rp.test/cb", &pkce())
            .replace("response_type=code", "response_type=id_token"),
        None,
    )
    .await;
    assert_eq!(param(r.location().unwrap(), "error").as_deref(), Some("unsupported_response_type"));
    // A wrong verifier: refused, and the code is used up by the attempt.
    let (code, _) = code_for(&h, "bob", "vpn", "https://rp.test/cb").await;
    let wrong = "x".repeat(50);
    let r = token(&h, Some(("vpn", CLIENT_SECRET)), &redeem_form(&code, "https://rp.test/cb", &wrong)).await;
    assert_eq!(r.json()["error"], "invalid_grant");
    assert!(r.body.contains("code_verifier"), "{}", r.body);
    let r =
        token(&h, Some(("vpn", CLIENT_SECRET)), &redeem_form(&code, "https://rp.test/cb", VERIFIER)).await;
    assert_eq!(r.json()["error"], "invalid_grant", "the code was tried once already");
    // No verifier at all.
    let (code, _) = code_for(&h, "bob", "vpn", "https://rp.test/cb").await;
    let form = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}",
        urlencode(&code),
        urlencode("https://rp.test/cb")
    );
    let r = token(&h, Some(("vpn", CLIENT_SECRET)), &form).await;
    assert_eq!(r.json()["error"], "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_uris_match_exactly_and_clients_authenticate() {
    let h = harness();
    enroll(&h, "carol").await;
    // Not registered (a prefix, another path, another client's): a 400 page, never a redirect.
    for uri in
        ["https://rp.test/cb/evil", "https://rp.test/cb2", "https://evil.test/cb", "http://127.0.0.1:9999/cb"]
    {
        let r = get(&h, &authorize_uri("vpn", uri, &pkce()), None).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(r.location().is_none(), "{uri}: never a redirect");
    }
    let r = get(&h, &authorize_uri("nobody", "https://rp.test/cb", &pkce()), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.location().is_none());
    // The token request must name the authorization's redirect URI.
    let (code, _) = code_for(&h, "carol", "vpn", "https://rp.test/cb").await;
    let r = token(&h, Some(("vpn", CLIENT_SECRET)), &redeem_form(&code, "https://rp.test/cb2?x=1", VERIFIER))
        .await;
    assert_eq!(r.json()["error"], "invalid_grant");
    // A bad secret, a missing one, another client's code.
    let (code, _) = code_for(&h, "carol", "vpn", "https://rp.test/cb").await;
    let form = redeem_form(&code, "https://rp.test/cb", VERIFIER);
    let r = token(&h, Some(("vpn", "wrong")), &form).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "invalid_client");
    let r = token(&h, None, &format!("{form}&client_id=vpn")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "a confidential client needs its secret");
    let r = token(&h, None, &format!("{form}&client_id=spa")).await;
    assert_eq!(r.json()["error"], "invalid_grant", "issued to another client");
    // The failed client authentications did not use the code up; the right one redeems it.
    let r = token(&h, Some(("vpn", CLIENT_SECRET)), &form).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A public client: PKCE alone, and a secret is refused.
    let (code, _) = code_for(&h, "carol", "spa", "http://127.0.0.1:9999/cb").await;
    let form = format!("{}&client_id=spa", redeem_form(&code, "http://127.0.0.1:9999/cb", VERIFIER));
    let r =
        token(&h, Some(("spa", "anything")), &redeem_form(&code, "http://127.0.0.1:9999/cb", VERIFIER)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(token(&h, None, &form).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_live_sixty_seconds_and_altered_ones_fail() {
    let h = harness();
    enroll(&h, "dave").await;
    let (code, _) = code_for(&h, "dave", "vpn", "https://rp.test/cb").await;
    h.clock.store(T0 + 60, Ordering::SeqCst);
    let r =
        token(&h, Some(("vpn", CLIENT_SECRET)), &redeem_form(&code, "https://rp.test/cb", VERIFIER)).await;
    assert_eq!(r.json()["error"], "invalid_grant");
    assert!(r.body.contains("expired"), "{}", r.body);
    // A forged or altered code.
    let mut bad = code.clone();
    bad.replace_range(10..11, if &bad[10..11] == "A" { "B" } else { "A" });
    h.clock.store(T0, Ordering::SeqCst);
    let r = token(&h, Some(("vpn", CLIENT_SECRET)), &redeem_form(&bad, "https://rp.test/cb", VERIFIER)).await;
    assert_eq!(r.json()["error"], "invalid_grant");
    let jwks = get(&h, "/oidc/jwks", None).await.json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert_eq!(jwks["keys"][0]["crv"], "P-256");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_a_key_rollover_both_keys_are_published_and_the_new_one_signs() {
    let h = harness_with(true);
    enroll(&h, "erin").await;
    let jwks = get(&h, "/oidc/jwks", None).await.json();
    let kids: Vec<&str> =
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids.len(), 2, "{jwks}");
    assert_ne!(kids[0], kids[1]);
    let md = get(&h, "/saml/metadata", None).await;
    assert_eq!(md.body.matches("<ds:X509Certificate>").count(), 2, "both certificates in the SAML metadata");
    let (code, _) = code_for(&h, "erin", "vpn", "https://rp.test/cb").await;
    let r =
        token(&h, Some(("vpn", CLIENT_SECRET)), &redeem_form(&code, "https://rp.test/cb", VERIFIER)).await;
    let jwt = r.json()["id_token"].as_str().unwrap().to_owned();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(jwt.split('.').next().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(header["kid"], kids[0], "the new (first) key signs");
    assert_eq!(verified_claims(&h, &jwt).await["sub"], "erin");
}

/// `prompt=login` (and `max_age=0`) ask for the grid: a browser with an
/// older session cannot skip it by going to `/fed/continue` itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_login_cannot_be_skipped_through_fed_continue() {
    let h = harness();
    enroll(&h, "frank").await;
    let (_, cookie) = code_for(&h, "frank", "vpn", "https://rp.test/cb").await;
    for extra in ["&prompt=login", "&max_age=0"] {
        let r = get(
            &h,
            &authorize_uri("vpn", "https://rp.test/cb", &format!("{}{extra}", pkce())),
            Some(&cookie),
        )
        .await;
        let fed = parked(&r);
        let r = get(&h, &format!("/fed/continue?fed={fed}"), Some(&cookie)).await;
        assert_eq!(parked(&r), fed, "{extra}: no code from the old session: {:?}", r.location());
    }
}

/// `max_age` (OpenID Connect Core §3.1.2.1): a session whose grid was
/// answered longer ago than that asks for the grid again; a younger one
/// gives a code at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_age_asks_for_the_grid_when_the_session_is_older() {
    let h = harness();
    enroll(&h, "gina").await;
    let (_, cookie) = code_for(&h, "gina", "vpn", "https://rp.test/cb").await;
    h.clock.store(T0 + 600, Ordering::SeqCst);
    let r = get(
        &h,
        &authorize_uri("vpn", "https://rp.test/cb", &format!("{}&max_age=300", pkce())),
        Some(&cookie),
    )
    .await;
    parked(&r);
    let r = get(
        &h,
        &authorize_uri("vpn", "https://rp.test/cb", &format!("{}&max_age=3600", pkce())),
        Some(&cookie),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(param(r.location().unwrap(), "code").is_some(), "{:?}", r.location());
    let r = get(
        &h,
        &authorize_uri("vpn", "https://rp.test/cb", &format!("{}&max_age=soon", pkce())),
        Some(&cookie),
    )
    .await;
    assert_eq!(param(r.location().unwrap(), "error").as_deref(), Some("invalid_request"));
}

/// `prompt=none` never shows the grid (OIDC Core §3.1.2.1): a session too
/// old for `max_age` is `login_required`, like no session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_none_with_a_session_too_old_is_login_required() {
    let h = harness();
    enroll(&h, "hana").await;
    let (_, cookie) = code_for(&h, "hana", "vpn", "https://rp.test/cb").await;
    h.clock.store(T0 + 600, Ordering::SeqCst);
    let uri = authorize_uri("vpn", "https://rp.test/cb", &format!("{}&prompt=none&max_age=300", pkce()));
    let r = get(&h, &uri, Some(&cookie)).await;
    assert_eq!(
        param(r.location().unwrap(), "error").as_deref(),
        Some("login_required"),
        "{:?}",
        r.location()
    );
}
