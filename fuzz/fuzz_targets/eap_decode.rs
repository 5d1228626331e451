//! EAP over RADIUS (RFC 3748, RFC 3579) and EAP-MSCHAPv2: decoding arbitrary bytes as EAP and as
//! MSCHAPv2 never panics, and whatever decodes re-encodes to the same bytes; fragmentation and
//! reassembly give the bytes back; arbitrary attribute lists reassemble within the bound or are
//! refused; MS-MPPE key values never panic when decrypted.
#![no_main]
use libfuzzer_sys::fuzz_target;

include!("eap_checks.rs");

fuzz_target!(|data: &[u8]| check_eap(data));
