//! The probe sample of the old decision-impact diff, kept as a cross-check of the regions:
//! every probe request is decided by the evaluator under both packs and must land where the
//! regions say.

use serde::{Deserialize, Serialize};

use super::{Location, RegionAnalysis};
use crate::decide::{CompiledPolicy, RequestBuf};
use crate::diff::synthesize_requests;
use crate::value::Value;

/// How the probe sample compares with the regions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CrossCheck {
    /// Probe requests evaluated (the decision-impact sample's requests).
    pub probes: usize,
    /// How many of them change outcome.
    pub flips: usize,
    /// Flips found in the region of their kind.
    pub in_regions: usize,
    /// Flips of file targets not in normal form (outside the regions' domain); the automata
    /// decided each of them as the evaluator did.
    pub other_spellings: usize,
    /// Probes whose location or outcomes disagree with the evaluator (empty unless the
    /// analysis has a bug), at most 20.
    pub disagreements: Vec<RequestBuf>,
    /// Probes in a part of the space the state budget left unexplored.
    pub unknown: usize,
}

impl RegionAnalysis {
    /// Decides the decision-impact probe requests of `before` and `after` (the packs this
    /// analysis compared) and checks each against the regions.
    pub fn cross_check(&self, before: &Value, after: &Value) -> CrossCheck {
        let requests = synthesize_requests(&[before, after]);
        let old = CompiledPolicy::from_value(before);
        let new = CompiledPolicy::from_value(after);
        let mut check = CrossCheck {
            probes: requests.len(),
            flips: 0,
            in_regions: 0,
            other_spellings: 0,
            disagreements: Vec::new(),
            unknown: 0,
        };
        for buf in &requests {
            let request = buf.as_request();
            let want = (old.decide(&request).decision, new.decide(&request).decision);
            let flipped = want.0 != want.1;
            check.flips += usize::from(flipped);
            let agrees = match self.locate(&request) {
                Location::Region(index) => {
                    let region = self.report.regions.get(index);
                    let same = region.is_some_and(|r| (r.before, r.after) == want);
                    check.in_regions += usize::from(same);
                    same
                }
                Location::Unaffected => !flipped,
                Location::OutsideDomain => {
                    check.other_spellings += usize::from(flipped);
                    self.outcomes(&request) == Some(want)
                }
                Location::Unknown => {
                    check.unknown += 1;
                    true
                }
            };
            if !agrees && check.disagreements.len() < 20 {
                check.disagreements.push(buf.clone());
            }
        }
        check
    }
}
