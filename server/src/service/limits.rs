//! Size limits on the text the service accepts, in one place for every entry point (REST, server
//! functions, CLI): a policy source, comments, reasons, names. Over a limit is
//! [`BackendError::TooLarge`] (413) with a message naming the limit, before anything is read or
//! written.
//!
//! The HTTP body limit (`api::limits`) only bounds memory and is set above these (a 1 MiB
//! source, JSON- or form-encoded, fits in a 2 MiB body), so a source just over its limit gets
//! the same answer however it arrives.

use app::backend::BackendError;

use super::Result;

/// Longest comment on a sign-off or a withdrawal, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;
/// Longest reason for a rollback or break-glass action, in characters.
pub const MAX_REASON_CHARS: usize = 2000;
/// Longest user name, in characters (creating an account, signing in, naming a co-author).
pub const MAX_USER_NAME_CHARS: usize = 64;
/// Longest password, in bytes: argon2 hashes whatever it is given, so a sign-in with a
/// megabyte "password" would cost hashing time for nothing.
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// Most co-authors of one draft.
pub const MAX_COAUTHORS: usize = 16;

/// Largest policy source a draft may hold, in bytes: the parser's own limit
/// ([`lifecycle::model::ParseLimits`]), so nothing is stored that could never be published.
pub fn max_source_bytes() -> usize {
    lifecycle::model::ParseLimits::default().max_bytes
}

/// Refuses a policy source over [`max_source_bytes`].
pub fn check_source(source: &str) -> Result<()> {
    let limit = max_source_bytes();
    if source.len() > limit {
        return Err(BackendError::TooLarge(format!(
            "the policy source is {} bytes; the limit is {limit} bytes ({} KiB)",
            source.len(),
            limit / 1024
        )));
    }
    Ok(())
}

/// Refuses `text` longer than `max` characters; `what` names it (`a comment`, …).
pub fn check_chars(what: &str, text: &str, max: usize) -> Result<()> {
    // Counting stops one past the limit, so a megabyte of text costs no more than the limit.
    let count = text.chars().take(max + 1).count();
    if count > max {
        return Err(BackendError::TooLarge(format!(
            "{what} is at most {max} characters; this one has {} bytes",
            text.len()
        )));
    }
    Ok(())
}

/// Refuses `text` longer than `max` bytes; `what` names it.
pub fn check_bytes(what: &str, text: &str, max: usize) -> Result<()> {
    if text.len() > max {
        return Err(BackendError::TooLarge(format!(
            "{what} is at most {max} bytes; this one has {}",
            text.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn too_large(result: Result<()>) -> String {
        match result {
            Err(BackendError::TooLarge(message)) => message,
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn limits_name_themselves() {
        let limit = max_source_bytes();
        assert!(check_source(&"#".repeat(limit)).is_ok());
        let message = too_large(check_source(&"#".repeat(limit + 1)));
        assert!(
            message.contains(&format!("the limit is {limit} bytes")),
            "{message}"
        );
        assert!(check_chars("a comment", &"é".repeat(2000), 2000).is_ok());
        let message = too_large(check_chars("a comment", &"é".repeat(2001), 2000));
        assert!(
            message.starts_with("a comment is at most 2000 characters"),
            "{message}"
        );
        let message = too_large(check_bytes("a password", &"x".repeat(1025), 1024));
        assert!(message.contains("at most 1024 bytes"), "{message}");
    }
}
