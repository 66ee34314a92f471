//! The readiness packet validator (CI's gate) on arbitrary JSON.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(packet) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = lifecycle::packet::validate_packet(&packet, false);
        let _ = lifecycle::packet::validate_packet(&packet, true);
    }
});
