//! The retention job (issue 22, docs/RETENTION.md): finds the filings whose retention
//! period ran out (`domain::retention::decide`) and erases their personal data
//! (`persistence::retention::erase`), one filing per transaction, each with an audit
//! event `erasure` / `retention_erase` naming the filing and the period, never its
//! content. The same function runs in the service (every `retention.interval_secs`),
//! from `ecommissariat retention run`, and as its `--dry-run`.
//!
//! Safe with two instances (each filing is taken `FOR UPDATE SKIP LOCKED` on PostgreSQL,
//! serially on SQLite, and only if unchanged since it was read) and idempotent (an erased
//! filing is no candidate any more).

use domain::audit::{Actor, ActorRole, AuditEvent, AuditOperation};
use domain::filing::FilingStatus;
use domain::retention::{
    decide, decide_travel, KeepReason, RetentionClass, RetentionDecision, RetentionFacts,
    RetentionPolicy, TravelFacts, TravelRetention, TravelRetentionClass, CANDIDATE_STATUSES,
};
use persistence::retention as store;
use persistence::{DbConnection, PersistenceError};
use std::collections::BTreeMap;

/// The audit action of an erasure by the retention job.
pub const ERASE_ACTION: &str = "retention_erase";

/// How many candidates one query reads.
const PAGE: i64 = 200;

/// What a run did (or, dry, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// The filings erased (or due, in a dry run): id, class, period in days.
    pub erased: Vec<(String, RetentionClass, u32)>,
    /// Due but skipped: changed meanwhile, or taken by another instance.
    pub skipped: usize,
    /// Filings kept, by reason (`open`, `not_handed_over`, `restricted`,
    /// `restricted_review_due` (restricted, its review date passed), `period_running`).
    pub kept: BTreeMap<&'static str, usize>,
    /// Expired idempotency keys deleted (their stored replies hold personal data).
    pub keys_purged: usize,
    /// The travel authorisation requests erased (or due): id, class, period in days.
    pub travel_erased: Vec<(String, TravelRetentionClass, u32)>,
    /// Travel requests due but skipped (changed meanwhile, or taken by another instance).
    pub travel_skipped: usize,
    /// Travel requests kept: `period_running`, or `trip_end_unknown` (made before the
    /// trip's end was recorded, under review or issued: kept until reviewed by hand).
    pub travel_kept: BTreeMap<&'static str, usize>,
}

/// The job's actor in the audit trail.
pub fn system_actor() -> Actor {
    Actor {
        id: "retention".into(),
        role: ActorRole::System,
        unit: None,
        client_id: None,
    }
}

fn keep_code(reason: KeepReason) -> &'static str {
    match reason {
        KeepReason::Open => "open",
        KeepReason::NotHandedOver => "not_handed_over",
        KeepReason::Restricted => "restricted",
        KeepReason::PeriodRunning(_) => "period_running",
    }
}

/// The last change before which a filing in `status` may be due at `now`, when it can be
/// told from the last change alone (drafts, withdrawn, rejected, redirected); `None`
/// otherwise (registered and closed filings count from their hand-over or decision).
fn changed_before(
    policy: &RetentionPolicy,
    status: FilingStatus,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let class = match status {
        FilingStatus::Draft => RetentionClass::Draft,
        FilingStatus::Withdrawn => RetentionClass::Withdrawn,
        FilingStatus::Rejected => RetentionClass::Rejected,
        FilingStatus::Redirected => RetentionClass::Redirected,
        _ => return None,
    };
    let shortest = std::iter::once(&policy.defaults)
        .chain(policy.procedures.values())
        .map(|p| p.days(class))
        .min()
        .unwrap_or(0);
    Some(now - chrono::Duration::days(i64::from(shortest)))
}

/// Runs the retention rule over every candidate at `now`; erases the due filings unless
/// `dry_run`.
///
/// # Errors
/// The database (a filing already erased stays erased: each is its own transaction).
pub fn run(
    conn: &mut DbConnection,
    policy: &RetentionPolicy,
    now: chrono::DateTime<chrono::Utc>,
    dry_run: bool,
) -> Result<RunReport, PersistenceError> {
    let mut report = RunReport::default();
    if !dry_run {
        report.keys_purged = persistence::idempotency::purge_expired(conn, now)?;
    }
    for &status in CANDIDATE_STATUSES {
        let before = changed_before(policy, status, now);
        let mut after: Option<String> = None;
        loop {
            let page = store::candidates(conn, status, before, after.as_deref(), PAGE)?;
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            for candidate in &page {
                consider(conn, policy, candidate, now, dry_run, &mut report)?;
            }
        }
    }
    travel(conn, policy, now, dry_run, &mut report)?;
    Ok(report)
}

/// The travel authorisation requests (issue 19): each not erased yet is asked
/// `decide_travel`; the due ones are erased with an audit event naming the request and
/// the period, never its content (`persistence::travel::erase`).
fn travel(
    conn: &mut DbConnection,
    policy: &RetentionPolicy,
    now: chrono::DateTime<chrono::Utc>,
    dry_run: bool,
    report: &mut RunReport,
) -> Result<(), PersistenceError> {
    let mut after: Option<String> = None;
    loop {
        let page = persistence::travel::retention_candidates(conn, after.as_deref(), PAGE)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        for candidate in &page {
            let facts = TravelFacts {
                status: candidate.status,
                last_change: candidate.updated_at,
                trip_ends: candidate.trip_ends_at,
            };
            match decide_travel(&policy.travel, &facts, now) {
                TravelRetention::Keep(due) => {
                    let reason = if due.is_some() {
                        "period_running"
                    } else {
                        "trip_end_unknown"
                    };
                    *report.travel_kept.entry(reason).or_default() += 1;
                }
                TravelRetention::Erase { class, days, .. } => {
                    let erased = dry_run
                        || {
                            let mut event = AuditEvent::new(
                                system_actor(),
                                AuditOperation::Erasure,
                                "travel_request",
                                Some(candidate.id.as_str()),
                                now,
                            )
                            .with_action(ERASE_ACTION);
                            event.justification = Some(format!(
                            "retention period elapsed: {class} travel authorisation requests, {days} days"
                        ));
                            persistence::travel::erase(conn, candidate, now, &event)?
                        };
                    if erased {
                        report
                            .travel_erased
                            .push((candidate.id.clone(), class, days));
                    } else {
                        report.travel_skipped += 1;
                    }
                }
            }
        }
    }
    Ok(())
}

fn consider(
    conn: &mut DbConnection,
    policy: &RetentionPolicy,
    candidate: &store::Candidate,
    now: chrono::DateTime<chrono::Utc>,
    dry_run: bool,
    report: &mut RunReport,
) -> Result<(), PersistenceError> {
    let status = candidate.status()?;
    let decided = if status == FilingStatus::Closed {
        store::decided_status(conn, &candidate.id)?
    } else {
        None
    };
    let handed_over =
        if domain::retention::class_of(status, decided) == Some(RetentionClass::Registered) {
            store::handed_over(conn, &candidate.id)?
        } else {
            None
        };
    // A restriction (Art. 16(3)) and its review date.
    let review = persistence::restriction::review_of(conn, &candidate.id)?;
    let facts = RetentionFacts {
        procedure: &candidate.procedure,
        status,
        decided,
        last_change: candidate.last_change(),
        handed_over,
        restricted: review.is_some(),
    };
    match decide(policy, &facts, now) {
        RetentionDecision::Keep(KeepReason::Restricted) if review.is_some_and(|r| r <= now) => {
            *report.kept.entry("restricted_review_due").or_default() += 1;
        }
        RetentionDecision::Keep(reason) => {
            *report.kept.entry(keep_code(reason)).or_default() += 1;
        }
        RetentionDecision::Erase { class, days, .. } => {
            let erased = dry_run || {
                let mut event = AuditEvent::about_filing(
                    system_actor(),
                    AuditOperation::Erasure,
                    &candidate.id,
                    now,
                )
                .with_action(ERASE_ACTION);
                event.justification = Some(format!(
                    "retention period elapsed: {class} filings of {}, {days} days",
                    candidate.procedure
                ));
                store::erase(conn, &candidate.id, candidate.version, now, &event)?
            };
            if erased {
                report.erased.push((candidate.id.clone(), class, days));
            } else {
                report.skipped += 1;
            }
        }
    }
    Ok(())
}
