//! The input domain of each action type, as a tiny automaton the product runs alongside the
//! pattern chains: file targets in normal form, commands after `strip()`, any MCP server name.

use crate::decide::python::is_python_space;

/// Every character Python's `str.isspace()` accepts (a unit test checks the list against
/// [`is_python_space`] over all of Unicode). Witnesses draw "some other whitespace" from it.
pub(super) const PYTHON_SPACES: [char; 29] = [
    '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{1c}', '\u{1d}', '\u{1e}', '\u{1f}', ' ', '\u{85}',
    '\u{a0}', '\u{1680}', '\u{2000}', '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}',
    '\u{2006}', '\u{2007}', '\u{2008}', '\u{2009}', '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}',
    '\u{205f}', '\u{3000}',
];

/// A state of a domain automaton; [`DEAD`] rejects every continuation.
pub(super) type DomState = u8;

/// The rejecting sink of every domain.
pub(super) const DEAD: DomState = u8::MAX;

/// What a character is, as far as a domain cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Input {
    /// A specific character.
    Char(char),
    /// A character no automaton of the product lists at this state (never `\n`); `space` says
    /// whether it is Python whitespace.
    Other {
        /// Python whitespace or not.
        space: bool,
    },
}

/// Which texts of a field the evaluator can see, so regions never contain impossible inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Domain {
    /// Paths in normal form (see [`crate::decide::path::normalize_path`]): no empty segment
    /// (`//`), no `.` or `..` segment; a leading and a trailing `/` are allowed.
    NormalPath,
    /// Commands after Python's `strip()`: no leading or trailing whitespace.
    Stripped,
    /// Every string (MCP server names are compared as they are).
    Any,
}

// Normal-path states.
const PATH_START: DomState = 0;
const PATH_SLASH: DomState = 1;
const PATH_DOT: DomState = 2;
const PATH_DOT_DOT: DomState = 3;
const PATH_SEGMENT: DomState = 4;
// Stripped states.
const STRIP_START: DomState = 0;
const STRIP_TEXT: DomState = 1;
const STRIP_SPACE: DomState = 2;

impl Domain {
    /// How many live states the domain has (numbered from 0; [`DEAD`] apart).
    pub(super) fn states(self) -> usize {
        match self {
            Domain::NormalPath => 5,
            Domain::Stripped => 3,
            Domain::Any => 1,
        }
    }

    /// The start state.
    pub(super) fn start(self) -> DomState {
        0
    }

    /// Characters whose transition differs from an unlisted character's.
    pub(super) fn listed(self) -> &'static [char] {
        match self {
            Domain::NormalPath => &['.', '/'],
            Domain::Stripped | Domain::Any => &[],
        }
    }

    /// Whether unlisted characters must be split into whitespace and the rest.
    pub(super) fn splits_space(self) -> bool {
        matches!(self, Domain::Stripped)
    }

    /// Whether a text ending in `state` is in the domain.
    pub(super) fn accepts(self, state: DomState) -> bool {
        match self {
            Domain::NormalPath => matches!(state, PATH_START | PATH_SLASH | PATH_SEGMENT),
            Domain::Stripped => matches!(state, STRIP_START | STRIP_TEXT),
            Domain::Any => state == 0,
        }
    }

    /// One step.
    pub(super) fn step(self, state: DomState, input: Input) -> DomState {
        if state == DEAD {
            return DEAD;
        }
        match self {
            Domain::NormalPath => {
                let c = match input {
                    Input::Char(c) => Some(c),
                    Input::Other { .. } => None,
                };
                match (state, c) {
                    (PATH_START | PATH_SEGMENT, Some('/')) => PATH_SLASH,
                    (PATH_SLASH | PATH_DOT | PATH_DOT_DOT, Some('/')) => DEAD,
                    (PATH_START | PATH_SLASH, Some('.')) => PATH_DOT,
                    (PATH_DOT, Some('.')) => PATH_DOT_DOT,
                    _ => PATH_SEGMENT,
                }
            }
            Domain::Stripped => {
                let space = match input {
                    Input::Char(c) => is_python_space(c),
                    Input::Other { space } => space,
                };
                match (state, space) {
                    (STRIP_START, true) => DEAD,
                    (_, true) => STRIP_SPACE,
                    (_, false) => STRIP_TEXT,
                }
            }
            Domain::Any => 0,
        }
    }

    /// Whether a whole text is in the domain.
    pub(super) fn contains(self, text: &str) -> bool {
        let mut state = self.start();
        for c in text.chars() {
            state = self.step(state, Input::Char(c));
        }
        self.accepts(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::path::normalize_path;
    use crate::decide::python::python_strip;

    #[test]
    fn space_list_is_pythons() {
        let all: Vec<char> = (0..=0x10_ffff_u32)
            .filter_map(char::from_u32)
            .filter(|&c| is_python_space(c))
            .collect();
        assert_eq!(all, PYTHON_SPACES);
    }

    #[test]
    fn normal_path_domain_is_normalize_paths_fixpoints() {
        for path in [
            "", "/", "a", "a/", "/a/b", ".env", "a/.env", "...", "a/...", "./a", "a/./b", "a/..",
            "..", ".", "a//b", "//", "/.", "a/b/", "a/.b/c", "..a", "a/..b",
        ] {
            let normal = normalize_path(path) == path;
            assert_eq!(Domain::NormalPath.contains(path), normal, "{path:?}");
        }
    }

    #[test]
    fn stripped_domain_is_strips_fixpoints() {
        for text in [
            "", " ", "a", " a", "a ", "a b", "\u{1f}a", "a\n", "\u{3000}",
        ] {
            assert_eq!(
                Domain::Stripped.contains(text),
                python_strip(text) == text,
                "{text:?}"
            );
        }
    }
}
