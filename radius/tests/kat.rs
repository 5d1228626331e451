#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::format_collect,
    missing_docs
)]
//! Known answers from RFC 2865 §7, and the rules the server relies on.

use hmac::{KeyInit, Mac};
use matrixauth_radius::*;

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

const SECRET: &[u8] = b"xyzzy5461";

/// RFC 2865 §7.1: nemo logs in with PAP; the Access-Accept it gets.
#[test]
fn rfc2865_7_1_pap_request_and_accept() {
    let request = unhex(
        "01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a
         01 06 6e 65 6d 6f 02 12 0d be 70 8d 93 d4 13 ce 31 96 e4 3f
         78 2a 0a ee 04 06 c0 a8 01 10 05 06 00 00 00 03",
    );
    let p = Packet::decode(&request).unwrap();
    assert_eq!((p.code, p.identifier), (Code::AccessRequest, 0));
    assert_eq!(p.get(attr::USER_NAME), Some(&b"nemo"[..]));
    assert_eq!(&p.password(SECRET).unwrap().unwrap()[..], b"arctangent");
    assert_eq!(p.get(attr::NAS_IP_ADDRESS), Some(&[192, 168, 1, 16][..]));
    assert_eq!(p.get(attr::NAS_PORT), Some(&[0, 0, 0, 3][..]));
    assert_eq!(p.encode().unwrap(), request, "decode then encode gives the same bytes");
    // Hiding the password again with the same authenticator gives the RFC's bytes.
    assert_eq!(
        hide_password(SECRET, &p.authenticator, b"arctangent").unwrap(),
        p.get(attr::USER_PASSWORD).unwrap()
    );

    let accept = unhex(
        "02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2
         06 06 00 00 00 01 0f 06 00 00 00 00 0e 06 c0 a8 01 03",
    );
    let reply = p.reply(
        Code::AccessAccept,
        vec![
            Attribute::integer(attr::SERVICE_TYPE, 1),
            Attribute::integer(15, 0),
            Attribute::new(14, &[192, 168, 1, 3]).unwrap(),
        ],
    );
    assert_eq!(
        reply.encode_response_without_message_authenticator(SECRET, &p.authenticator).unwrap(),
        accept
    );
    assert!(response_is_authentic(SECRET, &p.authenticator, &accept));
    assert!(!response_is_authentic(b"wrong secret", &p.authenticator, &accept));
}

/// RFC 2865 §7.2: a CHAP request from flopsy, and the Access-Accept (the RFC's
/// hex dump has one wrong byte: the Framed-MTU value is 0x05dc, 1500, as its text says; its
/// Response Authenticator does not check out against either byte, so only the decoding is
/// known-answer here).
#[test]
fn rfc2865_7_2_chap_request_and_accept() {
    let request = unhex(
        "01 01 00 47 2a ee 86 f0 8d 0d 55 96 9c a5 97 8e 0d 33 67 a2
         01 08 66 6c 6f 70 73 79 03 13 16 e9 75 57 c3 16 18 58 95 f2
         93 ff 63 44 07 72 75 04 06 c0 a8 01 10 05 06 00 00 00 14 06
         06 00 00 00 02 07 06 00 00 00 01",
    );
    let p = Packet::decode(&request).unwrap();
    assert_eq!(p.get(attr::USER_NAME), Some(&b"flopsy"[..]));
    assert!(p.get(attr::CHAP_PASSWORD).is_some());
    assert!(p.password(SECRET).unwrap().is_none(), "no PAP password in a CHAP request");
    assert_eq!(p.encode().unwrap(), request);
    let accept = unhex(
        "02 01 00 38 15 ef bc 7d ab 26 cf a3 dc 34 d9 c0 3c 86 01 a4
         06 06 00 00 00 02 07 06 00 00 00 01 08 06 ff ff ff fe 0a 06
         00 00 00 00 0d 06 00 00 00 01 0c 06 00 00 05 dc",
    );
    let reply = Packet::decode(&accept).unwrap();
    assert_eq!(reply.code, Code::AccessAccept);
    assert_eq!(reply.get(12), Some(&[0, 0, 5, 0xdc][..]));
}

#[test]
fn pap_passwords_of_every_length_round_trip() {
    let ra = [7u8; 16];
    for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 100, 128] {
        let password: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
        let hidden = hide_password(SECRET, &ra, &password).unwrap();
        assert_eq!(hidden.len(), len.div_ceil(16).max(1) * 16, "len {len}");
        assert_eq!(&unhide_password(SECRET, &ra, &hidden).unwrap()[..], &password[..], "len {len}");
    }
    assert_eq!(hide_password(SECRET, &ra, &[b'x'; 129]), Err(Error::BadPassword));
    assert_eq!(unhide_password(SECRET, &ra, &[0; 15]).unwrap_err(), Error::BadPassword);
    assert_eq!(unhide_password(SECRET, &ra, &[0; 144]).unwrap_err(), Error::BadPassword);
    assert_eq!(unhide_password(SECRET, &ra, &[]).unwrap_err(), Error::BadPassword);
}

fn request_with_ma(secret: &[u8]) -> Vec<u8> {
    let p = Packet {
        code: Code::AccessRequest,
        identifier: 9,
        authenticator: [3; 16],
        attributes: vec![
            Attribute::new(attr::MESSAGE_AUTHENTICATOR, &[0; 16]).unwrap(),
            Attribute::new(attr::USER_NAME, b"alice").unwrap(),
        ],
    };
    // Sign it as a client would: HMAC-MD5 over the packet with the value zeroed.
    let reply = p.encode_response(secret, &p.authenticator).unwrap();
    // encode_response wrote a Response Authenticator; put the request's back and re-sign the MA.
    let mut wire = reply;
    wire[0] = Code::AccessRequest.to_u8();
    wire[4..20].copy_from_slice(&p.authenticator);
    wire[22..38].fill(0);
    let mut m = <hmac::Hmac<md5::Md5> as KeyInit>::new_from_slice(secret).unwrap();
    m.update(&wire);
    let tag = m.finalize().into_bytes();
    wire[22..38].copy_from_slice(&tag);
    wire
}

#[test]
fn message_authenticator_is_checked_in_requests() {
    let wire = request_with_ma(SECRET);
    // encode_request signs as a client does: the same bytes.
    let p = Packet::decode(&wire).unwrap();
    assert_eq!(p.encode_request(SECRET).unwrap(), wire);
    assert_eq!(check_message_authenticator(SECRET, &wire), MessageAuthenticator::Valid);
    assert_eq!(check_message_authenticator(b"other secret", &wire), MessageAuthenticator::Invalid);
    for i in 0..wire.len() {
        let mut w = wire.clone();
        w[i] ^= 1;
        assert_ne!(check_message_authenticator(SECRET, &w), MessageAuthenticator::Valid, "byte {i}");
    }
    let plain = Packet::decode(&wire).unwrap();
    let without = Packet { attributes: plain.attributes[1..].to_vec(), ..plain.clone() }.encode().unwrap();
    assert_eq!(check_message_authenticator(SECRET, &without), MessageAuthenticator::Absent);
    // Two Message-Authenticators, or one of the wrong size: invalid.
    let mut twice = plain.clone();
    twice.attributes.push(plain.attributes[0].clone());
    assert_eq!(check_message_authenticator(SECRET, &twice.encode().unwrap()), MessageAuthenticator::Invalid);
    let mut short = plain.clone();
    short.attributes[0] = Attribute::new(attr::MESSAGE_AUTHENTICATOR, &[0; 15]).unwrap();
    assert_eq!(check_message_authenticator(SECRET, &short.encode().unwrap()), MessageAuthenticator::Invalid);
}

#[test]
fn replies_put_message_authenticator_first_and_echo_proxy_state_in_order() {
    let request = Packet {
        code: Code::AccessRequest,
        identifier: 42,
        authenticator: [5; 16],
        attributes: vec![
            Attribute::new(attr::PROXY_STATE, b"first").unwrap(),
            Attribute::new(attr::USER_NAME, b"alice").unwrap(),
            Attribute::new(attr::PROXY_STATE, b"second").unwrap(),
        ],
    };
    let reply = request.reply(Code::AccessReject, vec![Attribute::new(attr::REPLY_MESSAGE, b"no").unwrap()]);
    let wire = reply.encode_response(SECRET, &request.authenticator).unwrap();
    let back = Packet::decode(&wire).unwrap();
    assert_eq!(back.identifier, 42);
    assert_eq!(back.attributes[0].kind, attr::MESSAGE_AUTHENTICATOR);
    let proxy: Vec<&[u8]> = back.all(attr::PROXY_STATE).map(Attribute::value).collect();
    assert_eq!(proxy, [&b"first"[..], &b"second"[..]]);
    assert!(response_is_authentic(SECRET, &request.authenticator, &wire));
    let mut altered = wire.clone();
    *altered.last_mut().unwrap() ^= 1;
    assert!(!response_is_authentic(SECRET, &request.authenticator, &altered));
}

#[test]
fn malformed_packets_are_refused_with_a_reason() {
    let good = request_with_ma(SECRET);
    assert_eq!(Packet::decode(&good[..19]), Err(Error::TooShort));
    assert_eq!(Packet::decode(&vec![1; 4097]), Err(Error::TooLong));
    let mut len_over = good.clone();
    len_over[3] = len_over[3].wrapping_add(1);
    assert_eq!(Packet::decode(&len_over), Err(Error::Truncated));
    let mut len_under = good.clone();
    len_under[2..4].copy_from_slice(&19u16.to_be_bytes());
    assert_eq!(Packet::decode(&len_under), Err(Error::TooShort));
    let mut zero_attr = good.clone();
    zero_attr[21] = 0;
    assert_eq!(Packet::decode(&zero_attr), Err(Error::BadAttributeLength));
    let mut long_attr = good.clone();
    long_attr[21] = 200;
    assert_eq!(Packet::decode(&long_attr), Err(Error::BadAttributeLength));
    // Bytes after Length are padding: ignored.
    let mut padded = good.clone();
    padded.extend_from_slice(&[0xff; 10]);
    assert_eq!(Packet::decode(&padded).unwrap(), Packet::decode(&good).unwrap());
    assert_eq!(Attribute::new(1, &[0; 254]), Err(Error::ValueTooLong));
    // Unknown codes and attribute types are kept.
    let mut unknown = Packet::decode(&good).unwrap();
    unknown.code = Code::Unknown(200);
    unknown.attributes.push(Attribute::new(250, b"x").unwrap());
    let wire = unknown.encode().unwrap();
    assert_eq!(Packet::decode(&wire).unwrap(), unknown);
    assert!(!format!("{:?}", Attribute::new(attr::USER_PASSWORD, b"secret!").unwrap()).contains("115"));
}

#[test]
fn long_text_is_split_into_attributes_at_line_ends() {
    let grid: String = (1..=26).map(|r| format!("{r:>2} 1 2 3 4 5 6 7 8 9 0 1 2 3\n")).collect();
    let parts = Attribute::text(attr::REPLY_MESSAGE, &grid);
    assert!(parts.len() > 1);
    assert!(parts.iter().all(|a| a.value().len() <= MAX_VALUE && a.value().ends_with(b"\n")));
    let joined: Vec<u8> = parts.iter().flat_map(|a| a.value().to_vec()).collect();
    assert_eq!(joined, grid.as_bytes());
    let japanese = "格子".repeat(100);
    let parts = Attribute::text(attr::REPLY_MESSAGE, &japanese);
    assert!(parts.iter().all(|a| std::str::from_utf8(a.value()).is_ok()));
}
