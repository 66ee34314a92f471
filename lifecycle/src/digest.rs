//! The policy content digest: CAVRA's `policy_content_digest`.
//!
//! `"sha256:" + hex(sha256(utf8(canonical_json(policy))))`, where the policy is the loaded value
//! (after the `inherits` merge when the pack has one, see [`crate::inherits::load_policy`]), not
//! the file bytes.

use sha2::{Digest as _, Sha256};

use crate::json::canonical_json;
use crate::value::Value;

/// `sha256:<64 lowercase hex>` of the policy's canonical JSON.
pub fn policy_digest(policy: &Value) -> String {
    let hash = Sha256::digest(canonical_json(policy).as_bytes());
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in hash {
        out.push(hex_digit(byte >> 4));
        out.push(hex_digit(byte & 0x0f));
    }
    out
}

/// The first 12 hex characters of [`policy_digest`] (CAVRA's `H(p)`, used in refs).
pub fn short_digest(policy: &Value) -> String {
    let full = policy_digest(policy);
    full.get(7..19).unwrap_or_default().to_owned()
}

fn hex_digit(nibble: u8) -> char {
    char::from_digit(u32::from(nibble), 16).unwrap_or('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_policy_digest() {
        let empty = Value::Map(vec![]);
        assert_eq!(
            policy_digest(&empty),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(short_digest(&empty), "44136fa355b3");
    }
}
