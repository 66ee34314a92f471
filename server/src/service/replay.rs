//! Server-side replay: a stored version against the pack's own recorded decisions, the same
//! [`Replayer`] `cavra policy replay` runs over an exported log. The newest `window` decisions
//! are read page by page (pages bounded by rows and bytes, so constant memory) and decided off
//! the async workers.

use lifecycle::replay::{ReplayReport, Replayer, DEFAULT_EXAMPLES_PER_FLIP};

use app::backend::{BackendError, ReplayRates, ReplaySummary};

use super::shadow::decision_log_page;
use super::{Result, Service};
use crate::store;

/// Decisions replayed when the caller does not say.
pub const DEFAULT_WINDOW: u64 = app::backend::DEFAULT_REPLAY_WINDOW;
/// The most a request may replay (about a second of CPU; the CLI has no limit).
pub const MAX_WINDOW: u64 = 1_000_000;

/// Replays the newest `window` decisions of a pack through `digest`, against `baseline` (the
/// enforced version when `None`; the logged decisions themselves when nothing is enforced).
pub async fn replay_version(
    service: &Service,
    pack_id: &str,
    digest: &str,
    baseline: Option<&str>,
    window: u64,
) -> Result<ReplaySummary> {
    if !(1..=MAX_WINDOW).contains(&window) {
        return Err(BackendError::Invalid(format!(
            "the replay window must be between 1 and {MAX_WINDOW} decisions"
        )));
    }
    let mut conn = service.conn().await?;
    let pack = store::packs::get(&mut conn, pack_id).await?;
    let candidate = service.compiled(&mut conn, pack_id, digest).await?;
    let baseline_digest = baseline.map(str::to_owned).or(pack.enforced_digest);
    let baseline_policy = match &baseline_digest {
        Some(d) => Some((service.compiled(&mut conn, pack_id, d).await?, d.clone())),
        None => None,
    };
    // The id just before the window's oldest decision (ids are shared by all packs).
    let limit = i64::try_from(window).unwrap_or(i64::MAX);
    let mut after = store::decisions::window_start(&mut conn, pack_id, limit).await?;
    drop(conn);

    let mut report = ReplayReport::default();
    let mut first_line = 1u64;
    loop {
        // Pages are bounded by rows and bytes, so memory is too whatever the inputs' sizes.
        let (text, last) = decision_log_page(service, pack_id, after).await?;
        let Some(last) = last else { break };
        after = last;
        if text.is_empty() {
            continue;
        }
        let lines = text.lines().count() as u64;
        let (candidate, baseline_policy) = (candidate.clone(), baseline_policy.clone());
        let partial = tokio::task::spawn_blocking(move || {
            let baseline = baseline_policy.as_ref().map(|(p, d)| (&**p, d.as_str()));
            Replayer::new(&candidate, baseline, DEFAULT_EXAMPLES_PER_FLIP)
                .replay_chunk(text.as_bytes(), first_line)
        })
        .await
        .map_err(|_| BackendError::Unavailable)?;
        report.merge(partial, DEFAULT_EXAMPLES_PER_FLIP);
        first_line += lines;
    }
    report.finish();
    Ok(ReplaySummary {
        pack_id: pack_id.to_owned(),
        candidate_digest: digest.to_owned(),
        baseline_digest,
        window,
        rates: ReplayRates {
            baseline: report.baseline.rates(),
            candidate: report.candidate.rates(),
            change: report.rate_change(),
        },
        report,
    })
}
