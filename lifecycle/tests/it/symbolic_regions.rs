//! The symbolic decision-impact diff on concrete packs: the regions, cells, witnesses and
//! descriptions an approver reads, finiteness and sizes, and the state budget.

use crate::common::load_pack;
use lifecycle::decide::{CompiledPolicy, Outcome};
use lifecycle::model::parse_value;
use lifecycle::symbolic::{
    decision_regions, witness_request, DecisionRegions, Location, RegionAnalysis, RegionOptions,
};
use lifecycle::value::Value;

#[path = "../../benches/support/packs.rs"]
mod packs;

fn regions(before: &str, after: &str) -> DecisionRegions {
    decision_regions(
        &parse_value(before).unwrap(),
        &parse_value(after).unwrap(),
        &RegionOptions::default(),
    )
}

/// Every witness, typical input and cell example of the report evaluates to its region's flip.
fn assert_witnesses_flip(before: &Value, after: &Value, report: &DecisionRegions) {
    let old = CompiledPolicy::from_value(before);
    let new = CompiledPolicy::from_value(after);
    for region in &report.regions {
        let examples = region.cells.iter().map(|c| &c.example);
        for witness in region
            .witnesses
            .iter()
            .chain(&region.typical)
            .chain(examples)
        {
            let request = witness_request(&region.action_type, witness);
            let got = (
                old.decide(&request.as_request()).decision,
                new.decide(&request.as_request()).decision,
            );
            assert_eq!(
                got,
                (region.before, region.after),
                "{} {witness:?}",
                region.kind
            );
        }
    }
}

fn baseline_text() -> String {
    packs::BASELINE.to_owned()
}

#[test]
fn issue_17_widening_terraform_plan_is_one_exact_region() {
    let after = baseline_text().replace("\"terraform plan*\"", "\"terraform *\"");
    let report = regions(&baseline_text(), &after);
    assert!(report.complete);
    assert_eq!(report.region_count, 1, "{report:#?}");
    let region = &report.regions[0];
    assert_eq!(
        (region.action_type.as_str(), region.kind.as_str()),
        ("execute_command", "require_approval_to_allow")
    );
    assert_eq!((region.finite, region.size), (Some(false), None));
    assert_eq!(region.cell_count, 1);
    let cell = &region.cells[0];
    assert_eq!(cell.after.pattern.as_deref(), Some("terraform *"));
    assert_eq!(cell.before.pattern, None);
    let excluded: Vec<&str> = cell.excludes.iter().map(|e| e.pattern.as_str()).collect();
    assert_eq!(
        excluded,
        [
            "terraform apply*",
            "terraform fmt*",
            "terraform validate*",
            "terraform plan*"
        ]
    );
    assert!(
        cell.description.starts_with(
            "matches `terraform *` (after: commands.allow), not `terraform apply*` (commands.block)"
        ),
        "{}",
        cell.description
    );
    assert_eq!(region.witnesses, ["terraform x"]);
    assert!(
        region.typical.contains(&"terraform init".to_owned()),
        "{:?}",
        region.typical
    );
    assert_witnesses_flip(
        &parse_value(&baseline_text()).unwrap(),
        &parse_value(&after).unwrap(),
        &report,
    );
}

#[test]
fn identical_packs_have_no_region() {
    let pack = load_pack("cavra-ai-agent-baseline");
    let report = decision_regions(&pack, &pack, &RegionOptions::default());
    assert!(report.complete && report.regions.is_empty());
    // Pruning: equal futures stop the exploration at the start state.
    assert!(
        report.actions.iter().all(|a| a.states <= 1),
        "{:?}",
        report.actions
    );
}

#[test]
fn finite_regions_are_counted() {
    let report = regions(
        "filesystem: {block_read: ['.env', 'a*']}\ncommands: {allow: ['ls', 'pwd', 'cat *']}\n",
        "filesystem: {block_read: ['a*']}\ncommands: {allow: ['cat *']}\n",
    );
    let kinds: Vec<(&str, &str, Option<bool>, Option<u64>)> = report
        .regions
        .iter()
        .map(|r| (r.action_type.as_str(), r.kind.as_str(), r.finite, r.size))
        .collect();
    assert_eq!(
        kinds,
        [
            ("read_file", "block_to_allow", Some(true), Some(1)),
            (
                "execute_command",
                "allow_to_require_approval",
                Some(true),
                Some(2)
            ),
        ]
    );
    assert_eq!(report.regions[0].witnesses, [".env"]);
    assert_eq!(report.regions[1].witnesses, ["ls", "pwd"]);
}

#[test]
fn sizes_count_only_inputs_of_the_domain() {
    // `x ` is never a stripped command, so only `x` moves.
    let report = regions(
        "commands: {allow: ['x', 'x ', ' y']}\n",
        "commands: {allow: []}\n",
    );
    assert_eq!(report.regions.len(), 1);
    assert_eq!(
        (report.regions[0].finite, report.regions[0].size),
        (Some(true), Some(1))
    );
    // Narrowing `a*b*` to `a*b` takes away every allowed `a…b…` not ending in `b`.
    let report = regions(
        "commands: {allow: ['a*b*']}\n",
        "commands: {allow: ['a*b']}\n",
    );
    assert_eq!(report.regions[0].kind, "allow_to_require_approval");
    assert_eq!(report.regions[0].finite, Some(false));
    assert_eq!(report.regions[0].witnesses, ["abx"]);
}

#[test]
fn inputs_outside_the_domain_are_not_regions() {
    // `x ` can never be a stripped command, and `./x` is not a path in normal form.
    let report = regions("commands: {allow: ['x ']}\n", "commands: {allow: []}\n");
    assert!(report.regions.is_empty(), "{report:#?}");
    let before = parse_value("filesystem: {block_read: ['./x']}\n").unwrap();
    let after = parse_value("filesystem: {block_read: []}\n").unwrap();
    let analysis = RegionAnalysis::new(&before, &after, &RegionOptions::default());
    assert!(analysis.report().regions.is_empty());
    let request = lifecycle::decide::Request::new("read_file", "./x");
    assert_eq!(analysis.locate(&request), Location::OutsideDomain);
    // The automata still decide it exactly: CAVRA's raw match blocked it before.
    assert_eq!(
        analysis.outcomes(&request),
        Some((Outcome::Block, Outcome::Allow))
    );
}

#[test]
fn mcp_regions_follow_the_server_lists_and_the_unknown_rule() {
    let report = regions(
        "mcp: {allowed_servers: [gh], blocked_servers: [evil]}\n",
        "mcp: {allowed_servers: [gh, fs], block_unknown_servers: false}\n",
    );
    let summary: Vec<(&str, Option<bool>, Option<u64>)> = report
        .regions
        .iter()
        .map(|r| (r.kind.as_str(), r.finite, r.size))
        .collect();
    assert_eq!(summary, [("block_to_allow", Some(false), None)]);
    let region = &report.regions[0];
    // Unknown servers (all but gh) and the formerly blocked `evil` now pass.
    assert_eq!(region.cell_count, 3, "{region:#?}");
    assert!(region
        .cells
        .iter()
        .any(|c| c.before.pattern.as_deref() == Some("evil")));
}

#[test]
fn ten_thousand_rule_pack_against_the_baseline() {
    let before = parse_value(packs::BASELINE).unwrap();
    let after = parse_value(&packs::generated_yaml()).unwrap();
    let report = decision_regions(&before, &after, &RegionOptions::default());
    assert!(report.complete);
    let cells: Vec<(&str, &str, usize)> = report
        .regions
        .iter()
        .map(|r| (r.action_type.as_str(), r.kind.as_str(), r.cell_count))
        .collect();
    assert_eq!(
        cells,
        [
            ("read_file", "allow_to_block", 4000),
            ("read_file", "block_to_allow", 8),
            ("write_file", "block_to_allow", 4),
            ("write_file", "require_approval_to_allow", 3),
            ("execute_command", "allow_to_require_approval", 5),
            ("execute_command", "block_to_require_approval", 7),
            ("execute_command", "require_approval_to_allow", 3000),
            ("execute_command", "require_approval_to_block", 3000),
        ]
    );
    assert_eq!(
        report.regions[0].cells.len(),
        RegionOptions::default().max_cells
    );
    assert_witnesses_flip(&before, &after, &report);
}

#[test]
fn an_exhausted_budget_is_reported_not_guessed() {
    let before = parse_value(packs::BASELINE).unwrap();
    let after = parse_value(&packs::generated_yaml()).unwrap();
    let options = RegionOptions {
        state_budget: 100,
        ..RegionOptions::default()
    };
    let report = decision_regions(&before, &after, &options);
    assert!(!report.complete);
    for region in &report.regions {
        let action = report
            .actions
            .iter()
            .find(|a| a.action_type == region.action_type)
            .unwrap();
        if !action.complete {
            assert_eq!((region.finite, region.size), (None, None));
        }
    }
    assert_witnesses_flip(&before, &after, &report);
}
