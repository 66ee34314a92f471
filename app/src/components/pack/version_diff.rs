//! Compare any two versions or drafts of the pack: the diff viewer, and below it the replay of
//! the recorded decisions through the right-hand version.

use leptos::prelude::*;

use super::replay::ReplayPanel;
use crate::api::packs::{version_detail, PackDetail};
use crate::components::diff_view::DiffView;
use crate::components::widgets::short_digest;

/// A text to compare: a version (fetched) or a draft (inline).
async fn source_of(detail: &PackDetail, key: &str) -> String {
    if let Some(id) = key.strip_prefix("d:") {
        return detail
            .drafts
            .iter()
            .find(|d| d.id.to_string() == id)
            .map(|d| d.source.clone())
            .unwrap_or_default();
    }
    let digest = key.strip_prefix("v:").unwrap_or(key);
    if digest.is_empty() {
        return String::new();
    }
    version_detail(detail.pack.id.clone(), digest.to_owned())
        .await
        .map(|v| v.source)
        .unwrap_or_default()
}

/// Two pickers (versions and drafts) and the diff between the chosen texts.
#[component]
pub fn VersionDiff(detail: PackDetail) -> AnyView {
    let enforced = detail.pack.enforced_digest.clone().unwrap_or_default();
    let left = RwSignal::new(format!("v:{enforced}"));
    let right = RwSignal::new(
        detail
            .candidate
            .clone()
            .map(|c| format!("v:{c}"))
            .or_else(|| detail.drafts.first().map(|d| format!("d:{}", d.id)))
            .unwrap_or_else(|| format!("v:{enforced}")),
    );
    let mut options: Vec<(String, String)> = detail
        .versions
        .iter()
        .map(|v| {
            let label = format!(
                "{}{} by {}",
                if v.enforced { "enforced " } else { "version " },
                short_digest(&v.digest),
                v.author
            );
            (format!("v:{}", v.digest), label)
        })
        .collect();
    options.extend(detail.drafts.iter().map(|d| {
        (
            format!("d:{}", d.id),
            format!("draft {} (revision {})", d.id, d.revision),
        )
    }));
    let stored = StoredValue::new(detail);
    // Client-only: nested server-rendered resources raced the streamed page during hydration.
    let texts = LocalResource::new(move || {
        let (l, r) = (left.get(), right.get());
        let detail = stored.get_value();
        async move { (source_of(&detail, &l).await, source_of(&detail, &r).await) }
    });
    let label_of = {
        let options = options.clone();
        move |key: String| {
            options
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, l)| l.clone())
                .unwrap_or(key)
        }
    };
    let select = move |id: &'static str, label: &'static str, value: RwSignal<String>| {
        let options = options.clone();
        view! {
            <label>
                {label} " "
                <select id=id prop:value=move || value.get() on:change=move |ev| value.set(event_target_value(&ev))>
                    {options.iter().map(|(k, l)| view! { <option value=k.clone()>{l.clone()}</option> }).collect_view()}
                </select>
            </label>
        }
    };
    let (label_left, label_right) = (label_of.clone(), label_of);
    let pack_id = stored.with_value(|d| d.pack.id.clone());
    view! {
        <section class="card" id="version-diff">
            <h2>"Compare versions"</h2>
            <div class="picker">
                {select("diff-left", "Left", left)}
                {select("diff-right", "Right", right)}
            </div>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    texts.get().map(|(l, r)| {
                        view! {
                            <DiffView
                                original=Signal::derive(move || l.clone())
                                modified=Signal::derive(move || r.clone())
                                original_label=label_left(left.get_untracked())
                                modified_label=label_right(right.get_untracked())
                            />
                        }
                    })
                }}
            </Transition>
            <ReplayPanel pack_id left right />
        </section>
    }
    .into_any()
}
