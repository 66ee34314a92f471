//! The pack's approval rule (admins): which groups must approve a promotion and a rollback, with
//! what quorum, and how long a sign-off counts. The server validates and audits every change.

use leptos::prelude::*;

use crate::api::governance::set_approval_rule;
use crate::api::ApiError;
use crate::backend::{ApprovalRule, BackendError, GroupQuorum, PackSummary};
use crate::components::widgets::{act, ActionStatus};

/// Renders a rule list as editable text, one `Group: quorum` per line.
fn to_lines(groups: &[GroupQuorum]) -> String {
    groups
        .iter()
        .map(|g| format!("{}: {}", g.group, g.quorum))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads `Group: quorum` lines (quorum 1 when omitted); the server checks the result.
fn from_lines(text: &str) -> Result<Vec<GroupQuorum>, String> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (group, quorum) = match line.rsplit_once(':') {
            Some((group, n)) => {
                let quorum = n.trim().parse::<u32>().map_err(|_| {
                    format!(
                        "line {}: `{}` is not a number of approvers",
                        index + 1,
                        n.trim()
                    )
                })?;
                (group.trim(), quorum)
            }
            None => (line, 1),
        };
        out.push(GroupQuorum {
            group: group.to_owned(),
            quorum,
        });
    }
    Ok(out)
}

/// The editor.
#[component]
pub fn ApprovalRuleEditor(
    pack: PackSummary,
    reload: RwSignal<u32>,
    status: ActionStatus,
) -> AnyView {
    let rule = pack.approval_rule.clone();
    let promotion = RwSignal::new(to_lines(&rule.promotion));
    let rollback = RwSignal::new(to_lines(&rule.rollback));
    let ttl = RwSignal::new(rule.ttl_hours.to_string());
    let pack_id = pack.id.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let parsed =
            (|| -> Result<ApprovalRule, String> {
                Ok(ApprovalRule {
                    promotion: from_lines(&promotion.get_untracked())?,
                    rollback: from_lines(&rollback.get_untracked())?,
                    ttl_hours: ttl.get_untracked().trim().parse().map_err(|_| {
                        "the sign-off lifetime is a whole number of hours".to_owned()
                    })?,
                })
            })();
        match parsed {
            Err(message) => {
                status.set(Some(Err(ApiError::Backend(BackendError::Invalid(message)))))
            }
            Ok(rule) => act(
                status,
                reload,
                |p: &PackSummary| format!("Approval rule of {} saved.", p.id),
                set_approval_rule(pack_id.clone(), rule),
            ),
        }
    };
    view! {
        <section class="card" id="approval-rule">
            <h2>"Approval rule"</h2>
            <p class="muted">"What the gate requires. Requests can add reviewers but never remove these. Every rollback needs Platform Security. Changes are audited."</p>
            <form class="rule" on:submit=save>
                <label>
                    "Promotion (one `Group: approvers` per line)"
                    <textarea id="rule-promotion" rows="3" prop:value=move || promotion.get() on:input=move |ev| promotion.set(event_target_value(&ev))></textarea>
                </label>
                <label>
                    "Rollback"
                    <textarea id="rule-rollback" rows="2" prop:value=move || rollback.get() on:input=move |ev| rollback.set(event_target_value(&ev))></textarea>
                </label>
                <label>
                    "Sign-offs count for (hours) "
                    <input id="rule-ttl" type="number" min="1" prop:value=move || ttl.get() on:input=move |ev| ttl.set(event_target_value(&ev)) />
                </label>
                <button id="save-rule" type="submit">"Save rule"</button>
            </form>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_and_errors_are_positioned() {
        let groups = from_lines("Platform Security: 2\n\nRepository Owners").unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].quorum, 2);
        assert_eq!(groups[1].quorum, 1);
        assert_eq!(
            to_lines(&groups),
            "Platform Security: 2\nRepository Owners: 1"
        );
        assert!(from_lines("A: x").unwrap_err().starts_with("line 1"));
    }
}
