//! The page shell: loads the pack's data once and lays out the panels; every action reloads it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::approval_rule::ApprovalRuleEditor;
use super::approvals::Approvals;
use super::evidence::Evidence;
use super::gate::GatePanel;
use super::overview::Overview;
use super::rollback::RollbackPicker;
use super::shadow::ShadowPanel;
use super::shadow_rule::ShadowRuleEditor;
use super::version_diff::VersionDiff;
use super::versions::Versions;
use crate::api::packs::{load_pack, PackDetail};
use crate::backend::Role;
use crate::components::widgets::{or_error_note, ActionStatus, ClientOnly, StatusLine};

/// `/packs/:pack`.
#[component]
pub fn PackPage() -> AnyView {
    let params = use_params_map();
    let pack_id = Memo::new(move |_| params.with(|p| p.get("pack").unwrap_or_default()));
    let reload = RwSignal::new(0u32);
    let status: ActionStatus = RwSignal::new(None);
    let detail = Resource::new(
        move || (pack_id.get(), reload.get()),
        |(id, _)| load_pack(id),
    );
    view! {
        <StatusLine status />
        <Transition fallback=|| view! { <p>"Loading the pack…"</p> }>
            {move || {
                detail.get().map(|result| {
                    or_error_note(result, |detail| view! { <PackBody detail reload status /> }.into_any())
                })
            }}
        </Transition>
    }
    .into_any()
}

#[component]
fn PackBody(detail: PackDetail, reload: RwSignal<u32>, status: ActionStatus) -> AnyView {
    let pack_id = detail.pack.id.clone();
    let author = detail.actor.can_author();
    let reviewer = matches!(detail.actor.role, Role::Approver | Role::Admin);
    let admin = detail.actor.role == Role::Admin;
    let (for_diff, for_rollback) = (detail.clone(), detail.clone());
    let shadow_active = detail
        .pack
        .shadow
        .as_ref()
        .is_some_and(|s| s.stopped_at.is_none());

    view! {
        <Overview detail=detail.clone() status />
        <Versions detail=detail.clone() reload status />
        <ClientOnly>
            <VersionDiff detail=for_diff.clone() />
            <Approvals detail=for_diff.clone() reload status />
        </ClientOnly>
        <ShadowPanel pack_id=pack_id.clone() active=shadow_active initial=detail.divergence.clone() reload status can_act=author can_review=reviewer />
        <GatePanel pack_id=pack_id.clone() gate=detail.gate.clone() reload status can_act=author is_admin=admin />
        <ClientOnly>
            <RollbackPicker detail=for_rollback.clone() reload status />
        </ClientOnly>
        {admin.then(|| view! { <ApprovalRuleEditor pack=detail.pack.clone() reload status /> })}
        {admin.then(|| view! { <ShadowRuleEditor pack=detail.pack.clone() reload status /> })}
        <Evidence detail />
    }
    .into_any()
}
