#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::format_collect,
    missing_docs
)]
//! Known answers for EAP-MSCHAPv2: RFC 2759 §9.2 (the hashes), RFC 3079 §3.5.3 (the MPPE master
//! and send start keys), OpenBSD libradius's MS-MPPE key attribute vector (RFC 2548), and the
//! packet formats of draft-kamath-pppext-eap-mschapv2.

use matrixauth_radius::eap::{EapCode, EapPacket, EapType};
use matrixauth_radius::mschapv2::*;
use matrixauth_radius::{Attribute, Error, attr};

fn unhex<const N: usize>(s: &str) -> [u8; N] {
    let s: String = s.split_whitespace().collect();
    let v: Vec<u8> = (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect();
    v.try_into().unwrap()
}

// RFC 2759 §9.2 "Hash Example": user name "User", password "clientPass".
const USER: &[u8] = b"User";
const PASSWORD: &str = "clientPass";
fn auth_challenge() -> [u8; 16] {
    unhex("5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28")
}
fn peer_challenge() -> [u8; 16] {
    unhex("21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E")
}
fn nt_response() -> [u8; 24] {
    unhex("82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF")
}

/// RFC 2759 §9.2: every intermediate value of the worked example.
#[test]
fn rfc2759_9_2_hash_example() {
    let hash = nt_password_hash(PASSWORD);
    assert_eq!(*hash, unhex::<16>("44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE"), "PasswordHash");
    assert_eq!(
        *hash_nt_password_hash(&hash),
        unhex::<16>("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F"),
        "PasswordHashHash"
    );
    let challenge = challenge_hash(&peer_challenge(), &auth_challenge(), USER);
    assert_eq!(challenge, unhex::<8>("D0 2E 43 86 BC E9 12 26"), "Challenge");
    assert_eq!(challenge_response(&challenge, &hash), nt_response(), "ChallengeResponse");
    assert_eq!(generate_nt_response(&auth_challenge(), &peer_challenge(), USER, &hash), nt_response());
    let s =
        generate_authenticator_response(&hash, &nt_response(), &peer_challenge(), &auth_challenge(), USER);
    assert_eq!(&s, b"S=407A5589115FD0D6209F510FE9C04566932CDA56", "AuthenticatorResponse");
}

/// The verify helpers accept exactly the right values.
#[test]
fn verify_helpers_accept_only_the_right_answer() {
    let hash = nt_password_hash(PASSWORD);
    assert!(verify_nt_response(&auth_challenge(), &peer_challenge(), USER, &hash, &nt_response()));
    for i in 0..24 {
        let mut wrong = nt_response();
        wrong[i] ^= 0x01;
        assert!(!verify_nt_response(&auth_challenge(), &peer_challenge(), USER, &hash, &wrong), "byte {i}");
    }
    let other = nt_password_hash("clientPasS");
    assert!(!verify_nt_response(&auth_challenge(), &peer_challenge(), USER, &other, &nt_response()));
    assert!(!verify_nt_response(&auth_challenge(), &peer_challenge(), b"Users", &hash, &nt_response()));
    // The domain is not hashed (RFC 2759 §8.2).
    assert_eq!(user_name_for_hash(b"EXAMPLE\\User"), USER);
    assert_eq!(user_name_for_hash(b"User"), USER);
    assert_eq!(user_name_for_hash(b"A\\B\\"), b"");

    let s =
        generate_authenticator_response(&hash, &nt_response(), &peer_challenge(), &auth_challenge(), USER);
    assert!(verify_authenticator_response(&s, b"S=407A5589115FD0D6209F510FE9C04566932CDA56"));
    assert!(!verify_authenticator_response(&s, b"S=407A5589115FD0D6209F510FE9C04566932CDA57"));
    assert!(!verify_authenticator_response(&s, b"S=407A5589115FD0D6209F510FE9C04566932CDA5"));
    assert!(!verify_authenticator_response(&s, b""));
}

/// NtPasswordHash is MD4 over UTF-16LE: a non-ASCII password and one outside the BMP (a
/// surrogate pair) hash as their UTF-16LE bytes do; the empty password is MD4("").
#[test]
fn nt_password_hash_is_md4_of_utf16le() {
    use md4::Digest;
    assert_eq!(*nt_password_hash(""), unhex::<16>("31d6cfe0d16ae931b73c59d7e0c089c0"));
    for pw in ["pässwörd", "グリッド", "a😀b"] {
        let bytes: Vec<u8> = pw.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let want: [u8; 16] = md4::Md4::digest(&bytes).into();
        assert_eq!(*nt_password_hash(pw), want, "{pw}");
    }
}

/// RFC 3079 §3.5.3 (128-bit keys, the same user, password and NT-Response): MasterKey, and
/// SendStartKey128, which the RFC computes from the server's side (IsSend and IsServer true: the
/// Magic3 string; the peer receives with that key). The server's receive key is not printed in
/// the RFC; the value asserted here is the one several independent EAP-MSCHAPv2 test suites give
/// as the first half of the MSK (hostapd's "server MS-MPPE-Recv-Key | MS-MPPE-Send-Key" order): a
/// cross-check, not an RFC answer.
#[test]
fn rfc3079_3_5_3_master_and_start_keys() {
    let hash = nt_password_hash(PASSWORD);
    let master = master_key(&hash, &nt_response());
    assert_eq!(*master, unhex::<16>("FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31"), "MasterKey");
    let send = asymmetric_start_key(&master, true, true);
    assert_eq!(*send, unhex::<16>("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB"), "SendStartKey128");
    // The peer's receive key is the server's send key, and the other way round.
    assert_eq!(*asymmetric_start_key(&master, false, false), *send);
    let recv = asymmetric_start_key(&master, false, true);
    assert_eq!(*asymmetric_start_key(&master, true, false), *recv);
    assert_eq!(*recv, unhex::<16>("D5F0E9521E3EA9589645E86051C82226"), "server receive key");

    let keys = MppeKeys::server(&hash, &nt_response());
    assert_eq!(*keys.send, *send);
    assert_eq!(*keys.recv, *recv);
    let msk = keys.msk();
    assert_eq!(msk[..16], *recv);
    assert_eq!(msk[16..32], *send);
    assert_eq!(msk[32..], [0u8; 32]);
    assert_eq!(format!("{keys:?}"), "MppeKeys { ... }", "Debug shows no key");
}

/// What a server that holds only the PasswordHashHash (the core's `NtVerdict`) derives: the same
/// RFC 2759 §9.2 authenticator response and RFC 3079 §3.5.3 keys as from the NT hash.
#[test]
fn from_the_password_hash_hash_alone() {
    let hash_hash = unhex::<16>("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F");
    let s = authenticator_response_from_hash_hash(
        &hash_hash,
        &nt_response(),
        &peer_challenge(),
        &auth_challenge(),
        USER,
    );
    assert_eq!(&s, b"S=407A5589115FD0D6209F510FE9C04566932CDA56", "AuthenticatorResponse");
    let master = master_key_from_hash_hash(&hash_hash, &nt_response());
    assert_eq!(*master, unhex::<16>("FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31"), "MasterKey");
    let keys = MppeKeys::server_from_hash_hash(&hash_hash, &nt_response());
    assert_eq!(*keys.send, unhex::<16>("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB"), "SendStartKey128");
    assert_eq!(*keys.recv, unhex::<16>("D5F0E9521E3EA9589645E86051C82226"));
    // Another hash-hash gives other values (the inputs are used).
    let mut other = hash_hash;
    other[0] ^= 1;
    assert_ne!(*MppeKeys::server_from_hash_hash(&other, &nt_response()).send, *keys.send);
}

/// OpenBSD libradius's regression test for MS-MPPE key attributes (regress/lib/libradius,
/// test25.c): secret "hogehogefugafuga", this Request Authenticator and salt 0x8036 encrypt this
/// 16-byte key to these 32 bytes (RFC 2548 §2.4.2).
#[test]
fn rfc2548_mppe_key_fixed_vector() {
    let secret = b"hogehogefugafuga";
    let ra: [u8; 16] = unhex("67 8a e6 ed 69 6e 1b d1 0a e2 fe a1 05 d4 6a 56");
    let key: [u8; 16] = unhex("fc 6e a4 18 37 3d 8e 90 c1 36 fa e3 73 5e 37 d1");
    let value: [u8; 34] = unhex(
        "80 36 f4 ab be 21 17 fb 3e 4a 78 74 dc e9 1c 5b 04 49
         8e c7 72 0f 16 86 88 56 2d bc 88 e2 1c ab 62 71",
    );
    assert_eq!(&decrypt_mppe_key(secret, &ra, &value).unwrap()[..], key);
    assert_eq!(encrypt_mppe_key(secret, &ra, 0x8036, &key).unwrap(), value);
    // The high bit of the salt is always set.
    assert_eq!(encrypt_mppe_key(secret, &ra, 0x0036, &key).unwrap(), value);
}

/// RFC 2548 round trips: keys of several lengths, any salt; tampering, a salt without its high
/// bit and bad lengths are refused; the wrong secret does not give the key back.
#[test]
fn rfc2548_mppe_key_round_trip_and_refusals() {
    let secret = b"xyzzy5461";
    let ra = [9u8; 16];
    for len in [1usize, 15, 16, 31, 32, 200] {
        let key: Vec<u8> = (0..len).map(|i| i as u8 ^ 0x5a).collect();
        let value = encrypt_mppe_key(secret, &ra, 0x1234, &key).unwrap();
        assert_eq!(value.len(), 2 + (1 + len).div_ceil(16) * 16, "len {len}");
        assert_eq!(value[0] & 0x80, 0x80);
        assert_eq!(&decrypt_mppe_key(secret, &ra, &value).unwrap()[..], &key[..], "len {len}");
        assert_ne!(decrypt_mppe_key(b"other", &ra, &value).ok().as_deref().map(|k| &k[..]), Some(&key[..]));
    }
    assert_eq!(encrypt_mppe_key(secret, &ra, 1, &[]), Err(Error::BadMppeKey));
    assert_eq!(encrypt_mppe_key(secret, &ra, 1, &[0; 240]), Err(Error::BadMppeKey));
    let value = encrypt_mppe_key(secret, &ra, 0x8001, &[7; 16]).unwrap();
    let mut no_bit = value.clone();
    no_bit[0] &= 0x7f;
    assert_eq!(decrypt_mppe_key(secret, &ra, &no_bit).unwrap_err(), Error::BadMppeKey);
    assert_eq!(decrypt_mppe_key(secret, &ra, &value[..33]).unwrap_err(), Error::BadMppeKey);
    assert_eq!(decrypt_mppe_key(secret, &ra, &value[..2]).unwrap_err(), Error::BadMppeKey);
    assert_eq!(decrypt_mppe_key(secret, &ra, &[]).unwrap_err(), Error::BadMppeKey);
}

/// The Vendor-Specific attributes of an Access-Accept: vendor 311, types 16 and 17, different
/// salts, each decrypting to its key; equal salts are refused.
#[test]
fn mppe_key_attributes_for_an_access_accept() {
    let secret = b"xyzzy5461";
    let ra = [3u8; 16];
    let keys = MppeKeys::server(&nt_password_hash(PASSWORD), &nt_response());
    let attrs = mppe_key_attributes(secret, &ra, &keys, 0x8101, 0x8202).unwrap();
    assert!(attrs.iter().all(|a| a.kind == attr::VENDOR_SPECIFIC));
    // 4 vendor bytes, type, length, salt, 32 bytes: 40 bytes of value.
    assert!(attrs.iter().all(|a| a.value().len() == 40));
    assert_eq!(&attrs[0].value()[..6], &[0, 0, 1, 0x37, 16, 36]);
    assert_eq!(&attrs[1].value()[..6], &[0, 0, 1, 0x37, 17, 36]);
    let send = find_vendor_attribute(&attrs, MS_MPPE_SEND_KEY).unwrap();
    let recv = find_vendor_attribute(&attrs, MS_MPPE_RECV_KEY).unwrap();
    assert_eq!(&decrypt_mppe_key(secret, &ra, send).unwrap()[..], &keys.send[..]);
    assert_eq!(&decrypt_mppe_key(secret, &ra, recv).unwrap()[..], &keys.recv[..]);
    assert_eq!(mppe_key_attributes(secret, &ra, &keys, 0x0101, 0x8101).unwrap_err(), Error::BadMppeKey);
    // Another vendor's attribute of the same sub-type is not taken for Microsoft's.
    let other = Attribute::new(attr::VENDOR_SPECIFIC, &[0, 0, 0, 9, 16, 4, 1, 2]).unwrap();
    assert_eq!(find_vendor_attribute(&[other], MS_MPPE_SEND_KEY), None);
}

/// Challenge, Response, Success and Failure requests and the acks: the byte layouts of
/// draft-kamath-pppext-eap-mschapv2, decoded and encoded back to the same bytes.
#[test]
fn packet_formats_round_trip() {
    // Challenge: OpCode 1, MS-CHAPv2-ID, MS-Length, Value-Size 16, challenge, name.
    let challenge =
        MsChapV2::Challenge { id: 0x2a, challenge: auth_challenge(), name: b"matrixauth".to_vec() };
    let bytes = challenge.encode().unwrap();
    assert_eq!(&bytes[..5], &[1, 0x2a, 0, 31, 16]);
    assert_eq!(&bytes[5..21], &auth_challenge());
    assert_eq!(&bytes[21..], b"matrixauth");
    assert_eq!(MsChapV2::decode(&bytes).unwrap(), challenge);
    let eap = challenge.to_eap(EapCode::Request, 5).unwrap();
    assert_eq!(eap.kind, Some(EapType::MsChapV2));
    let wire = eap.encode().unwrap();
    assert_eq!(&wire[..5], &[1, 5, 0, 36, 26]);
    assert_eq!(EapPacket::decode(&wire).unwrap(), eap);

    // Response: Value-Size 49 = peer challenge, 8 reserved zeros, NT-Response, flags.
    let response = MsChapV2::Response {
        id: 0x2a,
        peer_challenge: peer_challenge(),
        nt_response: nt_response(),
        flags: 0,
        name: USER.to_vec(),
    };
    let bytes = response.encode().unwrap();
    assert_eq!(bytes.len(), 4 + 1 + 49 + 4);
    assert_eq!(&bytes[..5], &[2, 0x2a, 0, 58, 49]);
    assert_eq!(&bytes[21..29], &[0; 8]);
    assert_eq!(&bytes[29..53], &nt_response());
    assert_eq!(MsChapV2::decode(&bytes).unwrap(), response);

    // Success request: "S=<40 hex> M=<text>".
    let s = generate_authenticator_response(
        &nt_password_hash(PASSWORD),
        &nt_response(),
        &peer_challenge(),
        &auth_challenge(),
        USER,
    );
    let message = success_message(&s, "welcome");
    assert_eq!(message, b"S=407A5589115FD0D6209F510FE9C04566932CDA56 M=welcome");
    let success = MsChapV2::SuccessRequest { id: 0x2a, message };
    assert_eq!(MsChapV2::decode(&success.encode().unwrap()).unwrap(), success);

    // Failure request: "E=691 R=0 C=<32 upper-case hex> V=3 M=<text>".
    let message = failure_message(&auth_challenge(), "wrong answer");
    assert_eq!(
        String::from_utf8(message.clone()).unwrap(),
        "E=691 R=0 C=5B5D7C7D7B3F2F3E3C2C602132262628 V=3 M=wrong answer"
    );
    let failure = MsChapV2::FailureRequest { id: 0x2a, message };
    assert_eq!(MsChapV2::decode(&failure.encode().unwrap()).unwrap(), failure);

    // The peer's acks are the OpCode alone.
    assert_eq!(MsChapV2::SuccessAck.encode().unwrap(), [3]);
    assert_eq!(MsChapV2::FailureAck.encode().unwrap(), [4]);
    assert_eq!(MsChapV2::decode(&[3]).unwrap(), MsChapV2::SuccessAck);
    assert_eq!(MsChapV2::decode(&[4]).unwrap(), MsChapV2::FailureAck);
    // Change-Password (7) and others are kept.
    let unknown = MsChapV2::decode(&[7, 1, 2, 3]).unwrap();
    assert_eq!(unknown, MsChapV2::Unknown { opcode: 7, body: vec![1, 2, 3] });
    assert_eq!(unknown.encode().unwrap(), [7, 1, 2, 3]);
}

/// Malformed MSCHAPv2 packets are refused, never panic.
#[test]
fn malformed_packets_are_refused() {
    let response = MsChapV2::Response {
        id: 1,
        peer_challenge: peer_challenge(),
        nt_response: nt_response(),
        flags: 0,
        name: USER.to_vec(),
    }
    .encode()
    .unwrap();
    // Every truncation: MS-Length then disagrees, or the value is cut.
    for n in 0..response.len() {
        assert!(MsChapV2::decode(&response[..n]).is_err(), "truncated to {n}");
    }
    let mut long = response.clone();
    long.push(0);
    assert_eq!(MsChapV2::decode(&long), Err(Error::BadMsChapV2), "MS-Length short of the data");
    let mut size = response.clone();
    size[4] = 48;
    assert_eq!(MsChapV2::decode(&size), Err(Error::BadMsChapV2), "Value-Size not 49");
    let mut reserved = response.clone();
    reserved[25] = 1;
    assert_eq!(MsChapV2::decode(&reserved), Err(Error::BadMsChapV2), "reserved not zero");
    assert_eq!(MsChapV2::decode(&[1, 1, 0, 5, 15]), Err(Error::BadMsChapV2), "challenge Value-Size 15");
    assert_eq!(MsChapV2::decode(&[1]), Err(Error::BadMsChapV2));
    assert_eq!(MsChapV2::decode(&[2]), Err(Error::BadMsChapV2));
    assert_eq!(MsChapV2::decode(&[]), Err(Error::BadMsChapV2));
    assert_eq!(MsChapV2::decode(&[3, 1, 0]), Err(Error::BadMsChapV2));
}

/// `Debug` of a Response never prints the NT-Response.
#[test]
fn debug_redacts_the_nt_response() {
    let r = MsChapV2::Response {
        id: 1,
        peer_challenge: peer_challenge(),
        nt_response: [0xab; 24],
        flags: 0,
        name: USER.to_vec(),
    };
    let text = format!("{r:?}");
    assert!(text.contains("<redacted>") && !text.contains("171"), "{text}");
}

/// The branch-free hex of `C=` and `S=` against `format!("{:02X}")`, for every byte value.
#[test]
fn hex_matches_format_for_every_byte() {
    for block in 0..16u8 {
        let challenge: [u8; 16] = core::array::from_fn(|i| block * 16 + i as u8);
        let want: String = challenge.iter().map(|b| format!("{b:02X}")).collect();
        let message = String::from_utf8(failure_message(&challenge, "")).unwrap();
        assert_eq!(message, format!("E=691 R=0 C={want} V=3 M="));
    }
}
