//! What the federation tests (`saml.rs`, `oidc.rs`) share: a server with
//! the SAML IdP and the OpenID Connect provider on, requests, and the
//! portal's grid answered as its login page does.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use base64::Engine as _;
use http_body_util::BodyExt;
use matrixauth_server::doors::http::fed::{Federation, OidcConfig, SamlConfig, Settings};
use matrixauth_server::doors::http::{App, Config, idp_key, router, saml_request};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::common;

pub(crate) const T0: u64 = 1_800_000_000;
pub(crate) const CELLS: [&str; 6] = ["B2", "G3", "D5", "A8", "H1", "E6"];
pub(crate) const ORIGIN: &str = "http://127.0.0.1:8080";
pub(crate) const SP: &str = "https://sp.test/metadata";
pub(crate) const SIGNED_SP: &str = "https://signed.test/metadata";
/// The confidential client's secret.
pub(crate) const CLIENT_SECRET: &str = "s3cret-of-the-vpn-client-0123456789";
pub(crate) const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

pub(crate) struct Harness {
    pub(crate) router: Router,
    pub(crate) app: Arc<App>,
    pub(crate) clock: Arc<AtomicU64>,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) sp_key: rcgen::KeyPair,
}

pub(crate) fn harness() -> Harness {
    harness_with(false)
}

/// With `rotated`, the IdP key was rotated once: two certificates are published.
pub(crate) fn harness_with(rotated: bool) -> Harness {
    harness_opts(rotated, 0)
}

/// With `api_rate` requests a minute per address (0: no limit).
pub(crate) fn harness_opts(rotated: bool, api_rate: u32) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let (login, _, clock) = common::login_in(dir.path(), T0);
    // The signing SP's key and certificate.
    let sp_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let sp_cert =
        rcgen::CertificateParams::new(vec!["signed.test".into()]).unwrap().self_signed(&sp_key).unwrap();
    std::fs::write(dir.path().join("sp.pem"), sp_cert.pem()).unwrap();
    idp_key::ensure(dir.path(), T0).unwrap();
    if rotated {
        idp_key::rotate(dir.path(), T0).unwrap();
    }
    let config: SamlConfig = toml::from_str(&format!(
        r#"
        [[sp]]
        entity_id = "{SP}"
        acs = ["https://sp.test/acs", "https://sp.test/acs2"]
        slo = "https://sp.test/slo"
        groups_attribute = "group"
        idp_initiated = true
        relay_state = "/home"
        sign_response = true

        [[sp]]
        entity_id = "{SIGNED_SP}"
        acs = ["https://signed.test/acs"]
        certificate = "{}"
        want_signed_requests = true
        name_id_format = "persistent"
        "#,
        dir.path().join("sp.pem").display()
    ))
    .unwrap();
    let oidc: OidcConfig = toml::from_str(&format!(
        r#"
        [[client]]
        client_id = "vpn"
        secret_sha256 = "{}"
        redirect_uris = ["https://rp.test/cb", "https://rp.test/cb2?x=1"]

        [[client]]
        client_id = "spa"
        public = true
        redirect_uris = ["http://127.0.0.1:9999/cb"]
        "#,
        matrixauth_server::doors::http::fed::sha256_hex(CLIENT_SECRET.as_bytes())
    ))
    .unwrap();
    let fed = Federation::new(Settings {
        base: ORIGIN.into(),
        site_key: zeroize::Zeroizing::new(common::SITE_KEY),
        keys: idp_key::load(dir.path()).unwrap(),
        saml: Some(config),
        oidc: Some(oidc),
    })
    .unwrap();
    let app = App::with_federation(
        Config {
            login,
            audience: "vpn.test".into(),
            assets: None,
            appliance_url: None,
            origins: vec![ORIGIN.into()],
            api_rate: matrixauth_server::doors::http::ApiRate {
                per_minute: api_rate,
                burst: api_rate.div_ceil(2),
            },
            trusted_proxies: Vec::new(),
            metrics_allow: Vec::new(),
        },
        Some(fed),
    )
    .unwrap();
    Harness { router: router(Arc::clone(&app)), app, clock, dir, sp_key }
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn location(&self) -> Option<&str> {
        self.headers.get("location").map(|v| v.to_str().unwrap())
    }
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
    pub(crate) fn cookie(&self) -> Option<String> {
        self.headers.get("set-cookie").map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
    }
}

pub(crate) async fn send(h: &Harness, req: Request<Body>) -> Reply {
    let res = h.router.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

pub(crate) async fn get(h: &Harness, uri: &str, cookie: Option<&str>) -> Reply {
    let mut b = Request::builder().uri(uri);
    if let Some(c) = cookie {
        b = b.header("cookie", c);
    }
    send(h, b.body(Body::empty()).unwrap()).await
}

pub(crate) async fn api(h: &Harness, uri: &str, body: &Value) -> Reply {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header("content-type", "application/json")
        .header("origin", ORIGIN)
        .body(Body::from(body.to_string()))
        .unwrap();
    send(h, req).await
}

pub(crate) async fn enroll(h: &Harness, user: &str) {
    let out = matrixauth_server::admin::invite(h.app.login(), user, 72, ORIGIN, true).unwrap();
    let v: Value = serde_json::from_str(&out).unwrap();
    let invite = v["link"].as_str().unwrap().rsplit_once("#invite=").unwrap().1.to_owned();
    let r =
        api(h, "/api/enroll", &json!({"invite": invite, "cells": CELLS, "fixed": "pw", "fixedAt": 2})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

pub(crate) fn answer(matrix: &Value) -> String {
    let digits: Vec<u8> = matrix
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as u8))
        .collect();
    let m = mx::Matrix::from_digits(mx::Geometry::new(8, 8).unwrap(), &digits).unwrap();
    let cred = mx::PatternCredential::from_names(&CELLS, "pw", 2).unwrap();
    cred.respond_matrix(&m).unwrap().to_string()
}

/// The portal's grid answered for the parked flow `fed`, as the login page
/// does; the verify reply.
pub(crate) async fn grid_login(h: &Harness, user: &str, fed: &str, right: bool) -> Reply {
    let ch = api(h, "/api/challenge", &json!({"user": user})).await;
    assert_eq!(ch.status, StatusCode::OK, "{}", ch.body);
    let ch = ch.json();
    let mut ans = answer(&ch["matrix"]);
    if !right {
        let last = ans.pop().unwrap().to_digit(10).unwrap();
        ans.push(char::from_digit((last + 1) % 10, 10).unwrap());
    }
    api(h, "/api/verify", &json!({"user": user, "token": ch["token"], "answer": ans, "fed": fed})).await
}

pub(crate) fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub(crate) fn urlencode(s: &str) -> String {
    matrixauth_server::doors::http::oidc::encode(s)
}

pub(crate) fn instant(t: u64) -> String {
    saml_request::format_instant(t)
}

pub(crate) fn authn(issuer: &str, id: &str, issued: u64, acs: Option<&str>) -> String {
    let acs = acs.map(|a| format!(" AssertionConsumerServiceURL=\"{a}\"")).unwrap_or_default();
    format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{id}\" Version=\"2.0\" \
         IssueInstant=\"{}\" Destination=\"{ORIGIN}/saml/sso\"{acs} \
         ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\">\
         <saml:Issuer>{issuer}</saml:Issuer></samlp:AuthnRequest>",
        instant(issued)
    )
}

pub(crate) fn redirect_query(xml: &str) -> String {
    format!("SAMLRequest={}", urlencode(&B64.encode(deflate(xml.as_bytes()))))
}

/// A Redirect-binding query signed with the SP's key (ECDSA-SHA256).
pub(crate) fn signed_query(h: &Harness, xml: &str, relay: &str) -> String {
    let alg = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
    let signed = format!("{}&RelayState={}&SigAlg={}", redirect_query(xml), urlencode(relay), urlencode(alg));
    let rng = ring::rand::SystemRandom::new();
    let key = ring::signature::EcdsaKeyPair::from_pkcs8(
        &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
        &h.sp_key.serialize_der(),
        &rng,
    )
    .unwrap();
    let sig = key.sign(&rng, signed.as_bytes()).unwrap();
    format!("{signed}&Signature={}", urlencode(&B64.encode(sig.as_ref())))
}

/// The parked flow's id from a redirect to the login page.
pub(crate) fn parked(r: &Reply) -> String {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap().strip_prefix("/?fed=").expect("to the portal's login page").to_owned()
}

/// The refusal every bad request gets: a 400 page, no redirect, no assertion.
pub(crate) fn refused(r: &Reply, why: &str) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.location().is_none(), "never a redirect");
    assert!(!r.body.contains("SAMLResponse"), "never an assertion");
    assert!(r.body.contains(why), "{why:?} not in {}", r.body);
}

/// The auto-posting page's form: action and fields.
pub(crate) fn form(r: &Reply) -> (String, Vec<(String, String)>) {
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let body = &r.body;
    let action = body.split("action=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let fields = body
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|f| {
            let name = f.split('"').next().unwrap().to_owned();
            let value = f.split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
            (
                name,
                value
                    .replace("&quot;", "\"")
                    .replace("&#39;", "'")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&"),
            )
        })
        .collect();
    (action, fields)
}

pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}
