//! The SAML identity provider's request reader (server/src/doors/http/saml_request.rs, compiled
//! here alone, without the server): arbitrary bytes as XML, as a Redirect-binding `SAMLRequest`
//! (base64 of raw DEFLATE: the inflate bound holds whatever the input), as a POST-binding one,
//! as a query string to split for its signature, and as an `xs:dateTime`, never panic; whatever
//! parses names an issuer and an ID within their bounds; a parsed instant formats back to itself.
#![no_main]
use base64::Engine as _;
use libfuzzer_sys::fuzz_target;

#[path = "../../server/src/doors/http/saml_request.rs"]
#[allow(dead_code)]
mod saml_request;

use saml_request::{Binding, Request};

fn check(request: &Request) {
    assert!(!request.issuer().is_empty() && request.issuer().len() <= 1024);
    assert!(!request.id().is_empty() && request.id().len() <= saml_request::MAX_ID);
}

fuzz_target!(|data: &[u8]| {
    // The raw bytes deflated by a sender: whatever they inflate to stays within MAX_XML.
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    if let Ok(xml) = saml_request::decode(&encoded, Binding::Redirect) {
        assert!(xml.len() <= saml_request::MAX_XML);
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(r) = saml_request::parse(text) {
        check(&r);
    }
    for binding in [Binding::Redirect, Binding::Post] {
        if let Ok(r) = saml_request::read(text, binding) {
            check(&r);
        }
    }
    let _ = saml_request::split_query(text);
    if let Some(t) = saml_request::parse_instant(text) {
        let again = saml_request::format_instant(t);
        if t <= 253_402_300_799 {
            assert_eq!(saml_request::parse_instant(&again), Some(t));
        }
    }
});
