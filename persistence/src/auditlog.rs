//! The sealed audit log: a Merkle tree in the shape of RFC 9162 over the audit events, in
//! the order the sealer gave them (`audit_log.log_index`), its complete subtrees
//! (`audit_nodes`) and its signed checkpoints (`audit_checkpoints`). All three tables are
//! append-only (triggers).
//!
//! [`seal_batch`] is the sealer's one transaction: it reads the committed events still
//! pending, in id order, appends their leaves after the latest checkpoint, stores the
//! subtrees they complete, and stores the checkpoint signed by the caller's key. It
//! refuses to build on a log whose tail no longer matches its latest checkpoint.

use crate::audit::AuditEventRow;
use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::audit_checkpoints::dsl as cp;
use crate::schema::audit_events::dsl as ev;
use crate::schema::audit_log::dsl as lg;
use crate::schema::audit_nodes::dsl as nd;
use crate::schema::audit_pending::dsl as pd;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::audit::Checkpoint;
use domain::merkle::{self, Frontier, Hash, SubtreeHashes};
use std::collections::HashMap;

/// Why a batch was not sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Persistence(#[from] PersistenceError),
    /// The stored log does not match its latest checkpoint: sealing more would hide it.
    #[error("the audit log does not match its latest checkpoint: {0}")]
    Inconsistent(String),
    /// The caller could not sign.
    #[error("cannot sign the checkpoint: {0}")]
    Signing(String),
}

impl From<diesel::result::Error> for SealError {
    fn from(e: diesel::result::Error) -> Self {
        SealError::Persistence(e.into())
    }
}

fn corrupt(what: &str, id: impl ToString, cause: impl ToString) -> PersistenceError {
    PersistenceError::CorruptRow {
        table: "audit_log",
        id: format!("{what} {}", id.to_string()),
        field: "hash",
        cause: cause.to_string(),
    }
}

/// A hash stored as hex.
pub fn parse_hash(hex_text: &str) -> Option<Hash> {
    let bytes = hex::decode(hex_text).ok()?;
    bytes.try_into().ok()
}

/// The stored tree, as a source of subtree hashes for proofs.
pub struct StoredTree<'a>(pub &'a mut DbConnection);

impl SubtreeHashes for StoredTree<'_> {
    type Error = PersistenceError;

    fn perfect(&mut self, level: u32, index: u64) -> Result<Hash, PersistenceError> {
        let index = i64::try_from(index).map_err(|e| corrupt("node", index, e))?;
        let text: Option<String> = if level == 0 {
            lg::audit_log
                .filter(lg::log_index.eq(index))
                .select(lg::leaf_hash)
                .first(self.0)
                .optional()?
        } else {
            nd::audit_nodes
                .filter(nd::level.eq(level as i32))
                .filter(nd::idx.eq(index))
                .select(nd::hash)
                .first(self.0)
                .optional()?
        };
        let text = text.ok_or_else(|| corrupt("node", format!("{level}/{index}"), "missing"))?;
        parse_hash(&text).ok_or_else(|| corrupt("node", format!("{level}/{index}"), "not hex"))
    }
}

#[derive(Queryable)]
struct CheckpointRow {
    tree_size: i64,
    root_hash: String,
    issued_at: NaiveDateTime,
    key_id: String,
    signature: String,
}

impl From<CheckpointRow> for Checkpoint {
    fn from(row: CheckpointRow) -> Self {
        Checkpoint {
            tree_size: row.tree_size.max(0) as u64,
            root_hash: row.root_hash,
            issued_at: from_db_time(row.issued_at),
            key_id: row.key_id,
            signature: row.signature,
        }
    }
}

const CHECKPOINT_COLUMNS: (
    cp::tree_size,
    cp::root_hash,
    cp::issued_at,
    cp::key_id,
    cp::signature,
) = (
    cp::tree_size,
    cp::root_hash,
    cp::issued_at,
    cp::key_id,
    cp::signature,
);

/// The latest checkpoint stored, if any.
pub fn latest_checkpoint(conn: &mut DbConnection) -> Result<Option<Checkpoint>, PersistenceError> {
    Ok(cp::audit_checkpoints
        .order(cp::tree_size.desc())
        .select(CHECKPOINT_COLUMNS)
        .first::<CheckpointRow>(conn)
        .optional()?
        .map(Checkpoint::from))
}

/// The checkpoint of exactly `tree_size` events, if stored.
pub fn checkpoint_at(
    conn: &mut DbConnection,
    tree_size: u64,
) -> Result<Option<Checkpoint>, PersistenceError> {
    Ok(cp::audit_checkpoints
        .filter(cp::tree_size.eq(tree_size as i64))
        .select(CHECKPOINT_COLUMNS)
        .first::<CheckpointRow>(conn)
        .optional()?
        .map(Checkpoint::from))
}

/// The stored checkpoints with a size greater than `after`, smallest first, at most
/// `limit`.
pub fn checkpoints_after(
    conn: &mut DbConnection,
    after: u64,
    limit: i64,
) -> Result<Vec<Checkpoint>, PersistenceError> {
    Ok(cp::audit_checkpoints
        .filter(cp::tree_size.gt(after as i64))
        .order(cp::tree_size.asc())
        .limit(limit)
        .select(CHECKPOINT_COLUMNS)
        .load::<CheckpointRow>(conn)?
        .into_iter()
        .map(Checkpoint::from)
        .collect())
}

/// The frontier of the stored tree of `size` leaves (its perfect subtrees).
pub fn frontier(conn: &mut DbConnection, size: u64) -> Result<Frontier, PersistenceError> {
    let mut tree = StoredTree(conn);
    let mut hashes = Vec::new();
    for (level, index) in Frontier::parts(size) {
        hashes.push(tree.perfect(level, index)?);
    }
    Frontier::from_parts(size, hashes).ok_or_else(|| corrupt("frontier", size, "wrong parts"))
}

/// The root of the stored tree of `size` leaves (`O(log n)` reads).
pub fn root_at(conn: &mut DbConnection, size: u64) -> Result<Hash, PersistenceError> {
    merkle::subtree_root(&mut StoredTree(conn), 0, size)
}

/// The number of leaves in `audit_log` as its highest position says (`max + 1`).
pub fn stored_size(conn: &mut DbConnection) -> Result<u64, PersistenceError> {
    let max: Option<i64> = lg::audit_log
        .select(diesel::dsl::max(lg::log_index))
        .first(conn)?;
    Ok(max.map_or(0, |m| m.max(-1) as u64 + 1))
}

/// Events committed and not yet sealed.
pub fn pending_count(conn: &mut DbConnection) -> Result<i64, PersistenceError> {
    Ok(pd::audit_pending.count().get_result(conn)?)
}

/// How many events are committed and not yet sealed, and the time of the oldest, in one
/// read.
pub fn pending(conn: &mut DbConnection) -> Result<(i64, Option<DateTime<Utc>>), PersistenceError> {
    let (count, oldest): (i64, Option<NaiveDateTime>) = pd::audit_pending
        .select((diesel::dsl::count_star(), diesel::dsl::min(pd::occurred_at)))
        .first(conn)?;
    Ok((count, oldest.map(from_db_time)))
}

/// What the sealer signs: the new size and root, at `issued_at`.
pub struct TreeHead {
    pub tree_size: u64,
    pub root_hash: Hash,
    pub issued_at: DateTime<Utc>,
}

/// Seals at most `max` pending events in one transaction, after checking that the stored
/// tail matches the latest checkpoint; `sign` turns the new tree head into a checkpoint.
/// Returns the checkpoint, or `None` when nothing was pending. Reads the tree's right
/// edge from the stored nodes each time; a sealer that runs batch after batch keeps it
/// with [`seal_batch_held`].
///
/// # Errors
/// `Inconsistent` when the stored log no longer matches its latest checkpoint (nothing is
/// sealed then), `Signing` from `sign`, and database errors (the transaction rolls back;
/// a concurrent sealer's batch makes this one fail on the log's primary key).
pub fn seal_batch(
    conn: &mut DbConnection,
    max: i64,
    now: DateTime<Utc>,
    sign: &dyn Fn(&TreeHead) -> Result<Checkpoint, String>,
) -> Result<Option<Checkpoint>, SealError> {
    Ok(seal_batch_held(conn, max, now, sign, &mut None)?.map(|(checkpoint, _)| checkpoint))
}

/// [`seal_batch`], with `held`: the tree's right edge as this sealer left it after its
/// last batch. It is used only while the latest checkpoint still has its size and root
/// (no other sealer has sealed since, nobody rewrote the checkpoints), which saves
/// reading one stored node per bit of the log's size (about a dozen reads a batch at
/// 300,000 events). Otherwise the edge is read from the stored nodes and checked against
/// the checkpoint's root, as [`seal_batch`] does. On return `held` is the edge after this
/// batch, or `None` when the batch failed. The stored nodes themselves are checked by the
/// periodic check of the log's tail and by `audit verify`; the sealer drops `held` after
/// each such check, so that an altered stored tree stops the sealing at the next batch.
/// Returns the checkpoint and how many events this batch appended.
///
/// # Errors
/// As [`seal_batch`].
pub fn seal_batch_held(
    conn: &mut DbConnection,
    max: i64,
    now: DateTime<Utc>,
    sign: &dyn Fn(&TreeHead) -> Result<Checkpoint, String>,
    held: &mut Option<Frontier>,
) -> Result<Option<(Checkpoint, u64)>, SealError> {
    let mut cached = held.take();
    let mut after: Option<Frontier> = None;
    let sealed = conn.write_transaction(|c| {
        let ids: Vec<i64> = pd::audit_pending
            .order(pd::event_id.asc())
            .limit(max)
            .select(pd::event_id)
            .load(c)?;
        if ids.is_empty() {
            return Ok(None);
        }
        let latest = latest_checkpoint(c)?;
        let size = latest.as_ref().map_or(0, |l| l.tree_size);
        let stored = stored_size(c)?;
        if stored != size {
            return Err(SealError::Inconsistent(format!(
                "the log holds {stored} sealed event(s), its latest checkpoint {size}"
            )));
        }
        let root = latest.as_ref().map(|l| l.root_hash.as_str());
        let mut frontier = match cached.take() {
            Some(edge)
                if edge.size() == size && root == Some(hex::encode(edge.root()).as_str()) =>
            {
                edge
            }
            _ => {
                let edge = frontier(c, size)?;
                if root.is_some_and(|root| hex::encode(edge.root()) != root) {
                    return Err(SealError::Inconsistent(format!(
                        "the stored tree of {size} event(s) does not hash to the checkpoint's root"
                    )));
                }
                edge
            }
        };
        let mut rows: Vec<AuditEventRow> = ev::audit_events
            .filter(ev::id.eq_any(&ids))
            .select(AuditEventRow::as_select())
            .load(c)?;
        rows.sort_by_key(|r| r.id);
        let mut leaves = Vec::with_capacity(rows.len());
        let mut nodes = Vec::new();
        for row in &rows {
            let leaf = merkle::leaf_hash(&row.leaf_entry());
            let index = frontier.size();
            nodes.extend(frontier.push(leaf));
            leaves.push((index, row.id, leaf));
        }
        insert_leaves(c, &leaves)?;
        insert_nodes(c, &nodes)?;
        // Pending ids without an event (never, short of a hand-made row) are dropped too,
        // so that they cannot stall the sealer; `audit verify` reports foreign rows.
        for chunk in ids.chunks(500) {
            diesel::delete(pd::audit_pending.filter(pd::event_id.eq_any(chunk))).execute(c)?;
        }
        if rows.is_empty() {
            after = Some(frontier);
            return Ok(None);
        }
        let head = TreeHead {
            tree_size: frontier.size(),
            root_hash: frontier.root(),
            issued_at: from_db_time(to_db_time(now)),
        };
        let checkpoint = sign(&head).map_err(SealError::Signing)?;
        diesel::insert_into(cp::audit_checkpoints)
            .values((
                cp::tree_size.eq(checkpoint.tree_size as i64),
                cp::root_hash.eq(&checkpoint.root_hash),
                cp::issued_at.eq(to_db_time(checkpoint.issued_at)),
                cp::key_id.eq(&checkpoint.key_id),
                cp::signature.eq(&checkpoint.signature),
            ))
            .execute(c)?;
        after = Some(frontier);
        Ok(Some((checkpoint, rows.len() as u64)))
    });
    *held = match &sealed {
        Ok(_) => after.or(cached),
        Err(_) => None,
    };
    sealed
}

/// Multi-row inserts in plain SQL (the values are integers and hex digits only).
fn insert_leaves(c: &mut DbConnection, leaves: &[(u64, i64, Hash)]) -> Result<(), SealError> {
    for chunk in leaves.chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|(index, id, leaf)| format!("({index},{id},'{}')", hex::encode(leaf)))
            .collect();
        diesel::sql_query(format!(
            "INSERT INTO audit_log (log_index, event_id, leaf_hash) VALUES {}",
            values.join(",")
        ))
        .execute(c)?;
    }
    Ok(())
}

fn insert_nodes(c: &mut DbConnection, nodes: &[merkle::CompletedNode]) -> Result<(), SealError> {
    for chunk in nodes.chunks(500) {
        let values: Vec<String> = chunk
            .iter()
            .map(|(level, index, hash)| format!("({level},{index},'{}')", hex::encode(hash)))
            .collect();
        diesel::sql_query(format!(
            "INSERT INTO audit_nodes (level, idx, hash) VALUES {}",
            values.join(",")
        ))
        .execute(c)?;
    }
    Ok(())
}

/// One sealed position of the log as stored, with its event's current values.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub log_index: u64,
    pub event_id: i64,
    /// The leaf hash sealed at this position (hex, as stored).
    pub leaf_hash: String,
    /// The leaf entry of the event as it is now; `None` when the event row is gone.
    pub entry: Option<Vec<u8>>,
}

/// The sealed positions from `from` (inclusive), in order, at most `limit`. Positions
/// may be missing or repeated only if someone edited the table.
pub fn entries(
    conn: &mut DbConnection,
    from: u64,
    limit: i64,
) -> Result<Vec<LogEntry>, PersistenceError> {
    let leaves: Vec<(i64, i64, String)> = lg::audit_log
        .filter(lg::log_index.ge(from as i64))
        .order(lg::log_index.asc())
        .limit(limit)
        .select((lg::log_index, lg::event_id, lg::leaf_hash))
        .load(conn)?;
    let ids: Vec<i64> = leaves.iter().map(|l| l.1).collect();
    let mut events: HashMap<i64, AuditEventRow> = HashMap::new();
    for chunk in ids.chunks(1000) {
        let rows: Vec<AuditEventRow> = ev::audit_events
            .filter(ev::id.eq_any(chunk))
            .select(AuditEventRow::as_select())
            .load(conn)?;
        events.extend(rows.into_iter().map(|r| (r.id, r)));
    }
    Ok(leaves
        .into_iter()
        .map(|(index, event_id, leaf_hash)| LogEntry {
            log_index: index.max(0) as u64,
            event_id,
            leaf_hash,
            entry: events.get(&event_id).map(AuditEventRow::leaf_entry),
        })
        .collect())
}

/// Events neither sealed nor pending (rows written around the application), at most
/// `limit`, by id.
pub fn unlogged_events(conn: &mut DbConnection, limit: i64) -> Result<Vec<i64>, PersistenceError> {
    use diesel::dsl::{exists, not};
    Ok(ev::audit_events
        .filter(not(exists(lg::audit_log.filter(lg::event_id.eq(ev::id)))))
        .filter(not(exists(
            pd::audit_pending.filter(pd::event_id.eq(ev::id)),
        )))
        .order(ev::id.asc())
        .limit(limit)
        .select(ev::id)
        .load(conn)?)
}

/// The position of an event in the log, if sealed.
pub fn position_of(
    conn: &mut DbConnection,
    event_id: i64,
) -> Result<Option<u64>, PersistenceError> {
    let index: Option<i64> = lg::audit_log
        .filter(lg::event_id.eq(event_id))
        .select(lg::log_index)
        .first(conn)
        .optional()?;
    Ok(index.map(|i| i.max(0) as u64))
}

/// The leaf entry of the event with this id as stored now, if it exists.
pub fn event_entry(
    conn: &mut DbConnection,
    event_id: i64,
) -> Result<Option<Vec<u8>>, PersistenceError> {
    let row: Option<AuditEventRow> = ev::audit_events
        .filter(ev::id.eq(event_id))
        .select(AuditEventRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(|r| r.leaf_entry()))
}

/// The inclusion proof of the leaf at `index` in the tree of `size` leaves.
pub fn inclusion_proof(
    conn: &mut DbConnection,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, PersistenceError> {
    merkle::inclusion_proof(&mut StoredTree(conn), index, size)
}

/// The consistency proof between the trees of `old_size` and `new_size` leaves.
pub fn consistency_proof(
    conn: &mut DbConnection,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, PersistenceError> {
    merkle::consistency_proof(&mut StoredTree(conn), old_size, new_size)
}

/// Takes the sealer's lead on PostgreSQL: a session-level advisory lock, held as long as
/// this connection lives (a killed process's lock is released by the server). `true`
/// when this connection holds it. On SQLite (one process) always `true`.
pub fn try_lead(conn: &mut DbConnection) -> Result<bool, PersistenceError> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    match conn {
        DbConnection::Postgresql(pg) => {
            let row: Locked = diesel::sql_query(format!(
                "SELECT pg_try_advisory_lock({SEALER_LOCK_ID}) AS locked"
            ))
            .get_result(pg)?;
            Ok(row.locked)
        }
        DbConnection::Sqlite(_) => Ok(true),
    }
}

/// Advisory lock id of the sealer's leadership ("ecomseal").
const SEALER_LOCK_ID: i64 = 0x6563_6f6d_7365_616c;
