//! Property tests for the symbolic diff: for random pairs of packs and random requests, the
//! region a request falls in is the evaluator's (before, after) outcome pair, the automata's
//! outcomes equal the evaluator's for every request (normal-form paths or not), and every
//! witness the report gives evaluates to its region's flip.

use lifecycle::decide::path::normalize_path;
use lifecycle::decide::{CompiledPolicy, Outcome, Request, RequestBuf};
use lifecycle::symbolic::{witness_request, Location, RegionAnalysis, RegionOptions};
use lifecycle::value::Value;
use proptest::prelude::*;

pub(crate) fn text(alphabet: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(alphabet), 0..max).prop_map(|parts| parts.concat())
}

/// Pattern pieces chosen so that patterns overlap often.
pub(crate) const PATTERN_ALPHABET: &[&str] =
    &["a", "b", "/", "*", "**", ".", " ", "\n", "ab", "a/", "é"];
/// Text pieces: the same characters plus path oddities and whitespace Python strips.
pub(crate) const TEXT_ALPHABET: &[&str] = &[
    "a", "b", "/", ".", " ", "\n", "ab", "./", "..", "é", "\t", "x",
];
pub(crate) const SERVERS: &[&str] = &["gh", "fs", "db", "a*", ""];

fn patterns() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(text(PATTERN_ALPHABET, 5), 0..4)
}

#[derive(Debug, Clone)]
pub(crate) struct Pack {
    pub(crate) read: Vec<String>,
    pub(crate) write: Vec<String>,
    pub(crate) approve: Vec<String>,
    pub(crate) block: Vec<String>,
    pub(crate) allow: Vec<String>,
    pub(crate) allowed_servers: Vec<String>,
    pub(crate) blocked_servers: Vec<String>,
    pub(crate) block_unknown: Option<bool>,
}

fn servers() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(prop::sample::select(SERVERS).prop_map(str::to_owned), 0..3)
}

pub(crate) fn pack() -> impl Strategy<Value = Pack> {
    (
        (patterns(), patterns(), patterns(), patterns(), patterns()),
        (servers(), servers(), prop::option::of(any::<bool>())),
    )
        .prop_map(
            |(
                (read, write, approve, block, allow),
                (allowed_servers, blocked_servers, unknown),
            )| {
                Pack {
                    read,
                    write,
                    approve,
                    block,
                    allow,
                    allowed_servers,
                    blocked_servers,
                    block_unknown: unknown,
                }
            },
        )
}

/// A second pack: mostly the first with a few lists replaced (the common case of a review),
/// sometimes an unrelated one.
fn pair() -> impl Strategy<Value = (Pack, Pack)> {
    (pack(), pack(), prop::collection::vec(any::<bool>(), 8)).prop_map(|(a, b, pick)| {
        let choose = |i: usize, x: &Vec<String>, y: &Vec<String>| {
            if pick.get(i).copied().unwrap_or(false) {
                y.clone()
            } else {
                x.clone()
            }
        };
        let after = Pack {
            read: choose(0, &a.read, &b.read),
            write: choose(1, &a.write, &b.write),
            approve: choose(2, &a.approve, &b.approve),
            block: choose(3, &a.block, &b.block),
            allow: choose(4, &a.allow, &b.allow),
            allowed_servers: choose(5, &a.allowed_servers, &b.allowed_servers),
            blocked_servers: choose(6, &a.blocked_servers, &b.blocked_servers),
            block_unknown: if pick.get(7).copied().unwrap_or(false) {
                b.block_unknown
            } else {
                a.block_unknown
            },
        };
        (a, after)
    })
}

pub(crate) fn value(pack: &Pack) -> Value {
    let list =
        |items: &[String]| Value::List(items.iter().map(|s| Value::Str(s.clone())).collect());
    let map = |entries: Vec<(&str, Value)>| {
        Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Value::Str(k.into()), v))
                .collect(),
        )
    };
    let mut mcp = vec![
        ("allowed_servers", list(&pack.allowed_servers)),
        ("blocked_servers", list(&pack.blocked_servers)),
    ];
    if let Some(flag) = pack.block_unknown {
        mcp.push(("block_unknown_servers", Value::Bool(flag)));
    }
    map(vec![
        (
            "filesystem",
            map(vec![
                ("block_read", list(&pack.read)),
                ("block_write", list(&pack.write)),
                ("require_approval_write", list(&pack.approve)),
            ]),
        ),
        (
            "commands",
            map(vec![
                ("block", list(&pack.block)),
                ("allow", list(&pack.allow)),
            ]),
        ),
        ("mcp", map(mcp)),
    ])
}

/// Requests: random texts, and texts built from the packs' own patterns (which land in
/// regions far more often).
fn requests(before: &Pack, after: &Pack, random: &[String], fills: &[String]) -> Vec<RequestBuf> {
    let mut out = Vec::new();
    let mut texts: Vec<String> = random.to_vec();
    for pack in [before, after] {
        for pattern in pack
            .read
            .iter()
            .chain(&pack.write)
            .chain(&pack.approve)
            .chain(&pack.block)
            .chain(&pack.allow)
        {
            for fill in fills {
                texts.push(pattern.replace("**", "*").replace('*', fill));
            }
        }
    }
    for text in &texts {
        for action in [
            "read_file",
            "write_file",
            "execute_command",
            "git_operation",
            "other",
        ] {
            out.push(Request::new(action, text).to_owned_request());
        }
        out.push(
            Request::new("execute_command", text)
                .with_operation(&format!(" {text}\t"))
                .to_owned_request(),
        );
    }
    for server in SERVERS
        .iter()
        .map(|s| (*s).to_owned())
        .chain(random.iter().cloned())
    {
        out.push(witness_request("mcp_tool_call", &server));
    }
    out
}

fn outcomes(
    old: &CompiledPolicy,
    new: &CompiledPolicy,
    request: &Request<'_>,
) -> (Outcome, Outcome) {
    (old.decide(request).decision, new.decide(request).decision)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn regions_classify_requests_like_the_evaluator(
        (before, after) in pair(),
        random in prop::collection::vec(text(TEXT_ALPHABET, 7), 0..8),
        fills in prop::collection::vec(text(TEXT_ALPHABET, 3), 1..3),
    ) {
        let (old_value, new_value) = (value(&before), value(&after));
        let old = CompiledPolicy::from_value(&old_value);
        let new = CompiledPolicy::from_value(&new_value);
        let analysis = RegionAnalysis::new(&old_value, &new_value, &RegionOptions::default());
        let report = analysis.report();
        prop_assert!(report.complete);
        for request in requests(&before, &after, &random, &fills) {
            let request = request.as_request();
            let want = outcomes(&old, &new, &request);
            match analysis.locate(&request) {
                Location::Region(index) => {
                    let region = &report.regions[index];
                    prop_assert_eq!((region.before, region.after), want, "{:?}", request);
                    prop_assert_eq!(&region.action_type, request.action_type);
                    // The exploration found the request's cell too.
                    let (before, after) = analysis.deciders(&request).unwrap();
                    if region.cells.len() == region.cell_count {
                        prop_assert!(
                            region.cells.iter().any(|c| c.before == before && c.after == after),
                            "{:?} not among the cells of {}", request, region.kind
                        );
                    }
                }
                Location::Unaffected => prop_assert_eq!(want.0, want.1, "{:?}", request),
                Location::OutsideDomain => {
                    prop_assert!(matches!(request.action_type, "read_file" | "write_file"));
                    prop_assert_ne!(normalize_path(request.target), request.target);
                }
                Location::Unknown => prop_assert!(false, "budget ran out on {:?}", request),
            }
            if let Some(symbolic) = analysis.outcomes(&request) {
                prop_assert_eq!(symbolic, want, "{:?}", request);
            }
        }
    }

    #[test]
    fn witnesses_evaluate_to_their_flip((before, after) in pair()) {
        let (old_value, new_value) = (value(&before), value(&after));
        let old = CompiledPolicy::from_value(&old_value);
        let new = CompiledPolicy::from_value(&new_value);
        let analysis = RegionAnalysis::new(&old_value, &new_value, &RegionOptions::default());
        for (index, region) in analysis.report().regions.iter().enumerate() {
            prop_assert!(region.cell_count > 0 && !region.witnesses.is_empty());
            let examples = region.cells.iter().map(|c| &c.example);
            for witness in region.witnesses.iter().chain(&region.typical).chain(examples) {
                let request = witness_request(&region.action_type, witness);
                let request = request.as_request();
                prop_assert_eq!(
                    outcomes(&old, &new, &request),
                    (region.before, region.after),
                    "{} witness {:?}", region.kind, witness
                );
                prop_assert_eq!(analysis.locate(&request), Location::Region(index));
            }
            if region.finite == Some(true) {
                prop_assert!(region.size.is_some_and(|n| n >= region.witnesses.len() as u64));
            }
        }
    }
}
