//! The sealer: one background thread per instance, of which exactly one seals at a time.
//!
//! On PostgreSQL the sealer leads while its own connection holds a session advisory lock
//! (`persistence::auditlog::try_lead`); the server frees it when that connection ends, so
//! when the leading process dies (even `kill -9`) another instance takes over at its next
//! tick. On SQLite (one process) the thread always leads. The leader seals the committed
//! events every `audit.seal_interval_ms`, in batches of at most `audit.batch_size`, each
//! batch with its signed checkpoint, which then goes to the witness. Every
//! `audit.check_interval_secs` the thread checks the log's tail against the latest
//! checkpoints (`verify::tail`): a problem is logged at ERROR and sets
//! `audit_log_integrity_ok` to 0.

use super::keys::{AuditSigner, Keyring};
use super::verify::{self, Finding};
use super::witness::{self, Witness};
use super::AuditMetrics;
use chrono::Utc;
use persistence::auditlog::{self, SealError};
use persistence::{DatabaseUrl, DbConnection, PersistenceError, PoolOptions};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the sealer needs.
pub struct SealerParts {
    pub url: DatabaseUrl,
    pub options: PoolOptions,
    pub interval: Duration,
    pub batch_size: i64,
    pub check_every: Duration,
    pub signer: Arc<AuditSigner>,
    pub keyring: Keyring,
    pub witness: Witness,
    pub metrics: AuditMetrics,
}

/// The running sealer thread; stopping it (or dropping it) seals what is pending once
/// more if it leads, then ends it.
pub struct Sealer {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Sealer {
    /// Starts the thread.
    pub fn spawn(parts: SealerParts) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("audit-sealer".into())
            .spawn(move || run(parts, &flag))?;
        Ok(Sealer {
            stop,
            thread: Some(thread),
        })
    }

    /// Stops the thread and waits for it.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Sealer {
    fn drop(&mut self) {
        self.stop();
    }
}

struct State {
    conn: Option<DbConnection>,
    leader: bool,
    last_check: Instant,
    /// Set after an inconsistency was reported, so that it is logged once per check.
    inconsistent: bool,
    /// The tree's right edge after this instance's last batch
    /// (`persistence::auditlog::seal_batch_held`); dropped with the connection.
    edge: Option<domain::merkle::Frontier>,
}

fn run(parts: SealerParts, stop: &AtomicBool) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let http = parts.witness.url.as_ref().and_then(|_| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(5))
            .build()
            .ok()
    });
    let runtime = match runtime {
        Ok(runtime) => runtime,
        Err(error) => {
            return tracing::error!(%error, "the audit sealer cannot start: no runtime");
        }
    };
    let mut state = State {
        conn: None,
        leader: false,
        last_check: Instant::now(),
        inconsistent: false,
        edge: None,
    };
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        tick(&parts, &mut state, &runtime, http.as_ref());
        if stopping {
            break;
        }
        let until = Instant::now() + parts.interval;
        while Instant::now() < until && !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20).min(parts.interval));
        }
    }
    parts.metrics.sealer_leader.set(0);
}

fn tick(
    parts: &SealerParts,
    state: &mut State,
    runtime: &tokio::runtime::Runtime,
    http: Option<&reqwest::Client>,
) {
    if state.conn.is_none() {
        match persistence::db::connect_once(&parts.url, &parts.options) {
            Ok(conn) => state.conn = Some(conn),
            Err(error) => {
                tracing::warn!(%error, "audit sealer: cannot connect; retrying");
                return;
            }
        }
    }
    let Some(conn) = state.conn.as_mut() else {
        return;
    };
    let outcome = lead_and_seal(parts, conn, state.leader, &mut state.edge, runtime, http);
    match outcome {
        Ok(Step::Led) => {
            if !state.leader {
                tracing::info!("this instance now seals the audit log");
            }
            state.leader = true;
            state.inconsistent = false;
        }
        Ok(Step::Follows) => state.leader = false,
        Err(SealError::Inconsistent(reason)) => {
            state.leader = true;
            if !state.inconsistent {
                tracing::error!(%reason, "AUDIT LOG ALTERED: sealing stopped until it is repaired; run `ecommissariat audit verify`");
                parts.metrics.integrity_ok.set(0);
                parts.metrics.check_failures_total.inc();
            }
            state.inconsistent = true;
        }
        Err(error) => {
            tracing::warn!(%error, "audit sealer: a batch failed; reconnecting");
            state.conn = None;
            state.leader = false;
            state.edge = None;
        }
    }
    parts.metrics.sealer_leader.set(i64::from(state.leader));
    if let Some(conn) = state.conn.as_mut() {
        if let Err(error) = observe(parts, conn, state.edge.as_ref()) {
            tracing::warn!(%error, "audit sealer: cannot read the log's state");
        }
        if state.last_check.elapsed() >= parts.check_every {
            state.last_check = Instant::now();
            check(conn, &parts.keyring, &parts.witness, &parts.metrics);
            // The next batch reads the edge from the stored subtrees again and checks it
            // against the checkpoint: an altered stored tree stops the sealing, as it
            // did before the edge was held.
            state.edge = None;
        }
    }
}

enum Step {
    Led,
    Follows,
}

fn lead_and_seal(
    parts: &SealerParts,
    conn: &mut DbConnection,
    leader: bool,
    edge: &mut Option<domain::merkle::Frontier>,
    runtime: &tokio::runtime::Runtime,
    http: Option<&reqwest::Client>,
) -> Result<Step, SealError> {
    if !leader {
        *edge = None;
        if !auditlog::try_lead(conn)? {
            return Ok(Step::Follows);
        }
        // A checkpoint committed just before a crash may have missed the witness.
        if let Some(latest) = auditlog::latest_checkpoint(conn)? {
            publish(parts, &latest, runtime, http);
        }
    }
    let sign = |head: &auditlog::TreeHead| Ok(parts.signer.sign(head));
    loop {
        let Some((checkpoint, sealed)) =
            auditlog::seal_batch_held(conn, parts.batch_size, Utc::now(), &sign, edge)?
        else {
            return Ok(Step::Led);
        };
        parts.metrics.sealed_total.inc_by(sealed);
        publish(parts, &checkpoint, runtime, http);
        if (sealed as i64) < parts.batch_size {
            return Ok(Step::Led);
        }
    }
}

fn publish(
    parts: &SealerParts,
    checkpoint: &domain::audit::Checkpoint,
    runtime: &tokio::runtime::Runtime,
    http: Option<&reqwest::Client>,
) {
    if let Err(error) = runtime.block_on(parts.witness.publish(checkpoint, http)) {
        parts.metrics.witness_failures_total.inc();
        tracing::error!(%error, tree_size = checkpoint.tree_size, "the audit witness did not take a checkpoint");
    }
}

/// Updates the gauges of the log's state (its size from `edge`, the sealer's own view
/// of the tree, when it holds one).
fn observe(
    parts: &SealerParts,
    conn: &mut DbConnection,
    edge: Option<&domain::merkle::Frontier>,
) -> Result<(), PersistenceError> {
    let (waiting, oldest) = auditlog::pending(conn)?;
    let age = oldest
        .map(|oldest| (Utc::now() - oldest).num_milliseconds().max(0) as f64 / 1000.0)
        .unwrap_or(0.0);
    parts.metrics.oldest_unsealed_seconds.set(age);
    parts.metrics.unsealed_events.set(waiting);
    let size = match edge {
        Some(edge) => edge.size(),
        None => auditlog::stored_size(conn)?,
    };
    parts
        .metrics
        .log_size
        .set(i64::try_from(size).unwrap_or(i64::MAX));
    Ok(())
}

/// Checks the log's tail against the latest checkpoints of the database and of the
/// witness folder; logs each problem at ERROR and sets the integrity gauge. Returns the
/// findings.
pub fn check(
    conn: &mut DbConnection,
    keyring: &Keyring,
    witness: &Witness,
    metrics: &AuditMetrics,
) -> Vec<Finding> {
    let witnessed = match &witness.dir {
        Some(dir) => match witness::latest(dir) {
            Ok(latest) => latest,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the audit witness");
                None
            }
        },
        None => None,
    };
    let findings = match verify::tail(conn, keyring, witnessed) {
        Ok(findings) => findings,
        Err(error) => {
            tracing::warn!(%error, "cannot check the audit log");
            return Vec::new();
        }
    };
    if findings.is_empty() {
        metrics.integrity_ok.set(1);
    } else {
        metrics.integrity_ok.set(0);
        metrics.check_failures_total.inc();
        for finding in &findings {
            tracing::error!(problem = %finding, "AUDIT LOG ALTERED");
        }
    }
    findings
}
