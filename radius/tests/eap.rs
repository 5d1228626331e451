#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, missing_docs)]
//! EAP packets (RFC 3748) and EAP over RADIUS (RFC 3579): fragmentation into EAP-Message
//! attributes, reassembly, and the Message-Authenticator rule.

use matrixauth_radius::eap::*;
use matrixauth_radius::*;

const SECRET: &[u8] = b"xyzzy5461";

fn request_with(attributes: Vec<Attribute>) -> Packet {
    Packet { code: Code::AccessRequest, identifier: 1, authenticator: [5; 16], attributes }
}

/// RFC 3748 §4–5 byte layouts: Identity request and response, Success, Failure, Nak,
/// Notification, GTC, each decoded and encoded back to the same bytes.
#[test]
fn eap_packets_round_trip() {
    let cases: &[(&[u8], EapPacket)] = &[
        (&[1, 0, 0, 5, 1], EapPacket::request(0, EapType::Identity, b"")),
        (&[2, 0, 0, 9, 1, b'u', b's', b'e', b'r'], EapPacket::response(0, EapType::Identity, b"user")),
        (&[3, 7, 0, 4], EapPacket::success(7)),
        (&[4, 7, 0, 4], EapPacket::failure(7)),
        (&[2, 1, 0, 7, 3, 6, 26], EapPacket::response(1, EapType::Nak, &[6, 26])),
        (&[1, 2, 0, 7, 2, b'h', b'i'], EapPacket::request(2, EapType::Notification, b"hi")),
        (&[1, 3, 0, 9, 6, b'G', b'r', b'i', b'd'], EapPacket::request(3, EapType::Gtc, b"Grid")),
        (&[1, 4, 0, 6, 254, 0], EapPacket::request(4, EapType::Unknown(254), &[0])),
        (
            &[5, 9, 0, 6, 0xaa, 0xbb],
            EapPacket { code: EapCode::Unknown(5), identifier: 9, kind: None, data: vec![0xaa, 0xbb] },
        ),
    ];
    for (bytes, packet) in cases {
        assert_eq!(&EapPacket::decode(bytes).unwrap(), packet, "{bytes:?}");
        assert_eq!(&packet.encode().unwrap()[..], *bytes, "{packet:?}");
    }
    let identity = EapPacket::decode(&[2, 0, 0, 9, 1, b'u', b's', b'e', b'r']).unwrap();
    assert_eq!(identity.identity(), Some(&b"user"[..]));
    assert_eq!(EapPacket::request(0, EapType::Identity, b"x").identity(), None, "requests have no identity");
    let nak = EapPacket::decode(&[2, 1, 0, 7, 3, 6, 26]).unwrap();
    assert_eq!(nak.nak_types(), Some(vec![EapType::Gtc, EapType::MsChapV2]));
    assert_eq!(identity.nak_types(), None);
    for t in 0..=255u8 {
        assert_eq!(EapType::from_u8(t).to_u8(), t);
        assert_eq!(EapCode::from_u8(t).to_u8(), t);
    }
}

/// Strict lengths: the Length field must equal the bytes, Success/Failure carry nothing,
/// requests and responses carry a type.
#[test]
fn malformed_eap_is_refused() {
    for bad in [
        &[][..],
        &[1, 0, 0],
        &[1, 0, 0, 4],          // a request without a type
        &[2, 0, 0, 4],          // a response without a type
        &[3, 0, 0, 5, 1],       // a Success with data
        &[4, 0, 0, 5, 1],       // a Failure with data
        &[1, 0, 0, 6, 1],       // Length past the bytes
        &[1, 0, 0, 5, 1, 0],    // bytes past Length
        &[1, 0, 0, 3, 1],       // Length below the header
        &[2, 0, 0xff, 0xff, 1], // Length far past the bytes
    ] {
        assert_eq!(EapPacket::decode(bad), Err(Error::BadEap), "{bad:?}");
    }
    let no_type = EapPacket { code: EapCode::Request, identifier: 0, kind: None, data: vec![] };
    assert_eq!(no_type.encode(), Err(Error::BadEap));
    let typed_success =
        EapPacket { code: EapCode::Success, identifier: 0, kind: Some(EapType::Gtc), data: vec![] };
    assert_eq!(typed_success.encode(), Err(Error::BadEap));
    let long = EapPacket::request(0, EapType::Gtc, &vec![0; 65531]);
    assert_eq!(long.encode(), Err(Error::EapTooLong));
    assert_eq!(EapPacket::request(0, EapType::Gtc, &vec![0; 65530]).encode().unwrap().len(), 65535);
}

/// RFC 3579 §3.1: a 1000-byte EAP packet goes into four EAP-Message attributes (253, 253, 253,
/// 241 bytes), travels in an Access-Request among other attributes, and comes back in order.
#[test]
fn rfc3579_fragmentation_round_trip() {
    let data: Vec<u8> = (0..995).map(|i| (i * 7 % 251) as u8).collect();
    let eap = EapPacket::response(42, EapType::MsChapV2, &data).encode().unwrap();
    assert_eq!(eap.len(), 1000);
    let fragments = to_attributes(&eap).unwrap();
    assert_eq!(fragments.iter().map(|a| a.value().len()).collect::<Vec<_>>(), [253, 253, 253, 241]);
    assert!(fragments.iter().all(|a| a.kind == attr::EAP_MESSAGE));

    let mut attributes = vec![Attribute::new(attr::USER_NAME, b"alice").unwrap()];
    attributes.extend(fragments);
    attributes.push(Attribute::new(attr::STATE, b"state").unwrap());
    let wire = request_with(attributes).encode_request(SECRET).unwrap();
    let decoded = Packet::decode(&wire).unwrap();
    assert_eq!(reassemble(&decoded, DEFAULT_MAX_EAP).unwrap().unwrap(), eap);
    let back = decode_from(&decoded, DEFAULT_MAX_EAP).unwrap().unwrap();
    assert_eq!((back.code, back.identifier, back.kind), (EapCode::Response, 42, Some(EapType::MsChapV2)));
    assert_eq!(back.data, data);

    // Order matters: the same fragments swapped give other bytes, which do not decode.
    let mut swapped = decoded.clone();
    // Attributes: Message-Authenticator, User-Name, then the four fragments.
    swapped.attributes.swap(2, 3);
    assert_ne!(reassemble(&swapped, DEFAULT_MAX_EAP).unwrap().unwrap(), eap);
    assert_eq!(decode_from(&swapped, DEFAULT_MAX_EAP), Err(Error::BadEap));

    // Exact multiples of 253 make no empty trailing attribute.
    assert_eq!(to_attributes(&vec![1; 506]).unwrap().len(), 2);
    assert_eq!(to_attributes(&vec![1; 507]).unwrap().len(), 3);
}

/// Reassembly's refusals: a bound on the total, configurable; fragments that are not
/// consecutive (RFC 3579 §3.1); a truncated EAP-Message; none at all; EAP-Start.
#[test]
fn reassembly_bounds_and_refusals() {
    let eap = EapPacket::response(1, EapType::Gtc, &[b'9'; 595]).encode().unwrap();
    let mut attrs = to_attributes(&eap).unwrap();
    let p = request_with(attrs.clone());
    assert_eq!(reassemble(&p, 600).unwrap().unwrap().len(), 600);
    assert_eq!(reassemble(&p, 599), Err(Error::EapTooLong));
    assert_eq!(reassemble(&p, 0), Err(Error::EapTooLong));

    // Another attribute between two fragments.
    attrs.insert(1, Attribute::new(attr::STATE, b"s").unwrap());
    assert_eq!(reassemble(&request_with(attrs.clone()), DEFAULT_MAX_EAP), Err(Error::BadEap));
    // Fragments that never end: the last one missing leaves a packet shorter than its Length.
    let truncated = to_attributes(&eap).unwrap()[..2].to_vec();
    assert_eq!(decode_from(&request_with(truncated), DEFAULT_MAX_EAP), Err(Error::BadEap));

    let none = request_with(vec![Attribute::new(attr::USER_NAME, b"alice").unwrap()]);
    assert_eq!(reassemble(&none, DEFAULT_MAX_EAP), Ok(None));
    assert_eq!(decode_from(&none, DEFAULT_MAX_EAP), Ok(None));

    // EAP-Start: one empty EAP-Message.
    let start_attrs = to_attributes(&[]).unwrap();
    assert_eq!(start_attrs.len(), 1);
    let start = request_with(start_attrs);
    assert_eq!(reassemble(&start, DEFAULT_MAX_EAP), Ok(Some(vec![])));
    assert_eq!(decode_from(&start, DEFAULT_MAX_EAP), Err(Error::BadEap));
}

/// RFC 3579 §3.2: a request with EAP-Message and no valid Message-Authenticator is discarded;
/// replies carrying EAP get one first, and it checks out.
#[test]
fn rfc3579_message_authenticator_is_required_with_eap() {
    let eap = EapPacket::response(3, EapType::Identity, b"alice").encode().unwrap();
    let with_eap = request_with(to_attributes(&eap).unwrap());
    let signed = with_eap.encode_request(SECRET).unwrap();
    assert_eq!(check_eap_request(SECRET, &signed), EapAuthenticity::Authentic);
    assert_eq!(check_eap_request(b"other secret", &signed), EapAuthenticity::Discard);

    let unsigned = with_eap.encode().unwrap();
    assert_eq!(check_eap_request(SECRET, &unsigned), EapAuthenticity::Discard, "no Message-Authenticator");

    let mut tampered = signed.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(check_eap_request(SECRET, &tampered), EapAuthenticity::Discard);

    let pap = request_with(vec![Attribute::new(attr::USER_NAME, b"alice").unwrap()]);
    assert_eq!(check_eap_request(SECRET, &pap.encode().unwrap()), EapAuthenticity::NotEap);
    assert_eq!(check_eap_request(SECRET, &[1, 2, 3]), EapAuthenticity::Discard);

    // A reply carrying EAP: Message-Authenticator first, then the EAP-Message in order.
    let request = Packet::decode(&signed).unwrap();
    let reply = request.reply(
        Code::AccessChallenge,
        to_attributes(&EapPacket::request(4, EapType::Gtc, b"Grid").encode().unwrap()).unwrap(),
    );
    let wire = reply.encode_response(SECRET, &request.authenticator).unwrap();
    assert!(response_is_authentic(SECRET, &request.authenticator, &wire));
    let decoded = Packet::decode(&wire).unwrap();
    assert_eq!(decoded.attributes[0].kind, attr::MESSAGE_AUTHENTICATOR);
    let back = decode_from(&decoded, DEFAULT_MAX_EAP).unwrap().unwrap();
    assert_eq!(back, EapPacket::request(4, EapType::Gtc, b"Grid"));
}

/// `Debug` keeps answers out of logs: a GTC response's text, an MSCHAPv2 response's data and
/// EAP-Message attribute values are redacted; requests print in full.
#[test]
fn debug_redacts_answers() {
    let gtc = EapPacket::response(1, EapType::Gtc, b"secret-answer-1234");
    assert!(!format!("{gtc:?}").contains("115, 101, 99"), "{gtc:?}");
    assert!(format!("{gtc:?}").contains("<redacted>"));
    let ms = EapPacket::response(1, EapType::MsChapV2, &[2, 1, 0, 5, 49]);
    assert!(format!("{ms:?}").contains("<redacted>"));
    let prompt = EapPacket::request(1, EapType::Gtc, b"Grid");
    assert!(format!("{prompt:?}").contains("71, 114, 105, 100"));
    let a = &to_attributes(&gtc.encode().unwrap()).unwrap()[0];
    assert!(format!("{a:?}").contains("<redacted>"));
}
