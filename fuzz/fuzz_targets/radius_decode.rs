//! RADIUS packets: decoding never panics or over-reads; whatever decodes re-encodes to the bytes
//! its Length field covers; the Message-Authenticator check and the PAP reveal never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use matrixauth_radius::{Packet, check_message_authenticator};

fuzz_target!(|data: &[u8]| {
    let _ = check_message_authenticator(b"fuzzing secret 16+", data);
    if let Ok(p) = Packet::decode(data) {
        let again = p.encode().unwrap();
        let len = usize::from(u16::from_be_bytes([data[2], data[3]]));
        assert_eq!(again, &data[..len], "decode/encode is not the identity");
        let _ = p.password(b"fuzzing secret 16+");
        let reply = p.reply(matrixauth_radius::Code::AccessReject, Vec::new());
        let _ = reply.encode_response(b"fuzzing secret 16+", &p.authenticator);
    }
});
