//! EAP over RADIUS (RFC 3748, RFC 3579) and EAP-MSCHAPv2: decoding arbitrary bytes as EAP and as
//! MSCHAPv2 never panics, and whatever decodes re-encodes to the same bytes; fragmentation and
//! reassembly give the bytes back; arbitrary attribute lists reassemble within the bound or are
//! refused; MS-MPPE key values never panic when decrypted.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrixauth_radius::eap::{self, EapPacket, EapType};
use matrixauth_radius::mschapv2::{self, MsChapV2};
use matrixauth_radius::{Attribute, Code, Packet, attr};

fuzz_target!(|data: &[u8]| {
    let secret = b"fuzzing secret 16+";

    // EAP: whatever decodes re-encodes to the same bytes.
    if let Ok(p) = EapPacket::decode(data) {
        assert_eq!(p.encode().unwrap(), data, "EAP decode/encode is not the identity");
        let _ = (p.identity(), p.nak_types());
    }
    // MSCHAPv2 type data: the same.
    if let Ok(m) = MsChapV2::decode(data) {
        assert_eq!(m.encode().unwrap(), data, "MSCHAPv2 decode/encode is not the identity");
    }

    // Fragmentation: any bytes split into EAP-Message attributes come back unchanged.
    let fragments = eap::to_attributes(data).unwrap();
    assert!(fragments.iter().all(|a| a.value().len() <= 253));
    let carried =
        Packet { code: Code::AccessRequest, identifier: 0, authenticator: [0; 16], attributes: fragments };
    assert_eq!(eap::reassemble(&carried, data.len()).unwrap().unwrap(), data);

    // Arbitrary attribute lists: (selector, length, value)*, EAP-Message or State, bound from byte 0.
    let max = usize::from(data.first().copied().unwrap_or(0)) * 8;
    let mut attributes = Vec::new();
    let mut rest = data;
    while let [selector, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len()).min(253);
        let kind = if selector & 1 == 0 { attr::EAP_MESSAGE } else { attr::STATE };
        attributes.push(Attribute::new(kind, &tail[..n]).unwrap());
        rest = &tail[n..];
    }
    let packet = Packet { code: Code::AccessRequest, identifier: 1, authenticator: [3; 16], attributes };
    if let Ok(Some(bytes)) = eap::reassemble(&packet, max) {
        assert!(bytes.len() <= max, "reassembly passed its bound");
    }
    if let Ok(Some(p)) = eap::decode_from(&packet, max)
        && p.kind == Some(EapType::MsChapV2)
    {
        let _ = MsChapV2::decode(&p.data);
    }
    if let Ok(wire) = packet.encode() {
        let _ = eap::check_eap_request(secret, &wire);
    }
    let _ = mschapv2::find_vendor_attribute(&packet.attributes, mschapv2::MS_MPPE_SEND_KEY);

    // MS-MPPE key values: decrypting arbitrary bytes never panics, and a key is shorter than its value.
    if let Ok(key) = mschapv2::decrypt_mppe_key(secret, &[3; 16], data) {
        assert!(!key.is_empty() && key.len() < data.len());
    }
});
