//! Lexical path normalisation for file requests (our deliberate difference from CAVRA).

use std::borrow::Cow;

/// Normalises a path lexically: drops `.` segments and empty segments (`a//b`), resolves
/// `a/../b`, keeps a leading `/` and a trailing `/`. A `..` that would climb above the start is
/// dropped (like `/..` is `/` on POSIX), which can only add matches: the raw spelling is always
/// checked too, so normalisation never turns a block into an allow.
///
/// Returns the input unchanged (borrowed, no allocation) when it is already normal.
pub fn normalize_path(path: &str) -> Cow<'_, str> {
    if is_normal(path) {
        return Cow::Borrowed(path);
    }
    let absolute = path.starts_with('/');
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len());
    if absolute {
        out.push('/');
    }
    out.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    Cow::Owned(out)
}

/// Whether [`normalize_path`] would return the path unchanged: no empty inner segment (`//`)
/// and no `.` or `..` segment. One pass over the slashes, no allocation.
fn is_normal(path: &str) -> bool {
    let bytes = path.as_bytes();
    // A segment starting at `start` is `.` or `..` when it is followed by `/` or the end.
    let dot_segment = |start: usize| -> bool {
        let rest = bytes.get(start..).unwrap_or_default();
        matches!(
            rest,
            [b'.'] | [b'.', b'.'] | [b'.', b'/', ..] | [b'.', b'.', b'/', ..]
        )
    };
    if dot_segment(0) {
        return false;
    }
    for slash in memchr::memchr_iter(b'/', bytes) {
        match bytes.get(slash + 1) {
            // `//` anywhere (a leading `//` too) collapses.
            Some(b'/') => return false,
            Some(b'.') if dot_segment(slash + 1) => return false,
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_lexically() {
        let cases = [
            ("./.env", ".env"),
            ("a/../.env", ".env"),
            ("a//.env", "a/.env"),
            ("/etc/./passwd", "/etc/passwd"),
            ("../../.env", ".env"),
            ("/../.env", "/.env"),
            ("dir/", "dir/"),
            ("dir/./", "dir/"),
            ("//", "/"),
            (".", ""),
            ("a/b/c", "a/b/c"),
            ("", ""),
            ("/", "/"),
        ];
        for (input, want) in cases {
            assert_eq!(normalize_path(input), want, "normalise {input:?}");
        }
        assert!(matches!(normalize_path("a/b"), Cow::Borrowed(_)));
    }
}
