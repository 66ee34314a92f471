//! The pack's shadow rule (admins): how many authenticated observations, from how many distinct
//! runtimes, over how long, a shadow run needs before promotion. The server validates and audits.

use leptos::prelude::*;

use crate::api::governance::set_shadow_rule;
use crate::api::ApiError;
use crate::backend::{BackendError, PackSummary, ShadowRule};
use crate::components::widgets::{act, ActionStatus};

/// Parses the three fields; the server checks the ranges.
fn parse(observations: &str, runtimes: &str, minutes: &str) -> Result<ShadowRule, String> {
    let number = |text: &str, what: &str| {
        text.trim()
            .parse::<u64>()
            .map_err(|_| format!("{what} is a whole number"))
    };
    let small = |n: u64, what: &str| u32::try_from(n).map_err(|_| format!("{what} is too large"));
    Ok(ShadowRule {
        min_observations: small(number(observations, "observations")?, "observations")?,
        min_runtimes: small(number(runtimes, "runtimes")?, "runtimes")?,
        min_observed_secs: number(minutes, "minutes")?
            .checked_mul(60)
            .ok_or("minutes is too large")?,
    })
}

/// The editor.
#[component]
pub fn ShadowRuleEditor(pack: PackSummary, reload: RwSignal<u32>, status: ActionStatus) -> AnyView {
    let rule = pack.shadow_rule.clone();
    let observations = RwSignal::new(rule.min_observations.to_string());
    let runtimes = RwSignal::new(rule.min_runtimes.to_string());
    let minutes = RwSignal::new((rule.min_observed_secs / 60).to_string());
    let pack_id = pack.id.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match parse(
            &observations.get_untracked(),
            &runtimes.get_untracked(),
            &minutes.get_untracked(),
        ) {
            Err(message) => {
                status.set(Some(Err(ApiError::Backend(BackendError::Invalid(message)))))
            }
            Ok(rule) => act(
                status,
                reload,
                |p: &PackSummary| format!("Shadow rule of {} saved.", p.id),
                set_shadow_rule(pack_id.clone(), rule),
            ),
        }
    };
    view! {
        <section class="card" id="shadow-rule">
            <h2>"Shadow rule"</h2>
            <p class="muted">"What the gate requires of a shadow run. Only decisions made with a runtime token count. Changes are audited."</p>
            <form class="rule" on:submit=save>
                <label>"Observations "
                    <input id="shadow-rule-observations" type="number" min="1" prop:value=move || observations.get() on:input=move |ev| observations.set(event_target_value(&ev)) />
                </label>
                <label>"from distinct runtimes "
                    <input id="shadow-rule-runtimes" type="number" min="1" prop:value=move || runtimes.get() on:input=move |ev| runtimes.set(event_target_value(&ev)) />
                </label>
                <label>"over minutes "
                    <input id="shadow-rule-minutes" type="number" min="0" prop:value=move || minutes.get() on:input=move |ev| minutes.set(event_target_value(&ev)) />
                </label>
                <button id="save-shadow-rule" type="submit">"Save shadow rule"</button>
            </form>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_become_seconds_and_junk_is_refused() {
        let rule = parse("100", "2", "1440").unwrap();
        assert_eq!(rule.min_observed_secs, 86_400);
        assert_eq!(rule.min_runtimes, 2);
        assert!(parse("x", "2", "1").is_err());
        assert!(parse("1", "-2", "1").is_err());
        assert!(parse("1", "1", "99999999999999999999").is_err());
    }
}
