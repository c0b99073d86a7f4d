//! Checking the audit log against its checkpoints and the witness.
//!
//! [`full`] (the `audit verify` command) reads every sealed event, recomputes every leaf
//! from the event as stored, rebuilds the tree and compares its root with each checkpoint
//! the witness holds, and with the database's own checkpoints; [`tail`] (at start-up and
//! periodically in the service) checks the latest checkpoints and the newest events only.
//! Each problem found is a [`Finding`] naming what is wrong and where.

use super::keys::Keyring;
use domain::audit::Checkpoint;
use domain::merkle::{self, Frontier};
use persistence::auditlog;
use persistence::{DbConnection, PersistenceError};
use std::collections::BTreeMap;

/// One problem of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A checkpoint's signature does not verify (`source`: "witness" or "database").
    BadSignature {
        source: &'static str,
        tree_size: u64,
        reason: String,
    },
    /// The database's checkpoint of this size differs from the witness's.
    CheckpointDiffers { tree_size: u64 },
    /// The witness holds a checkpoint of this size that the database lacks.
    CheckpointMissing { tree_size: u64 },
    /// Fewer events are sealed than a checkpoint covers.
    Truncated { sealed: u64, signed: u64 },
    /// More positions are sealed than the latest checkpoint covers.
    Extra { sealed: u64, signed: u64 },
    /// No event is sealed at this position (a row of the log was deleted).
    MissingPosition { index: u64 },
    /// The event sealed at this position no longer exists.
    DeletedEvent { index: u64, event_id: i64 },
    /// The event sealed at this position no longer matches its sealed leaf hash.
    AlteredEvent { index: u64, event_id: i64 },
    /// The events as stored do not hash to a signed root.
    RootMismatch {
        tree_size: u64,
        source: &'static str,
        /// The largest signed size that still matches, if any.
        last_good: Option<u64>,
    },
    /// An event neither sealed nor waiting to be: written around the application.
    Unlogged { event_id: i64 },
    /// The legacy hash chain (events before the log) is broken.
    LegacyChain { event_id: i64, reason: String },
    /// Something could not be read (the witness folder, a stored hash).
    Unreadable(String),
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::BadSignature { source, tree_size, reason } => write!(
                f,
                "the {source}'s checkpoint of size {tree_size} is not validly signed: {reason}"
            ),
            Finding::CheckpointDiffers { tree_size } => write!(
                f,
                "the database's checkpoint of size {tree_size} differs from the witness's: \
                 a checkpoint was rewritten in the database"
            ),
            Finding::CheckpointMissing { tree_size } => write!(
                f,
                "the witness holds a checkpoint of size {tree_size} that the database lacks: \
                 checkpoints were deleted from the database"
            ),
            Finding::Truncated { sealed, signed } => write!(
                f,
                "truncated: {sealed} event(s) sealed, but a signed checkpoint covers {signed}: \
                 {} sealed event(s) are missing",
                signed.saturating_sub(*sealed)
            ),
            Finding::Extra { sealed, signed } => write!(
                f,
                "{sealed} positions are sealed, but the latest checkpoint covers {signed}: \
                 {} event(s) were inserted into the log",
                sealed.saturating_sub(*signed)
            ),
            Finding::MissingPosition { index } => write!(
                f,
                "position {index} of the log is missing: a sealed event was deleted"
            ),
            Finding::DeletedEvent { index, event_id } => write!(
                f,
                "event {event_id}, sealed at position {index}, was deleted"
            ),
            Finding::AlteredEvent { index, event_id } => write!(
                f,
                "event {event_id}, sealed at position {index}, was altered: it no longer \
                 matches its sealed hash"
            ),
            Finding::RootMismatch { tree_size, source, last_good } => {
                write!(
                    f,
                    "the first {tree_size} sealed events do not hash to the {source}'s signed \
                     root: events were altered, inserted, deleted or reordered, or the hashes \
                     recomputed"
                )?;
                match last_good {
                    Some(good) => write!(f, ", after position {good} (the checkpoint of size {good} still matches)"),
                    None => Ok(()),
                }
            }
            Finding::Unlogged { event_id } => write!(
                f,
                "event {event_id} is neither sealed nor waiting to be: it was inserted \
                 around the application"
            ),
            Finding::LegacyChain { event_id, reason } => write!(
                f,
                "the hash chain of the events before the log is broken at event {event_id}: {reason}"
            ),
            Finding::Unreadable(what) => write!(f, "cannot read {what}"),
        }
    }
}

/// What a full check read, and what it found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Sealed positions read.
    pub sealed: u64,
    /// Checkpoints of the witness checked.
    pub witnessed: usize,
    /// Events waiting to be sealed.
    pub pending: i64,
    pub findings: Vec<Finding>,
}

/// Reports at most this many findings of one kind per position scan.
const MAX_POSITION_FINDINGS: usize = 100;

/// Checks the signatures of `checkpoints` from `source`; returns those that verify.
fn signed(
    keyring: &Keyring,
    source: &'static str,
    checkpoints: Vec<Checkpoint>,
    findings: &mut Vec<Finding>,
) -> BTreeMap<u64, Checkpoint> {
    let mut valid = BTreeMap::new();
    for checkpoint in checkpoints {
        match keyring.verify(&checkpoint) {
            Ok(()) => {
                valid.insert(checkpoint.tree_size, checkpoint);
            }
            Err(problem) => findings.push(Finding::BadSignature {
                source,
                tree_size: checkpoint.tree_size,
                reason: problem.to_string(),
            }),
        }
    }
    valid
}

/// Every checkpoint stored in the database, smallest first.
fn database_checkpoints(conn: &mut DbConnection) -> Result<Vec<Checkpoint>, PersistenceError> {
    let mut all = Vec::new();
    let mut after = 0u64;
    loop {
        let page = auditlog::checkpoints_after(conn, after, 5000)?;
        let Some(last) = page.last() else {
            return Ok(all);
        };
        after = last.tree_size;
        all.extend(page);
    }
}

/// The whole log against `witness` (the witness's checkpoints, smallest first).
///
/// # Errors
/// Database errors only: what is wrong with the log is in the report.
pub fn full(
    conn: &mut DbConnection,
    keyring: &Keyring,
    witness: Vec<Checkpoint>,
) -> Result<Report, PersistenceError> {
    let mut report = Report {
        witnessed: witness.len(),
        ..Report::default()
    };
    let findings = &mut report.findings;
    let witness = signed(keyring, "witness", witness, findings);
    let stored = database_checkpoints(conn)?;
    let all_stored: BTreeMap<u64, Checkpoint> =
        stored.iter().map(|c| (c.tree_size, c.clone())).collect();
    let database = signed(keyring, "database", stored, findings);
    for (size, seen) in &witness {
        match all_stored.get(size) {
            Some(stored) if stored != seen => {
                findings.push(Finding::CheckpointDiffers { tree_size: *size })
            }
            Some(_) => {}
            None => findings.push(Finding::CheckpointMissing { tree_size: *size }),
        }
    }

    // Every position in order: each event's leaf recomputed from the event as stored.
    let mut frontier = Frontier::default();
    let mut expected = 0u64;
    let mut position_findings = 0usize;
    let mut last_good: BTreeMap<&'static str, Option<u64>> = BTreeMap::new();
    let mut mismatched: BTreeMap<&'static str, bool> = BTreeMap::new();
    loop {
        let page = auditlog::entries(conn, expected, 2000)?;
        if page.is_empty() {
            break;
        }
        for entry in page {
            while expected < entry.log_index {
                if position_findings < MAX_POSITION_FINDINGS {
                    findings.push(Finding::MissingPosition { index: expected });
                    position_findings += 1;
                }
                // A hole cannot be hashed: what follows no longer matches any root.
                frontier.push(merkle::leaf_hash(b""));
                expected += 1;
            }
            let stored = auditlog::parse_hash(&entry.leaf_hash);
            let leaf = match &entry.entry {
                Some(bytes) => {
                    let leaf = merkle::leaf_hash(bytes);
                    if stored != Some(leaf) && position_findings < MAX_POSITION_FINDINGS {
                        findings.push(Finding::AlteredEvent {
                            index: entry.log_index,
                            event_id: entry.event_id,
                        });
                        position_findings += 1;
                    }
                    leaf
                }
                None => {
                    if position_findings < MAX_POSITION_FINDINGS {
                        findings.push(Finding::DeletedEvent {
                            index: entry.log_index,
                            event_id: entry.event_id,
                        });
                        position_findings += 1;
                    }
                    stored.unwrap_or(merkle::leaf_hash(b""))
                }
            };
            frontier.push(leaf);
            expected += 1;
            for (source, checkpoints) in [("witness", &witness), ("database", &database)] {
                if let Some(checkpoint) = checkpoints.get(&frontier.size()) {
                    let matches = hex::encode(frontier.root()) == checkpoint.root_hash;
                    let already = mismatched.get(source).copied().unwrap_or(false);
                    if matches && !already {
                        last_good.insert(source, Some(frontier.size()));
                    } else if !matches && !already {
                        mismatched.insert(source, true);
                        findings.push(Finding::RootMismatch {
                            tree_size: frontier.size(),
                            source,
                            last_good: last_good.get(source).copied().flatten(),
                        });
                    }
                }
            }
        }
    }
    report.sealed = expected;
    let largest_signed = witness
        .keys()
        .chain(database.keys())
        .max()
        .copied()
        .unwrap_or(0);
    if expected < largest_signed {
        findings.push(Finding::Truncated {
            sealed: expected,
            signed: largest_signed,
        });
    }
    if let Some(latest) = database.keys().max() {
        if expected > *latest {
            findings.push(Finding::Extra {
                sealed: expected,
                signed: *latest,
            });
        }
    }
    for event_id in auditlog::unlogged_events(conn, 20)? {
        findings.push(Finding::Unlogged { event_id });
    }
    if let persistence::audit::ChainCheck::BrokenAt { id, reason } =
        persistence::audit::verify_legacy_chain(conn)?
    {
        findings.push(Finding::LegacyChain {
            event_id: id,
            reason,
        });
    }
    report.pending = auditlog::pending_count(conn)?;
    Ok(report)
}

/// Newest sealed events whose leaves [`tail`] recomputes.
pub const TAIL_EVENTS: u64 = 256;

/// The quick check of a running service: the latest checkpoint of the witness (when
/// given) and of the database verify and agree, the stored tree still hashes to them, no
/// sealed event beyond them, and the newest [`TAIL_EVENTS`] events match their leaves.
///
/// # Errors
/// Database errors only.
pub fn tail(
    conn: &mut DbConnection,
    keyring: &Keyring,
    witnessed: Option<Checkpoint>,
) -> Result<Vec<Finding>, PersistenceError> {
    let mut findings = Vec::new();
    let stored = auditlog::stored_size(conn)?;
    let latest = auditlog::latest_checkpoint(conn)?;
    let mut heads: Vec<(&'static str, Checkpoint)> = Vec::new();
    if let Some(w) = witnessed {
        match auditlog::checkpoint_at(conn, w.tree_size)? {
            Some(db) if db != w => findings.push(Finding::CheckpointDiffers {
                tree_size: w.tree_size,
            }),
            Some(_) => {}
            None => findings.push(Finding::CheckpointMissing {
                tree_size: w.tree_size,
            }),
        }
        heads.push(("witness", w));
    }
    if let Some(db) = latest {
        if stored > db.tree_size {
            findings.push(Finding::Extra {
                sealed: stored,
                signed: db.tree_size,
            });
        }
        heads.push(("database", db));
    }
    for (source, head) in heads {
        if let Err(problem) = keyring.verify(&head) {
            findings.push(Finding::BadSignature {
                source,
                tree_size: head.tree_size,
                reason: problem.to_string(),
            });
        }
        if stored < head.tree_size {
            findings.push(Finding::Truncated {
                sealed: stored,
                signed: head.tree_size,
            });
            continue;
        }
        match auditlog::root_at(conn, head.tree_size) {
            Ok(root) if hex::encode(root) == head.root_hash => {}
            Ok(_) => findings.push(Finding::RootMismatch {
                tree_size: head.tree_size,
                source,
                last_good: None,
            }),
            Err(e) => findings.push(Finding::Unreadable(format!("the stored tree: {e}"))),
        }
    }
    let from = stored.saturating_sub(TAIL_EVENTS);
    for entry in auditlog::entries(conn, from, TAIL_EVENTS as i64)? {
        match &entry.entry {
            None => findings.push(Finding::DeletedEvent {
                index: entry.log_index,
                event_id: entry.event_id,
            }),
            Some(bytes) => {
                if auditlog::parse_hash(&entry.leaf_hash) != Some(merkle::leaf_hash(bytes)) {
                    findings.push(Finding::AlteredEvent {
                        index: entry.log_index,
                        event_id: entry.event_id,
                    });
                }
            }
        }
    }
    Ok(findings)
}
