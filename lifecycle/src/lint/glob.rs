//! CAVRA's pattern language and a containment check between two patterns.
//!
//! CAVRA turns a pattern into the regex `^` + `re.escape(p)` with `**` and `*` replaced by `.*`,
//! then `fullmatch`es it. So a run of `*` means "any characters except a newline" (including
//! `/`), and every other character, `?`, `[` and `{` included, is literal.
//!
//! [`subsumes`] decides whether every text one pattern matches is also matched by another. It
//! matches the general pattern against the specific one, treating the specific pattern's `*` as
//! a symbol only the general pattern's `*` can absorb. This is exact: if the general pattern
//! matched every expansion, it matches the expansion where each `*` is a character it does not
//! contain, and its literals cannot match that character.

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// A run of `*`.
    Star,
    /// Any other character, matched literally.
    Literal(char),
}

/// Longest pattern we compare; longer ones are skipped (the check is quadratic).
const MAX_PATTERN_CHARS: usize = 512;

fn tokens(pattern: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    for (count, ch) in pattern.chars().enumerate() {
        if count >= MAX_PATTERN_CHARS {
            return None;
        }
        match ch {
            '*' if out.last() == Some(&Token::Star) => {}
            '*' => out.push(Token::Star),
            other => out.push(Token::Literal(other)),
        }
    }
    Some(out)
}

/// Whether CAVRA's matcher accepts `text` for `pattern`.
pub fn cavra_matches(pattern: &str, text: &str) -> bool {
    let Some(pattern) = tokens(pattern) else {
        return false;
    };
    let text: Vec<Token> = text.chars().map(Token::Literal).collect();
    matches_tokens(&pattern, &text)
}

/// Whether every text matched by `specific` is matched by `general`.
pub fn subsumes(general: &str, specific: &str) -> bool {
    match (tokens(general), tokens(specific)) {
        (Some(general), Some(specific)) => matches_tokens(&general, &specific),
        _ => false,
    }
}

/// Matches `pattern` against a sequence of symbols (literals, and stars standing for any
/// newline-free text). A pattern star absorbs any symbol but a literal newline; a pattern
/// literal matches only the same literal.
fn matches_tokens(pattern: &[Token], symbols: &[Token]) -> bool {
    // reachable[j]: the pattern prefix processed so far can match symbols[..j].
    let mut reachable = vec![false; symbols.len() + 1];
    if let Some(first) = reachable.first_mut() {
        *first = true;
    }
    for token in pattern {
        let mut next = vec![false; symbols.len() + 1];
        match token {
            Token::Star => {
                let mut open = false;
                for (j, slot) in next.iter_mut().enumerate() {
                    if reachable.get(j).copied().unwrap_or(false) {
                        open = true;
                    }
                    *slot = open;
                    // The star cannot extend over a literal newline.
                    if symbols.get(j) == Some(&Token::Literal('\n')) {
                        open = false;
                    }
                }
            }
            Token::Literal(ch) => {
                for (j, symbol) in symbols.iter().enumerate() {
                    if reachable.get(j).copied().unwrap_or(false) && *symbol == Token::Literal(*ch)
                    {
                        if let Some(slot) = next.get_mut(j + 1) {
                            *slot = true;
                        }
                    }
                }
            }
        }
        reachable = next;
        if !reachable.contains(&true) {
            return false;
        }
    }
    reachable.last().copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matcher_follows_cavra() {
        assert!(cavra_matches("**/secrets.*", "a/b/secrets.txt"));
        assert!(!cavra_matches("**/secrets.*", "secrets.txt"));
        assert!(cavra_matches("terraform plan*", "terraform plan -out=x"));
        assert!(!cavra_matches("terraform plan*", "terraform   plan"));
        assert!(cavra_matches("a?c", "a?c"));
        assert!(!cavra_matches("a?c", "abc"));
        assert!(!cavra_matches("*", "a\nb"));
        assert!(cavra_matches("a\nb", "a\nb"));
        assert!(cavra_matches("*", ""));
    }

    fn check(general: &str, specific: &str, expect: bool) {
        assert_eq!(
            subsumes(general, specific),
            expect,
            "`{general}` covers `{specific}`"
        );
    }

    #[test]
    fn subsumption() {
        check("terraform*", "terraform plan*", true);
        check("terraform plan*", "terraform*", false);
        check("*", "anything*at*all", true);
        check("**", "*", true);
        check("a*b", "a*b", true);
        check("a*b", "ab", true);
        check("a*b", "a*c*b", true);
        check("*a*", "b*", false);
        check("*.pem", "**/*.pem", true);
        check("**/*.pem", "*.pem", false);
        check("x*", "x\n*", false);
        check("x\n*", "x\n*", true);
        check("gh pr merge*", "gh pr merge*--admin*", true);
        check("git push origin main", "git push origin main", true);
        check("git push origin main", "git push origin master", false);
    }
}
