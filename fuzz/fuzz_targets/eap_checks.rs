// The checks of the `eap_decode` fuzz target, shared with `radius/tests/eap_fuzz_checks.rs`
// (which runs them over valid packets, their truncations and one-byte changes on every `cargo
// test`) through `include!`: one body, fuzzed and tested.
use matrixauth_radius::eap::{self, EapPacket, EapType};
use matrixauth_radius::mschapv2::{self, MsChapV2};
use matrixauth_radius::{Attribute, Code, Packet, attr};

/// Decodes `data` every way the fuzz target does and checks the properties.
fn check_eap(data: &[u8]) {
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
}
