#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]
//! The SAML identity provider through the router (issue 22): a full login
//! through the portal's grid ending in a Response whose signatures verify
//! (here with `ring`, and with `xmlsec1` when it is installed), and every
//! refusal the issue lists — each one a 400 page, never a redirect and
//! never an assertion.

mod common;
mod fed_common;

use fed_common::*;

use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine as _;
use matrixauth_server::doors::http::idp_key;
use serde_json::{Value, json};
use sha2::Digest as _;
use x509_cert::der::Decode as _;

/// Checks the enveloped signature of the element that starts at `start`
/// in `xml` (the first `ds:Signature` inside it): the digest of the element
/// without it, and ECDSA over the canonical SignedInfo with the key of the
/// certificate it carries, which must be the IdP's.
fn verify_element(xml: &str, start_tag: &str, end_tag: &str, idp_cert: &[u8]) {
    let start = xml.find(start_tag).unwrap();
    let end = xml.rfind(end_tag).unwrap() + end_tag.len();
    let elem = &xml[start..end];
    let s0 = elem.find("<ds:Signature").unwrap();
    let s1 = elem.find("</ds:Signature>").unwrap() + "</ds:Signature>".len();
    let sig = &elem[s0..s1];
    let without = format!("{}{}", &elem[..s0], &elem[s1..]);
    let digest = B64.encode(sha2::Sha256::digest(without.as_bytes()));
    let stated = sig.split("<ds:DigestValue>").nth(1).unwrap().split('<').next().unwrap();
    assert_eq!(digest, stated, "digest of {start_tag}");
    let si0 = sig.find("<ds:SignedInfo>").unwrap();
    let si1 = sig.find("</ds:SignedInfo>").unwrap() + "</ds:SignedInfo>".len();
    let signed_info = sig[si0..si1].replacen(
        "<ds:SignedInfo>",
        "<ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">",
        1,
    );
    let value =
        B64.decode(sig.split("<ds:SignatureValue>").nth(1).unwrap().split('<').next().unwrap()).unwrap();
    let cert =
        B64.decode(sig.split("<ds:X509Certificate>").nth(1).unwrap().split('<').next().unwrap()).unwrap();
    assert_eq!(cert, idp_cert, "signed with the IdP's key");
    let parsed = x509_cert::Certificate::from_der(&cert).unwrap();
    let point = parsed.tbs_certificate.subject_public_key_info.subject_public_key.raw_bytes().to_vec();
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
        .verify(signed_info.as_bytes(), &value)
        .expect("the signature verifies");
}

/// `xmlsec1 --verify` on the signature `xpath` picks, when xmlsec1 is
/// installed (scripts/federation-test.sh installs it and checks the same).
fn xmlsec1(dir: &std::path::Path, xml: &str, xpath: &str) -> Option<bool> {
    if std::process::Command::new("xmlsec1").arg("--version").output().is_err() {
        eprintln!("xmlsec1 not installed: the xmlsec1 check is left to scripts/federation-test.sh");
        return None;
    }
    let file = dir.join("response.xml");
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmlsec1")
        .args([
            "--verify",
            "--enabled-key-data",
            "raw-x509-cert",
            "--enabled-reference-uris",
            "empty,same-doc",
        ])
        .arg("--pubkey-cert-pem")
        .arg(dir.join(idp_key::CERT_FILE))
        .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"])
        .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response"])
        .args(["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse"])
        .args(["--node-xpath", xpath])
        .arg(&file)
        .output()
        .unwrap();
    if !out.status.success() {
        eprintln!("xmlsec1: {}", String::from_utf8_lossy(&out.stderr));
    }
    Some(out.status.success())
}

fn idp_cert(h: &Harness) -> Vec<u8> {
    let pem = std::fs::read_to_string(h.dir.path().join(idp_key::CERT_FILE)).unwrap();
    matrixauth_server::doors::http::xmlsig::cert_from_pem(&pem).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_login_yields_a_signed_response_that_verifies() {
    let h = harness();
    enroll(&h, "alice").await;
    h.app.login().set_group("alice", "vpn-users", true, "test").unwrap();
    h.app.login().set_group("alice", "R&D <lab>", true, "test").unwrap();
    let xml = authn(SP, "req-1", T0 - 5, Some("https://sp.test/acs2"));
    let r = get(&h, &format!("/saml/sso?{}&RelayState=abc%20def", redirect_query(&xml)), None).await;
    let fed = parked(&r);
    // Before the grid is answered, /fed/continue has no session: back to the grid, no assertion.
    let early = get(&h, &format!("/fed/continue?fed={fed}"), None).await;
    assert_eq!(parked(&early), fed);
    // The login page is the portal's own.
    let page = get(&h, &format!("/?fed={fed}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("/static/login.js"));
    let v = grid_login(&h, "alice", &fed, true).await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    assert_eq!(v.json()["outcome"], "accepted");
    assert_eq!(v.json()["redirect"], format!("/fed/continue?fed={fed}"));
    assert!(v.json().get("handoff").is_none(), "no appliance ticket for a federation login");
    let set = v.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/"), "{set}");
    assert!(!set.contains("Secure"), "plain http origin: {set}");
    let max_age: u64 = set.split("Max-Age=").nth(1).unwrap().split(';').next().unwrap().parse().unwrap();
    assert_eq!(max_age, 8 * 3600, "bounded by session.max_seconds");
    let cookie = v.cookie().unwrap();
    let r = get(&h, &format!("/fed/continue?fed={fed}"), Some(&cookie)).await;
    let csp = r.headers.get("content-security-policy").unwrap().to_str().unwrap().to_owned();
    assert!(csp.contains("form-action https://sp.test") && !csp.contains("form-action 'self'"), "{csp}");
    let (action, fields) = form(&r);
    assert_eq!(action, "https://sp.test/acs2");
    assert_eq!(field(&fields, "RelayState"), Some("abc def"));
    let xml = String::from_utf8(B64.decode(field(&fields, "SAMLResponse").unwrap()).unwrap()).unwrap();
    // The content.
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let find = |name: &str| doc.descendants().find(|n| n.tag_name().name() == name).unwrap();
    assert_eq!(find("Response").attribute("InResponseTo"), Some("req-1"));
    assert_eq!(find("Response").attribute("Destination"), Some("https://sp.test/acs2"));
    assert_eq!(find("Issuer").text(), Some(format!("{ORIGIN}/saml/metadata").as_str()));
    assert_eq!(find("NameID").text(), Some("alice"));
    assert_eq!(find("Audience").text(), Some(SP));
    let scd = find("SubjectConfirmationData");
    assert_eq!(scd.attribute("Recipient"), Some("https://sp.test/acs2"));
    assert_eq!(scd.attribute("InResponseTo"), Some("req-1"));
    assert_eq!(scd.attribute("NotOnOrAfter"), Some(instant(T0 + 300).as_str()));
    assert_eq!(find("Conditions").attribute("NotOnOrAfter"), Some(instant(T0 + 300).as_str()));
    let statement = find("AuthnStatement");
    assert_eq!(statement.attribute("AuthnInstant"), Some(instant(T0).as_str()));
    assert_eq!(statement.attribute("SessionNotOnOrAfter"), Some(instant(T0 + 8 * 3600).as_str()));
    let attrs: Vec<(String, Vec<String>)> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "Attribute")
        .map(|a| {
            let values = a.children().filter_map(|v| v.text().map(str::to_owned)).collect();
            (a.attribute("Name").unwrap().to_owned(), values)
        })
        .collect();
    assert_eq!(
        attrs,
        [
            ("uid".to_owned(), vec!["alice".to_owned()]),
            ("group".to_owned(), vec!["R&D <lab>".to_owned(), "vpn-users".to_owned()])
        ]
    );
    // Both signatures.
    let cert = idp_cert(&h);
    verify_element(&xml, "<saml:Assertion", "</saml:Assertion>", &cert);
    verify_element(&xml, "<samlp:Response", "</samlp:Response>", &cert);
    if let Some(ok) = xmlsec1(h.dir.path(), &xml, "//*[local-name()='Assertion']/*[local-name()='Signature']")
    {
        assert!(ok, "xmlsec1 verifies the assertion");
        assert!(
            xmlsec1(h.dir.path(), &xml, "/*/*[local-name()='Signature']").unwrap(),
            "xmlsec1 verifies the Response"
        );
        // A changed byte is caught by the foreign verifier too.
        let forged = xml.replacen(">alice<", ">mallory<", 1);
        assert!(
            !xmlsec1(h.dir.path(), &forged, "//*[local-name()='Assertion']/*[local-name()='Signature']")
                .unwrap()
        );
    }
    // The flow is used up.
    let again = get(&h, &format!("/fed/continue?fed={fed}"), Some(&cookie)).await;
    refused(&again, "unknown, used or expired");

    // Single sign-on: a second request with the session gets its Response at once.
    let xml2 = authn(SP, "req-2", T0, None);
    let r = get(&h, &format!("/saml/sso?{}", redirect_query(&xml2)), Some(&cookie)).await;
    let (action, fields) = form(&r);
    assert_eq!(action, "https://sp.test/acs", "the first ACS by default");
    let xml2 = String::from_utf8(B64.decode(field(&fields, "SAMLResponse").unwrap()).unwrap()).unwrap();
    assert!(xml2.contains("InResponseTo=\"req-2\""));
    let id1 = xml
        .split("<saml:Assertion")
        .nth(1)
        .unwrap()
        .split("ID=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let id2 = xml2
        .split("<saml:Assertion")
        .nth(1)
        .unwrap()
        .split("ID=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_ne!(id1, id2, "assertion IDs are random and single use");
    assert!(id1.starts_with('_') && id1.len() > 20);
    // Each assertion is audited: to whom, for which SP, with or without a new grid.
    let events: Vec<Value> = h
        .app
        .login()
        .store()
        .audit(None)
        .unwrap()
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["event"] == "federation")
        .collect();
    assert_eq!(events.len(), 2, "{events:?}");
    for (e, sso) in events.iter().zip([false, true]) {
        assert_eq!(
            (&e["user"], &e["protocol"], &e["audience"], &e["what"], &e["sso"]),
            (&json!("alice"), &json!("saml"), &json!(SP), &json!("assertion"), &json!(sso))
        );
    }
    // Suspended: the session is no longer honoured.
    h.app.login().suspend("alice", "test").unwrap();
    let xml3 = authn(SP, "req-3", T0, None);
    let r = get(&h, &format!("/saml/sso?{}", redirect_query(&xml3)), Some(&cookie)).await;
    parked(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_answer_or_a_suspension_gets_no_assertion() {
    let h = harness();
    enroll(&h, "bob").await;
    let r = get(&h, &format!("/saml/sso?{}", redirect_query(&authn(SP, "w-1", T0, None))), None).await;
    let fed = parked(&r);
    let v = grid_login(&h, "bob", &fed, false).await;
    assert_eq!(v.json()["outcome"], "rejected");
    assert!(v.json().get("redirect").is_none());
    assert!(v.cookie().is_none(), "no session after a wrong answer");
    let r = get(&h, &format!("/fed/continue?fed={fed}"), None).await;
    assert_eq!(parked(&r), fed, "back to the grid, no assertion");
    // Suspended: the right answer is answered as a wrong one, and no session is made.
    h.app.login().suspend("bob", "test").unwrap();
    let v = grid_login(&h, "bob", &fed, true).await;
    assert_eq!(v.json()["outcome"], "rejected");
    assert!(v.cookie().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_sps_and_unregistered_acs_urls_get_a_400_page_never_a_redirect() {
    let h = harness();
    let r = get(
        &h,
        &format!("/saml/sso?{}", redirect_query(&authn("https://evil.test/md", "u-1", T0, None))),
        None,
    )
    .await;
    refused(&r, "unknown service provider");
    let xml = authn(SP, "u-2", T0, Some("https://evil.test/acs"));
    let r = get(&h, &format!("/saml/sso?{}", redirect_query(&xml)), None).await;
    refused(&r, "not registered");
    assert!(!r.body.contains("evil.test"), "the URL is not even echoed");
    // A prefix of a registered URL is not the URL.
    let xml = authn(SP, "u-3", T0, Some("https://sp.test/acs/../evil"));
    refused(&get(&h, &format!("/saml/sso?{}", redirect_query(&xml)), None).await, "not registered");
    // IdP-initiated: only for SPs that allow it.
    refused(
        &get(&h, &format!("/saml/idp-initiated?sp={}", urlencode(SIGNED_SP)), None).await,
        "unknown service provider",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_and_stale_requests_are_refused() {
    let h = harness();
    let q = redirect_query(&authn(SP, "r-1", T0, None));
    parked(&get(&h, &format!("/saml/sso?{q}"), None).await);
    refused(&get(&h, &format!("/saml/sso?{q}"), None).await, "replayed");
    // Too old, and from the future.
    refused(
        &get(&h, &format!("/saml/sso?{}", redirect_query(&authn(SP, "r-2", T0 - 301, None))), None).await,
        "too old",
    );
    refused(
        &get(&h, &format!("/saml/sso?{}", redirect_query(&authn(SP, "r-3", T0 + 120, None))), None).await,
        "future",
    );
    // Within the age, the same request is still a replay a minute later.
    h.clock.store(T0 + 60, Ordering::SeqCst);
    refused(&get(&h, &format!("/saml/sso?{q}"), None).await, "replayed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_signatures_are_checked_and_required_when_the_sp_wants_them() {
    let h = harness();
    let good = signed_query(&h, &authn(SIGNED_SP, "s-1", T0, None), "rs");
    parked(&get(&h, &format!("/saml/sso?{good}"), None).await);
    // Unsigned, for an SP that wants signatures.
    let unsigned = redirect_query(&authn(SIGNED_SP, "s-2", T0, None));
    refused(&get(&h, &format!("/saml/sso?{unsigned}"), None).await, "must sign");
    // A signature over another request.
    let other = signed_query(&h, &authn(SIGNED_SP, "s-3", T0, None), "rs");
    let sig = other.split("&Signature=").nth(1).unwrap();
    let forged = signed_query(&h, &authn(SIGNED_SP, "s-4", T0, None), "rs");
    let forged = format!("{}&Signature={sig}", forged.split("&Signature=").next().unwrap());
    refused(&get(&h, &format!("/saml/sso?{forged}"), None).await, "does not verify");
    // A changed RelayState breaks the signature too.
    let tampered =
        signed_query(&h, &authn(SIGNED_SP, "s-5", T0, None), "rs").replace("RelayState=rs", "RelayState=rx");
    refused(&get(&h, &format!("/saml/sso?{tampered}"), None).await, "does not verify");
    // The POST binding carries no query signature: refused for this SP.
    let xml = authn(SIGNED_SP, "s-6", T0, None);
    let body = format!("SAMLRequest={}", urlencode(&B64.encode(xml)));
    let req = Request::builder()
        .method("POST")
        .uri("/saml/sso")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://signed.test")
        .body(Body::from(body))
        .unwrap();
    refused(&send(&h, req).await, "must sign");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_encodings_are_refused_before_parsing() {
    let h = harness();
    // A deflate bomb: 10 MB of spaces inflate from about 10 KB.
    let bomb = deflate(&vec![b' '; 10 * 1024 * 1024]);
    assert!(bomb.len() < 16 * 1024);
    let r = get(&h, &format!("/saml/sso?SAMLRequest={}", urlencode(&B64.encode(&bomb))), None).await;
    refused(&r, "inflates to over");
    // A DTD with an entity (billion laughs), and an entity declaration alone.
    let dtd = format!(
        "<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>{}",
        authn(SP, "d-1", T0, None).replace("<saml:Issuer>", "<saml:Issuer>&lol2;")
    );
    refused(&get(&h, &format!("/saml/sso?{}", redirect_query(&dtd)), None).await, "DTD");
    let entity = format!("<!ENTITY x SYSTEM \"file:///etc/passwd\">{}", authn(SP, "d-2", T0, None));
    refused(&get(&h, &format!("/saml/sso?{}", redirect_query(&entity)), None).await, "DTD");
    // Oversized before decoding.
    let big = "A".repeat(20 * 1024);
    refused(&get(&h, &format!("/saml/sso?SAMLRequest={big}"), None).await, "over");
    // Not UTF-8: inside the inflated XML, and in the URL encoding.
    let mut latin1 = authn(SP, "n-1", T0, None).into_bytes();
    latin1.extend_from_slice(b"<!-- \xff\xfe -->");
    let q = format!("SAMLRequest={}", urlencode(&B64.encode(deflate(&latin1))));
    refused(&get(&h, &format!("/saml/sso?{q}"), None).await, "not UTF-8");
    refused(&get(&h, "/saml/sso?SAMLRequest=%FF%FE", None).await, "not UTF-8");
    // Not base64, not DEFLATE, not XML, not SAML.
    refused(&get(&h, "/saml/sso?SAMLRequest=%%%", None).await, "escape");
    refused(&get(&h, "/saml/sso?SAMLRequest=bm90IGRlZmxhdGU%3D", None).await, "DEFLATE");
    refused(&get(&h, &format!("/saml/sso?{}", redirect_query("<a><b></a>")), None).await, "well-formed");
    refused(&get(&h, &format!("/saml/sso?{}", redirect_query("<a/>")), None).await, "namespace");
    refused(&get(&h, "/saml/sso", None).await, "no SAMLRequest");
    // A body over the federation limit.
    let req = Request::builder()
        .method("POST")
        .uri("/saml/sso")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(vec![b'a'; 100 * 1024]))
        .unwrap();
    let r = send(&h, req).await;
    assert!(r.status.is_client_error() && r.location().is_none(), "{}", r.status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_binding_idp_initiated_logout_and_metadata() {
    let h = harness();
    enroll(&h, "carol").await;
    // The POST binding, from the SP's origin, form-encoded (no JSON, no same-origin).
    let xml = authn(SP, "p-1", T0, None);
    let body = format!("SAMLRequest={}&RelayState=rs1", urlencode(&B64.encode(&xml)));
    let req = Request::builder()
        .method("POST")
        .uri("/saml/sso")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://sp.test")
        .body(Body::from(body))
        .unwrap();
    let fed = parked(&send(&h, req).await);
    let v = grid_login(&h, "carol", &fed, true).await;
    let cookie = v.cookie().unwrap();
    let (_, fields) = form(&get(&h, &format!("/fed/continue?fed={fed}"), Some(&cookie)).await);
    assert_eq!(field(&fields, "RelayState"), Some("rs1"));
    // IdP-initiated, from the session: no InResponseTo, the configured RelayState.
    let r = get(&h, &format!("/saml/idp-initiated?sp={}", urlencode(SP)), Some(&cookie)).await;
    let (action, fields) = form(&r);
    assert_eq!(action, "https://sp.test/acs");
    assert_eq!(field(&fields, "RelayState"), Some("/home"));
    let xml = String::from_utf8(B64.decode(field(&fields, "SAMLResponse").unwrap()).unwrap()).unwrap();
    assert!(!xml.contains("InResponseTo"), "{xml}");
    verify_element(&xml, "<saml:Assertion", "</saml:Assertion>", &idp_cert(&h));
    // Single logout: the session ends and a signed LogoutResponse goes to the SP's SLO URL.
    let logout = format!(
        "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"lo-1\" Version=\"2.0\" IssueInstant=\"{}\">\
         <saml:Issuer>{SP}</saml:Issuer><saml:NameID>carol</saml:NameID></samlp:LogoutRequest>",
        instant(T0)
    );
    let r = get(&h, &format!("/saml/slo?{}&RelayState=bye", redirect_query(&logout)), Some(&cookie)).await;
    let (action, fields) = form(&r);
    assert_eq!(action, "https://sp.test/slo");
    assert_eq!(field(&fields, "RelayState"), Some("bye"));
    assert!(r.headers.get("set-cookie").unwrap().to_str().unwrap().contains("Max-Age=0"));
    let xml = String::from_utf8(B64.decode(field(&fields, "SAMLResponse").unwrap()).unwrap()).unwrap();
    assert!(xml.contains("InResponseTo=\"lo-1\"") && xml.contains("status:Success"), "{xml}");
    verify_element(&xml, "<samlp:LogoutResponse", "</samlp:LogoutResponse>", &idp_cert(&h));
    if let Some(ok) = xmlsec1(h.dir.path(), &xml, "/*/*[local-name()='Signature']") {
        assert!(ok, "xmlsec1 verifies the LogoutResponse");
    }
    // The old cookie is worth nothing now.
    let r =
        get(&h, &format!("/saml/sso?{}", redirect_query(&authn(SP, "p-2", T0, None))), Some(&cookie)).await;
    parked(&r);
    // A replayed logout request is refused.
    refused(&get(&h, &format!("/saml/slo?{}", redirect_query(&logout)), None).await, "replayed");
    // Metadata, and both certificates during a rollover.
    let md = get(&h, "/saml/metadata", None).await;
    assert_eq!(md.status, StatusCode::OK);
    assert!(md.body.contains(&format!("entityID=\"{ORIGIN}/saml/metadata\"")));
    assert!(md.body.contains(&format!("Location=\"{ORIGIN}/saml/sso\"")));
    assert!(md.body.contains(&format!("Location=\"{ORIGIN}/saml/slo\"")));
    assert_eq!(md.body.matches("<ds:X509Certificate>").count(), 1);
    assert!(md.body.contains(&B64.encode(idp_cert(&h))));
    idp_key::rotate(h.dir.path(), T0).unwrap();
    let keys = idp_key::load(h.dir.path()).unwrap();
    assert_eq!(keys.certs().len(), 2, "the new certificate and the previous one");
    assert_eq!(keys.certs()[1], idp_cert_previous(&h));
    assert!(idp_key::retire(h.dir.path()).unwrap());
    assert_eq!(idp_key::load(h.dir.path()).unwrap().certs().len(), 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(h.dir.path().join(idp_key::KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key is owner-only");
    }
}

fn idp_cert_previous(h: &Harness) -> Vec<u8> {
    let pem = std::fs::read_to_string(h.dir.path().join(idp_key::PREVIOUS_FILE)).unwrap();
    matrixauth_server::doors::http::xmlsig::cert_from_pem(&pem).unwrap()
}

/// The signing cost against its floor (scripts/federation-bench.sh runs it in release):
/// `sign_enveloped` on an assertion of the usual size (digest, SignedInfo, one P-256 signature,
/// base64 of the certificate) against one bare ECDSA P-256 signature of a SignedInfo's size.
#[test]
#[ignore = "a measurement: scripts/federation-bench.sh"]
fn signing_cost_against_its_floor() {
    use matrixauth_server::doors::http::xmlsig;
    let dir = tempfile::tempdir().unwrap();
    idp_key::ensure(dir.path(), T0).unwrap();
    let keys = idp_key::load(dir.path()).unwrap();
    let head = "<saml:Assertion xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_abc\" \
                IssueInstant=\"2026-12-06T00:00:00Z\" Version=\"2.0\">";
    let issuer = "<saml:Issuer>https://vpn-auth.example.lg.jp/saml/metadata</saml:Issuer>";
    let body = "<saml:Subject>x</saml:Subject>".repeat(40);
    let element = format!("{head}{issuer}{body}</saml:Assertion>");
    let signed_info = vec![b'x'; 700];
    let n = 2000;
    let t = std::time::Instant::now();
    for _ in 0..n {
        std::hint::black_box(keys.signer.sign(std::hint::black_box(&signed_info)).unwrap());
    }
    let floor = t.elapsed().as_secs_f64() / f64::from(n) * 1e6;
    let t = std::time::Instant::now();
    for _ in 0..n {
        let out = xmlsig::sign_enveloped(&element, "_abc", head.len() + issuer.len(), &keys.signer).unwrap();
        std::hint::black_box(out);
    }
    let full = t.elapsed().as_secs_f64() / f64::from(n) * 1e6;
    println!(
        "{{\"name\":\"saml_signing\",\"assertion_bytes\":{},\"sign_enveloped_us\":{full:.1},\"p256_sign_us\":{floor:.1},\"ratio\":{:.2}}}",
        element.len(),
        full / floor
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_entry_points_are_rate_limited_per_address() {
    let h = harness_opts(false, 4);
    let peer: std::net::SocketAddr = "192.0.2.7:40000".parse().unwrap();
    let mut statuses = Vec::new();
    for i in 0..4 {
        let uri = format!("/saml/sso?{}", redirect_query(&authn(SP, &format!("rl-{i}"), T0, None)));
        let mut req = Request::builder().uri(uri).body(Body::empty()).unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        statuses.push(send(&h, req).await.status);
    }
    assert_eq!(statuses[..2], [StatusCode::SEE_OTHER, StatusCode::SEE_OTHER], "{statuses:?}");
    assert!(statuses[2..].contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

#[test]
fn the_configuration_in_docs_federation_md_loads() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/FEDERATION.md")).unwrap();
    let block = doc
        .split("## Configuration")
        .nth(1)
        .unwrap()
        .split("```toml\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("matrixauth.toml");
    std::fs::write(&path, block).unwrap();
    let file = matrixauth_server::config::File::load(&path).unwrap();
    let saml = file.saml.unwrap();
    assert_eq!(saml.sp.len(), 1);
    assert_eq!(saml.sp[0].groups_attribute.as_deref(), Some("group"));
    assert_eq!(file.oidc.unwrap().client[0].client_id, "ocserv");
}

#[test]
fn bad_federation_keys_stop_the_server_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("matrixauth.toml");
    let sp = "[[saml.sp]]\nentity_id = \"https://sp\"\n";
    for (text, expected) in [
        (format!("{sp}acs = []\n"), "acs needs at least one URL"),
        (format!("{sp}acs = [\"javascript:alert(1)\"]\n"), "absolute http(s) URL"),
        (format!("{sp}acs = [\"https://sp/acs\"]\nwant_signed_requests = true\n"), "needs certificate"),
        (format!("{sp}acs = [\"https://sp/acs\"]\n{sp}acs = [\"https://sp/acs\"]\n"), "given twice"),
        (format!("{sp}acs = [\"https://sp/acs\"]\nname_id_format = \"transient\"\n"), "unknown variant"),
        ("[saml]\nmax_request_age_seconds = 5\n".to_owned(), "max_request_age_seconds"),
        (
            "[[oidc.client]]\nclient_id = \"c\"\nsecret_sha256 = \"abc\"\nredirect_uris = [\"https://rp/cb\"]\n".to_owned(),
            "64 hex digits",
        ),
        ("[[oidc.client]]\nclient_id = \"c\"\nredirect_uris = [\"https://rp/cb\"]\n".to_owned(), "public = true"),
        (
            "[[oidc.client]]\nclient_id = \"c\"\npublic = true\nredirect_uris = [\"https://rp/cb#x\"]\n".to_owned(),
            "fragment",
        ),
    ] {
        std::fs::write(&path, &text).unwrap();
        let err = matrixauth_server::config::File::load(&path).unwrap_err();
        assert!(err.contains(expected), "{text}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_ends_with_the_approved_access_window() {
    let h = harness();
    enroll(&h, "frank").await;
    h.app.login().add_window("frank", T0 - 10, T0 + 3600, "test").unwrap();
    let fed =
        parked(&get(&h, &format!("/saml/sso?{}", redirect_query(&authn(SP, "aw-1", T0, None))), None).await);
    let v = grid_login(&h, "frank", &fed, true).await;
    assert_eq!(v.json()["outcome"], "accepted");
    let set = v.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(set.contains("Max-Age=3600;"), "the cookie ends with the window: {set}");
    let cookie = v.cookie().unwrap();
    let (_, fields) = form(&get(&h, &format!("/fed/continue?fed={fed}"), Some(&cookie)).await);
    let xml = String::from_utf8(B64.decode(field(&fields, "SAMLResponse").unwrap()).unwrap()).unwrap();
    assert!(xml.contains(&format!("SessionNotOnOrAfter=\"{}\"", instant(T0 + 3600))), "{xml}");
    // After the window, the session gives nothing: back to the grid.
    h.clock.store(T0 + 3601, Ordering::SeqCst);
    let r =
        get(&h, &format!("/saml/sso?{}", redirect_query(&authn(SP, "aw-2", T0 + 3601, None))), Some(&cookie))
            .await;
    parked(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destination_binding_and_persistent_name_ids() {
    let h = harness();
    enroll(&h, "gina").await;
    let other =
        authn(SP, "dst-1", T0, None).replace(&format!("{ORIGIN}/saml/sso"), "https://other-idp.test/sso");
    refused(&get(&h, &format!("/saml/sso?{}", redirect_query(&other)), None).await, "Destination");
    let artifact = authn(SP, "pb-1", T0, None).replace("bindings:HTTP-POST", "bindings:HTTP-Artifact");
    refused(&get(&h, &format!("/saml/sso?{}", redirect_query(&artifact)), None).await, "HTTP-POST binding");
    // The signing SP takes persistent NameIDs: a keyed pseudonym, not the user id, stable per SP.
    let mut names = Vec::new();
    for id in ["pn-1", "pn-2"] {
        let fed = parked(
            &get(&h, &format!("/saml/sso?{}", signed_query(&h, &authn(SIGNED_SP, id, T0, None), "r")), None)
                .await,
        );
        let v = grid_login(&h, "gina", &fed, true).await;
        let cookie = v.cookie().unwrap();
        let (action, fields) = form(&get(&h, &format!("/fed/continue?fed={fed}"), Some(&cookie)).await);
        assert_eq!(action, "https://signed.test/acs");
        let xml = String::from_utf8(B64.decode(field(&fields, "SAMLResponse").unwrap()).unwrap()).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let name_id = doc.descendants().find(|n| n.tag_name().name() == "NameID").unwrap();
        assert_eq!(name_id.attribute("Format"), Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"));
        assert_eq!(name_id.attribute("SPNameQualifier"), Some(SIGNED_SP));
        let value = name_id.text().unwrap().to_owned();
        assert!(!value.contains("gina") && value.len() >= 40, "{value}");
        assert!(xml.matches("<ds:Signature xmlns").count() == 1, "Response unsigned for this SP");
        names.push(value);
    }
    assert_eq!(names[0], names[1], "the same pseudonym each time");
}

/// ForceAuthn asks for the grid: a browser with an older session cannot skip
/// it by going to `/fed/continue` itself, and a flow parked by someone else
/// is never completed from a browser's session alone (no login CSRF).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_authn_cannot_be_skipped_through_fed_continue() {
    let h = harness();
    enroll(&h, "dave").await;
    let r = get(&h, &format!("/saml/sso?{}", redirect_query(&authn(SP, "f-1", T0, None))), None).await;
    let fed = parked(&r);
    let cookie = grid_login(&h, "dave", &fed, true).await.cookie().unwrap();
    form(&get(&h, &format!("/fed/continue?fed={fed}"), Some(&cookie)).await);
    // Later, the SP asks for a fresh login.
    h.clock.store(T0 + 120, Ordering::SeqCst);
    let forced = authn(SP, "f-2", T0 + 120, None).replacen(" Version=", " ForceAuthn=\"true\" Version=", 1);
    let r = get(&h, &format!("/saml/sso?{}", redirect_query(&forced)), Some(&cookie)).await;
    let fed2 = parked(&r);
    let r = get(&h, &format!("/fed/continue?fed={fed2}"), Some(&cookie)).await;
    assert_eq!(parked(&r), fed2, "the old session does not answer ForceAuthn: {}", r.body);
    // A flow parked by another browser is not completed from dave's session either.
    let r = get(&h, &format!("/saml/sso?{}", redirect_query(&authn(SP, "f-3", T0 + 120, None))), None).await;
    let other = parked(&r);
    let r = get(&h, &format!("/fed/continue?fed={other}"), Some(&cookie)).await;
    assert_eq!(parked(&r), other, "back to the grid: {}", r.body);
    // The grid answered for the forced flow completes it, with the new login's time.
    let v = grid_login(&h, "dave", &fed2, true).await;
    let fresh = v.cookie().unwrap();
    let (_, fields) = form(&get(&h, &format!("/fed/continue?fed={fed2}"), Some(&fresh)).await);
    let xml = String::from_utf8(B64.decode(field(&fields, "SAMLResponse").unwrap()).unwrap()).unwrap();
    assert!(xml.contains(&format!("AuthnInstant=\"{}\"", instant(T0 + 120))), "{xml}");
}

/// An unsigned LogoutRequest (anyone can write one for an SP without a
/// certificate) ends the browser's own session only, never another
/// browser's session of the user it names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsigned_logout_request_ends_no_other_browsers_session() {
    let h = harness();
    enroll(&h, "erin").await;
    let r = get(&h, &format!("/saml/sso?{}", redirect_query(&authn(SP, "l-1", T0, None))), None).await;
    let fed = parked(&r);
    let cookie = grid_login(&h, "erin", &fed, true).await.cookie().unwrap();
    form(&get(&h, &format!("/fed/continue?fed={fed}"), Some(&cookie)).await);
    // The attacker's own browser (no cookie) posts a forged LogoutRequest naming erin.
    let logout = format!(
        "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"lo-x\" Version=\"2.0\" IssueInstant=\"{}\">\
         <saml:Issuer>{SP}</saml:Issuer><saml:NameID>erin</saml:NameID></samlp:LogoutRequest>",
        instant(T0)
    );
    form(&get(&h, &format!("/saml/slo?{}", redirect_query(&logout)), None).await);
    // erin's session still gives single sign-on.
    let r =
        get(&h, &format!("/saml/sso?{}", redirect_query(&authn(SP, "l-2", T0, None))), Some(&cookie)).await;
    let (action, _) = form(&r);
    assert_eq!(action, "https://sp.test/acs");
}

/// HEAD runs the GET handlers (axum): it parks flows and claims request IDs
/// too, so it is counted by the same per-address limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_requests_to_the_entry_points_are_rate_limited_too() {
    let h = harness_opts(false, 4);
    let peer: std::net::SocketAddr = "192.0.2.8:40000".parse().unwrap();
    let mut statuses = Vec::new();
    for i in 0..6 {
        let uri = format!("/saml/sso?{}", redirect_query(&authn(SP, &format!("hd-{i}"), T0, None)));
        let mut req = Request::builder().method("HEAD").uri(uri).body(Body::empty()).unwrap();
        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        statuses.push(send(&h, req).await.status);
    }
    assert_eq!(statuses[0], StatusCode::SEE_OTHER, "HEAD parks a flow: {statuses:?}");
    assert!(statuses[2..].contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

/// A comment (or an element) inside the Issuer or the NameID does not split
/// the value: `SP<!---->-evil` is not read as `SP`; the request is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_do_not_split_the_issuer_or_the_name_id() {
    let h = harness();
    let split = authn(SP, "c-1", T0, None).replacen(&format!(">{SP}<"), &format!(">{SP}<!---->-evil<"), 1);
    refused(&get(&h, &format!("/saml/sso?{}", redirect_query(&split)), None).await, "Issuer");
    let nested = authn(SP, "c-2", T0, None).replacen(&format!(">{SP}<"), &format!("><b>{SP}</b><"), 1);
    refused(&get(&h, &format!("/saml/sso?{}", redirect_query(&nested)), None).await, "Issuer");
    let logout = format!(
        "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"c-3\" Version=\"2.0\" IssueInstant=\"{}\">\
         <saml:Issuer>{SP}</saml:Issuer><saml:NameID>erin<!---->x</saml:NameID></samlp:LogoutRequest>",
        instant(T0)
    );
    refused(&get(&h, &format!("/saml/slo?{}", redirect_query(&logout)), None).await, "NameID");
}

/// One user's IdP sessions are capped (the oldest ends first): a user who
/// scripts logins cannot fill the node's session table for everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_users_sessions_are_capped_the_oldest_ending_first() {
    use matrixauth_server::doors::http::fed::MAX_SESSIONS_PER_USER;
    let h = harness();
    enroll(&h, "ivan").await;
    let mut cookies = Vec::new();
    for i in 0..=MAX_SESSIONS_PER_USER as u64 {
        h.clock.store(T0 + 60 * i, Ordering::SeqCst);
        let r = get(
            &h,
            &format!("/saml/sso?{}", redirect_query(&authn(SP, &format!("cap-{i}"), T0 + 60 * i, None))),
            None,
        )
        .await;
        let fed = parked(&r);
        let v = grid_login(&h, "ivan", &fed, true).await;
        assert_eq!(v.json()["outcome"], "accepted", "{}", v.body);
        cookies.push(v.cookie().unwrap());
    }
    let sso = |id: String, cookie: String| {
        let h = &h;
        async move {
            get(
                h,
                &format!(
                    "/saml/sso?{}",
                    redirect_query(&authn(SP, &id, h.clock.load(Ordering::SeqCst), None))
                ),
                Some(&cookie),
            )
            .await
        }
    };
    parked(&sso("cap-old".into(), cookies[0].clone()).await);
    form(&sso("cap-2nd".into(), cookies[1].clone()).await);
    form(&sso("cap-new".into(), cookies.last().unwrap().clone()).await);
}
