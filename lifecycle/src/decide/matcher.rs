//! CAVRA's path and command pattern language, compiled once into a small matcher.
//!
//! CAVRA turns a pattern into a regular expression with
//! `"^" + re.escape(p).replace("\\*\\*", ".*").replace("\\*", ".*") + "$"` and applies it with
//! `re.fullmatch`. So every run of `*` means "any characters, including `/`, but not a newline",
//! and every other character (`?`, `[`, `{`, `.`, `\`) is literal. We never build a regex: a
//! pattern is split at its star runs into an anchored prefix, an anchored suffix and the literal
//! pieces between them, which are found left to right, each at its leftmost occurrence.
//!
//! Leftmost placement is optimal: taking an earlier occurrence of a piece leaves at least as
//! much room for the pieces after it. The newline rule keeps this property: if the gap before the
//! leftmost occurrence holds a newline, so does the gap before any later one, and if two
//! occurrences overlap, the piece is periodic, so a newline it covers in the later occurrence is
//! also in the gap before it. The property test in `tests/it/decide_props.rs` checks the matcher
//! against a regex-based copy of CAVRA's translation.

use std::collections::HashMap;

use memchr::memmem::Finder;

/// A compiled CAVRA pattern.
#[derive(Debug, Clone)]
pub struct Pattern {
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// No star: the text must equal the pattern.
    Exact(Box<str>),
    /// At least one star.
    Wild {
        prefix: Box<str>,
        suffix: Box<str>,
        /// The literal pieces between star runs, with a searcher built once.
        middle: Box<[Finder<'static>]>,
        /// Sum of the literal lengths: shorter texts cannot match.
        min_len: usize,
    },
}

impl Pattern {
    /// Compiles a pattern. Compilation cannot fail: every string is a valid pattern.
    pub fn new(pattern: &str) -> Pattern {
        let mut pieces = pattern.split('*');
        let prefix = pieces.next().unwrap_or_default();
        let rest: Vec<&str> = pieces.collect();
        let Some((suffix, middle)) = rest.split_last() else {
            return Pattern {
                kind: Kind::Exact(prefix.into()),
            };
        };
        // Empty pieces come from star runs (`**`); they add nothing.
        let middle: Box<[Finder<'static>]> = middle
            .iter()
            .filter(|piece| !piece.is_empty())
            .map(|piece| Finder::new(piece.as_bytes()).into_owned())
            .collect();
        let min_len =
            prefix.len() + suffix.len() + middle.iter().map(|m| m.needle().len()).sum::<usize>();
        Pattern {
            kind: Kind::Wild {
                prefix: prefix.into(),
                suffix: (*suffix).into(),
                middle,
                min_len,
            },
        }
    }

    /// Whether `text` matches the whole pattern (CAVRA's `re.fullmatch`).
    #[inline]
    pub fn matches(&self, text: &str) -> bool {
        match &self.kind {
            Kind::Exact(literal) => bytes_eq(literal.as_bytes(), text.as_bytes()),
            Kind::Wild {
                prefix,
                suffix,
                middle,
                min_len,
            } => {
                let bytes = text.as_bytes();
                if bytes.len() < *min_len
                    || !bytes_eq(
                        bytes.get(..prefix.len()).unwrap_or_default(),
                        prefix.as_bytes(),
                    )
                    || !bytes_eq(
                        bytes.get(bytes.len() - suffix.len()..).unwrap_or_default(),
                        suffix.as_bytes(),
                    )
                {
                    return false;
                }
                let Some(mut rest) = bytes.get(prefix.len()..bytes.len() - suffix.len()) else {
                    return false;
                };
                for piece in middle.iter() {
                    let Some(at) = piece.find(rest) else {
                        return false;
                    };
                    // A star never spans a newline.
                    if has_newline(rest.get(..at).unwrap_or_default()) {
                        return false;
                    }
                    rest = rest.get(at + piece.needle().len()..).unwrap_or_default();
                }
                !has_newline(rest)
            }
        }
    }

    /// The literal text before the first star (the whole pattern when it has none).
    pub fn literal_prefix(&self) -> &str {
        match &self.kind {
            Kind::Exact(literal) => literal,
            Kind::Wild { prefix, .. } => prefix,
        }
    }

    /// Whether the pattern has no star.
    pub fn is_exact(&self) -> bool {
        matches!(self.kind, Kind::Exact(_))
    }
}

/// Byte equality without a call into libc's `memcmp`: the texts compared here are short, and
/// the call overhead dominated the evaluator's profile.
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

#[inline]
fn has_newline(bytes: &[u8]) -> bool {
    memchr::memchr(b'\n', bytes).is_some()
}

/// Lists at least this long get an index; shorter ones are scanned.
const INDEX_THRESHOLD: usize = 16;

/// An ordered list of patterns where the first match wins.
#[derive(Debug, Clone, Default)]
pub struct PatternSet {
    patterns: Vec<Pattern>,
    index: Option<Box<Index>>,
}

/// Candidate lists for long pattern lists, so a decision does not scan ten thousand patterns.
///
/// Every pattern lands in exactly one bucket: exact patterns by their text, wildcard patterns by
/// their literal prefix, or (prefix empty) by their literal suffix, or (both empty) in the
/// unanchored list. A text then only needs the buckets keyed by its own prefixes and suffixes of
/// the lengths that occur, and each bucket is in list order, so it is scanned only up to the best
/// match found so far.
#[derive(Debug, Clone, Default)]
struct Index {
    exact: HashMap<Box<str>, usize>,
    by_prefix: HashMap<Box<str>, Vec<u32>>,
    prefix_lengths: Vec<usize>,
    by_suffix: HashMap<Box<str>, Vec<u32>>,
    suffix_lengths: Vec<usize>,
    unanchored: Vec<u32>,
}

impl PatternSet {
    /// Compiles the patterns, keeping their order.
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> PatternSet {
        let patterns: Vec<Pattern> = patterns.into_iter().map(Pattern::new).collect();
        let index = (patterns.len() >= INDEX_THRESHOLD && u32::try_from(patterns.len()).is_ok())
            .then(|| Box::new(Index::build(&patterns)));
        PatternSet { patterns, index }
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The position of the first pattern (in list order) that matches `text`.
    #[inline]
    pub fn first_match(&self, text: &str) -> Option<usize> {
        match &self.index {
            None => self.patterns.iter().position(|p| p.matches(text)),
            Some(index) => index.first_match(&self.patterns, text),
        }
    }
}

impl Index {
    fn build(patterns: &[Pattern]) -> Index {
        let mut index = Index::default();
        for (position, pattern) in patterns.iter().enumerate() {
            let Ok(slot) = u32::try_from(position) else {
                break;
            };
            match &pattern.kind {
                Kind::Exact(literal) => {
                    index.exact.entry(literal.clone()).or_insert(position);
                }
                Kind::Wild { prefix, .. } if !prefix.is_empty() => {
                    index
                        .by_prefix
                        .entry(prefix.clone())
                        .or_default()
                        .push(slot);
                }
                Kind::Wild { suffix, .. } if !suffix.is_empty() => {
                    index
                        .by_suffix
                        .entry(suffix.clone())
                        .or_default()
                        .push(slot);
                }
                Kind::Wild { .. } => index.unanchored.push(slot),
            }
        }
        index.prefix_lengths = lengths(index.by_prefix.keys());
        index.suffix_lengths = lengths(index.by_suffix.keys());
        index
    }

    fn first_match(&self, patterns: &[Pattern], text: &str) -> Option<usize> {
        let mut best = self.exact.get(text).copied();
        let scan = |bucket: &[u32], best: &mut Option<usize>| {
            for &slot in bucket {
                let position = slot as usize;
                if best.is_some_and(|b| b <= position) {
                    break;
                }
                if patterns.get(position).is_some_and(|p| p.matches(text)) {
                    *best = Some(position);
                    break;
                }
            }
        };
        for &length in &self.prefix_lengths {
            if length > text.len() {
                break;
            }
            if let Some(bucket) = text.get(..length).and_then(|head| self.by_prefix.get(head)) {
                scan(bucket, &mut best);
            }
        }
        for &length in &self.suffix_lengths {
            if length > text.len() {
                break;
            }
            let tail = text.get(text.len() - length..);
            if let Some(bucket) = tail.and_then(|tail| self.by_suffix.get(tail)) {
                scan(bucket, &mut best);
            }
        }
        scan(&self.unanchored, &mut best);
        best
    }
}

fn lengths<'a>(keys: impl Iterator<Item = &'a Box<str>>) -> Vec<usize> {
    let mut lengths: Vec<usize> = keys.map(|key| key.len()).collect();
    lengths.sort_unstable();
    lengths.dedup();
    lengths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, text: &str, want: bool) {
        assert_eq!(
            Pattern::new(pattern).matches(text),
            want,
            "pattern {pattern:?} on {text:?}"
        );
    }

    #[test]
    fn cavra_examples() {
        check("**/secrets.*", "secrets.txt", false);
        check("**/secrets.*", "a/b/secrets.txt", true);
        check(".env", "./.env", false);
        check(".env", ".env", true);
        check("terraform plan*", "terraform plan -out=x", true);
        check("terraform plan*", "terraform   plan", false);
        check("*", "a\nb", false);
        check("*", "", true);
        check("a?c", "abc", false);
        check("a?c", "a?c", true);
        check("policies/**", "policies/x/policy.yaml", true);
        check("**/policies/**", "policies/x", false);
        check("a*a", "a", false);
        check("a*a", "aa", true);
        check("a\n*", "a\nb", true);
        check("a*b*c", "abc", true);
        check("a*b*c", "acb", false);
    }

    #[test]
    fn indexed_set_keeps_list_order() {
        let mut patterns: Vec<String> = (0..100).map(|i| format!("dir{i}/**")).collect();
        patterns.push("*.pem".to_owned());
        patterns.insert(50, "dir7/x".to_owned());
        let set = PatternSet::new(patterns.iter().map(String::as_str));
        assert_eq!(set.first_match("dir7/x"), Some(7));
        assert_eq!(set.first_match("dir77/x"), Some(78));
        assert_eq!(set.first_match("k.pem"), Some(101));
        assert_eq!(set.first_match("nothing"), None);
    }
}
