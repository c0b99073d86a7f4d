//! Evidence metadata (docs/EVIDENCE.md): `attachments` (one row per file; its objects are
//! in the object store), `filing_supplements` (the citizen's additions after submission
//! and the uploads through links; the queue's "new information" marker) and
//! `upload_links` (the officers' links, by the hash of their token).
//!
//! A file's row is inserted `incomplete` before its objects are written and completed in
//! the transaction of its audit event, so that a crash leaves an incomplete row (and
//! perhaps objects) that the cleanup job finds, never a complete row without its object.

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{
    attachments as a, filing_history as h, filing_supplements as s, upload_links as l,
};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use domain::evidence::links::UploadLink;
use domain::evidence::{Holding, MediaKind, Origin};

/// State of a row whose objects are being written.
pub const INCOMPLETE: &str = "incomplete";
/// State of a row whose objects are written and audited.
pub const COMPLETE: &str = "complete";

/// A file about to be received.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub id: String,
    pub filing_id: String,
    pub origin: Origin,
    pub file_name: String,
    /// The id of the key the data key is sealed with, and the sealed data key.
    pub key_id: String,
    pub data_key: String,
    pub uploaded_by_role: String,
    pub uploaded_by: String,
    pub link_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What is known of a file once received.
#[derive(Debug, Clone)]
pub struct Received {
    pub kind: MediaKind,
    pub size: u64,
    pub sha256: String,
    /// Whether a viewing copy without metadata was stored.
    pub stripped: bool,
    pub viewing_size: Option<u64>,
    pub supplement_id: Option<String>,
}

/// A complete file, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAttachment {
    pub id: String,
    pub filing_id: String,
    pub supplement_id: Option<String>,
    pub origin: Origin,
    pub file_name: String,
    pub kind: MediaKind,
    pub size: u64,
    pub sha256: String,
    pub stripped: bool,
    pub viewing_size: Option<u64>,
    pub key_id: String,
    pub data_key: String,
    pub uploaded_by_role: String,
    pub uploaded_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = a)]
struct Row {
    id: String,
    filing_id: String,
    supplement_id: Option<String>,
    origin: String,
    file_name: String,
    media_kind: Option<String>,
    size_bytes: i64,
    sha256: Option<String>,
    stripped: bool,
    viewing_size: Option<i64>,
    key_id: String,
    data_key: String,
    uploaded_by_role: String,
    uploaded_by: String,
    created_at: NaiveDateTime,
}

impl Row {
    fn into_stored(self) -> Result<StoredAttachment, PersistenceError> {
        let corrupt = |field: &'static str, cause: String| PersistenceError::CorruptRow {
            table: "attachments",
            id: self.id.clone(),
            field,
            cause,
        };
        let kind = self
            .media_kind
            .as_deref()
            .ok_or_else(|| corrupt("media_kind", "absent on a complete row".into()))?
            .parse()
            .map_err(|e: domain::UnknownCode| corrupt("media_kind", e.to_string()))?;
        let origin = self
            .origin
            .parse()
            .map_err(|e: domain::UnknownCode| corrupt("origin", e.to_string()))?;
        let sha256 = self
            .sha256
            .clone()
            .ok_or_else(|| corrupt("sha256", "absent on a complete row".into()))?;
        Ok(StoredAttachment {
            id: self.id,
            filing_id: self.filing_id,
            supplement_id: self.supplement_id,
            origin,
            file_name: self.file_name,
            kind,
            size: self.size_bytes.max(0) as u64,
            sha256,
            stripped: self.stripped,
            viewing_size: self.viewing_size.map(|v| v.max(0) as u64),
            key_id: self.key_id,
            data_key: self.data_key,
            uploaded_by_role: self.uploaded_by_role,
            uploaded_by: self.uploaded_by,
            created_at: from_db_time(self.created_at),
        })
    }
}

/// Inserts the row of a file about to be received (`incomplete`).
pub fn insert_incomplete(
    conn: &mut DbConnection,
    new: &NewAttachment,
) -> Result<(), PersistenceError> {
    diesel::insert_into(a::table)
        .values((
            a::id.eq(&new.id),
            a::filing_id.eq(&new.filing_id),
            a::origin.eq(new.origin.as_str()),
            a::state.eq(INCOMPLETE),
            a::file_name.eq(&new.file_name),
            a::key_id.eq(&new.key_id),
            a::data_key.eq(&new.data_key),
            a::uploaded_by_role.eq(&new.uploaded_by_role),
            a::uploaded_by.eq(&new.uploaded_by),
            a::link_id.eq(&new.link_id),
            a::created_at.eq(to_db_time(new.created_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The files and bytes of the filing's complete files.
pub fn holding(conn: &mut DbConnection, filing: &str) -> Result<Holding, PersistenceError> {
    let sizes: Vec<i64> = a::table
        .filter(a::filing_id.eq(filing))
        .filter(a::state.eq(COMPLETE))
        .select(a::size_bytes)
        .load(conn)?;
    Ok(Holding {
        files: sizes.len() as u32,
        bytes: sizes.iter().map(|s| (*s).max(0) as u64).sum(),
    })
}

/// Marks a file received; false when its row is gone (removed by the cleanup job).
pub fn complete(
    conn: &mut DbConnection,
    id: &str,
    received: &Received,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let changed = diesel::update(
        a::table
            .filter(a::id.eq(id))
            .filter(a::state.eq(INCOMPLETE)),
    )
    .set((
        a::state.eq(COMPLETE),
        a::media_kind.eq(received.kind.as_str()),
        a::size_bytes.eq(received.size as i64),
        a::sha256.eq(&received.sha256),
        a::stripped.eq(received.stripped),
        a::viewing_size.eq(received.viewing_size.map(|v| v as i64)),
        a::supplement_id.eq(&received.supplement_id),
        a::completed_at.eq(Some(to_db_time(now))),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Removes a file's row (a refused or abandoned upload, or the cleanup job).
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<(), PersistenceError> {
    diesel::delete(a::table.filter(a::id.eq(id))).execute(conn)?;
    Ok(())
}

/// The filing's complete files, oldest first; only those uploaded by `uploader` when
/// given.
pub fn list(
    conn: &mut DbConnection,
    filing: &str,
    uploader: Option<&str>,
) -> Result<Vec<StoredAttachment>, PersistenceError> {
    let mut query = a::table
        .filter(a::filing_id.eq(filing))
        .filter(a::state.eq(COMPLETE))
        .into_boxed();
    if let Some(uploader) = uploader {
        query = query.filter(a::uploaded_by.eq(uploader.to_owned()));
    }
    let rows: Vec<Row> = query
        .order((a::created_at.asc(), a::id.asc()))
        .select(Row::as_select())
        .load(conn)?;
    rows.into_iter().map(Row::into_stored).collect()
}

/// One complete file of the filing.
pub fn find(
    conn: &mut DbConnection,
    filing: &str,
    id: &str,
) -> Result<Option<StoredAttachment>, PersistenceError> {
    let row: Option<Row> = a::table
        .filter(a::filing_id.eq(filing))
        .filter(a::id.eq(id))
        .filter(a::state.eq(COMPLETE))
        .select(Row::as_select())
        .first(conn)
        .optional()?;
    row.map(Row::into_stored).transpose()
}

/// Ids of incomplete rows created before `before` (abandoned uploads).
pub fn stale_incomplete(
    conn: &mut DbConnection,
    before: DateTime<Utc>,
) -> Result<Vec<String>, PersistenceError> {
    Ok(a::table
        .filter(a::state.eq(INCOMPLETE))
        .filter(a::created_at.lt(to_db_time(before)))
        .select(a::id)
        .load(conn)?)
}

/// Which of `ids` have a row (in any state).
pub fn existing(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<std::collections::BTreeSet<String>, PersistenceError> {
    let mut found = std::collections::BTreeSet::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<String> = a::table
            .filter(a::id.eq_any(chunk))
            .select(a::id)
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}

/// Files whose data key is sealed with another key than `current`: (id, sealed key).
pub fn keys_not_under(
    conn: &mut DbConnection,
    current: &str,
) -> Result<Vec<(String, String)>, PersistenceError> {
    Ok(a::table
        .filter(a::key_id.ne(current))
        .select((a::id, a::data_key))
        .order(a::id.asc())
        .load(conn)?)
}

/// Stores a file's data key sealed anew (under `key_id`).
pub fn rewrap(
    conn: &mut DbConnection,
    id: &str,
    key_id: &str,
    data_key: &str,
) -> Result<(), PersistenceError> {
    diesel::update(a::table.filter(a::id.eq(id)))
        .set((a::key_id.eq(key_id), a::data_key.eq(data_key)))
        .execute(conn)?;
    Ok(())
}

/// A supplement: the citizen's text and files after submission, or an upload through a
/// link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supplement {
    pub id: String,
    pub filing_id: String,
    pub origin: Origin,
    pub text: Option<String>,
    pub actor_role: String,
    pub actor_id: String,
    pub created_at: DateTime<Utc>,
    pub seen_at: Option<DateTime<Utc>>,
}

/// Records a supplement, unseen, and its entry in the filing's history (the status
/// stays: `from_status` = `to_status`, action `add_supplement`).
pub fn add_supplement(
    conn: &mut DbConnection,
    supplement: &Supplement,
    status: &str,
) -> Result<(), PersistenceError> {
    diesel::insert_into(s::table)
        .values((
            s::id.eq(&supplement.id),
            s::filing_id.eq(&supplement.filing_id),
            s::origin.eq(supplement.origin.as_str()),
            s::text.eq(&supplement.text),
            s::actor_role.eq(&supplement.actor_role),
            s::actor_id.eq(&supplement.actor_id),
            s::created_at.eq(to_db_time(supplement.created_at)),
        ))
        .execute(conn)?;
    diesel::insert_into(h::table)
        .values((
            h::filing_id.eq(&supplement.filing_id),
            h::occurred_at.eq(to_db_time(supplement.created_at)),
            h::from_status.eq(Some(status)),
            h::to_status.eq(status),
            h::action.eq(SUPPLEMENT_ACTION),
            h::actor_role.eq(&supplement.actor_role),
            h::actor_id.eq(&supplement.actor_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// The action of a supplement's history entry.
pub const SUPPLEMENT_ACTION: &str = "add_supplement";

/// The filing's supplements, oldest first.
pub fn supplements(
    conn: &mut DbConnection,
    filing: &str,
) -> Result<Vec<Supplement>, PersistenceError> {
    type SRow = (
        String,
        String,
        String,
        Option<String>,
        String,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
    );
    let rows: Vec<SRow> = s::table
        .filter(s::filing_id.eq(filing))
        .order((s::created_at.asc(), s::id.asc()))
        .select((
            s::id,
            s::filing_id,
            s::origin,
            s::text,
            s::actor_role,
            s::actor_id,
            s::created_at,
            s::seen_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            Ok(Supplement {
                origin: r.2.parse().map_err(|e: domain::UnknownCode| {
                    PersistenceError::CorruptRow {
                        table: "filing_supplements",
                        id: r.0.clone(),
                        field: "origin",
                        cause: e.to_string(),
                    }
                })?,
                id: r.0,
                filing_id: r.1,
                text: r.3,
                actor_role: r.4,
                actor_id: r.5,
                created_at: from_db_time(r.6),
                seen_at: r.7.map(from_db_time),
            })
        })
        .collect()
}

/// Which of `filings` have a supplement no officer has seen yet.
pub fn with_new_information(
    conn: &mut DbConnection,
    filings: &[String],
) -> Result<std::collections::BTreeSet<String>, PersistenceError> {
    let rows: Vec<String> = s::table
        .filter(s::filing_id.eq_any(filings))
        .filter(s::seen_at.is_null())
        .select(s::filing_id)
        .distinct()
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Marks the filing's supplements seen (an officer of the unit opened it).
pub fn mark_seen(
    conn: &mut DbConnection,
    filing: &str,
    now: DateTime<Utc>,
) -> Result<(), PersistenceError> {
    diesel::update(
        s::table
            .filter(s::filing_id.eq(filing))
            .filter(s::seen_at.is_null()),
    )
    .set(s::seen_at.eq(Some(to_db_time(now))))
    .execute(conn)?;
    Ok(())
}

type LinkRow = (
    String,
    String,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
    i32,
    i32,
    Option<NaiveDateTime>,
);

fn link_of(r: LinkRow) -> UploadLink {
    UploadLink {
        id: r.0,
        filing_id: r.1,
        unit_id: r.2,
        created_by: r.3,
        created_at: from_db_time(r.4),
        expires_at: from_db_time(r.5),
        max_uses: r.6.max(0) as u32,
        uses: r.7.max(0) as u32,
        revoked_at: r.8.map(from_db_time),
    }
}

macro_rules! link_columns {
    () => {
        (
            l::id,
            l::filing_id,
            l::unit_id,
            l::created_by,
            l::created_at,
            l::expires_at,
            l::max_uses,
            l::uses,
            l::revoked_at,
        )
    };
}

/// Stores a new link under the hash of its token.
pub fn insert_link(
    conn: &mut DbConnection,
    link: &UploadLink,
    token_hash: &str,
) -> Result<(), PersistenceError> {
    diesel::insert_into(l::table)
        .values((
            l::id.eq(&link.id),
            l::filing_id.eq(&link.filing_id),
            l::unit_id.eq(&link.unit_id),
            l::token_hash.eq(token_hash),
            l::created_by.eq(&link.created_by),
            l::created_at.eq(to_db_time(link.created_at)),
            l::expires_at.eq(to_db_time(link.expires_at)),
            l::max_uses.eq(link.max_uses as i32),
            l::uses.eq(link.uses as i32),
        ))
        .execute(conn)?;
    Ok(())
}

/// The link whose token hashes to `token_hash`.
pub fn link_by_token(
    conn: &mut DbConnection,
    token_hash: &str,
) -> Result<Option<UploadLink>, PersistenceError> {
    let row: Option<LinkRow> = l::table
        .filter(l::token_hash.eq(token_hash))
        .select(link_columns!())
        .first(conn)
        .optional()?;
    Ok(row.map(link_of))
}

/// The filing's links, newest first.
pub fn links(conn: &mut DbConnection, filing: &str) -> Result<Vec<UploadLink>, PersistenceError> {
    let rows: Vec<LinkRow> = l::table
        .filter(l::filing_id.eq(filing))
        .order((l::created_at.desc(), l::id.desc()))
        .select(link_columns!())
        .load(conn)?;
    Ok(rows.into_iter().map(link_of).collect())
}

/// Counts one use of the link if it is still active at `now`; false when it is not
/// (used up, expired or revoked meanwhile).
pub fn use_link(
    conn: &mut DbConnection,
    id: &str,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let changed = diesel::update(
        l::table
            .filter(l::id.eq(id))
            .filter(l::revoked_at.is_null())
            .filter(l::expires_at.gt(to_db_time(now)))
            .filter(l::uses.lt(l::max_uses)),
    )
    .set(l::uses.eq(l::uses + 1))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Revokes a link of the filing; false when there is no such link.
pub fn revoke_link(
    conn: &mut DbConnection,
    filing: &str,
    id: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    let exists: Option<String> = l::table
        .filter(l::filing_id.eq(filing))
        .filter(l::id.eq(id))
        .select(l::id)
        .first(conn)
        .optional()?;
    if exists.is_none() {
        return Ok(false);
    }
    diesel::update(
        l::table
            .filter(l::id.eq(id))
            .filter(l::revoked_at.is_null()),
    )
    .set((
        l::revoked_at.eq(Some(to_db_time(now))),
        l::revoked_by.eq(Some(by)),
    ))
    .execute(conn)?;
    Ok(true)
}

/// A resumable (tus) upload in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumableUpload {
    pub id: String,
    pub filing_id: String,
    pub owner_id: String,
    pub file_name: String,
    pub declared_type: Option<String>,
    pub length: u64,
    pub received: u64,
    /// The stored parts: (start offset, length), in order.
    pub parts: Vec<(u64, u64)>,
    pub key_id: String,
    pub data_key: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

type UploadRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    i64,
    String,
    String,
    String,
    NaiveDateTime,
    NaiveDateTime,
);

macro_rules! upload_columns {
    () => {
        (
            u::id,
            u::filing_id,
            u::owner_id,
            u::file_name,
            u::declared_type,
            u::length,
            u::received,
            u::parts,
            u::key_id,
            u::data_key,
            u::created_at,
            u::expires_at,
        )
    };
}

use crate::schema::resumable_uploads as u;

fn upload_of(r: UploadRow) -> Result<ResumableUpload, PersistenceError> {
    let parts: Vec<(u64, u64)> =
        serde_json::from_str(&r.7).map_err(|e| PersistenceError::CorruptRow {
            table: "resumable_uploads",
            id: r.0.clone(),
            field: "parts",
            cause: e.to_string(),
        })?;
    Ok(ResumableUpload {
        id: r.0,
        filing_id: r.1,
        owner_id: r.2,
        file_name: r.3,
        declared_type: r.4,
        length: r.5.max(0) as u64,
        received: r.6.max(0) as u64,
        parts,
        key_id: r.8,
        data_key: r.9,
        created_at: from_db_time(r.10),
        expires_at: from_db_time(r.11),
    })
}

/// Stores a new resumable upload.
pub fn insert_upload(
    conn: &mut DbConnection,
    upload: &ResumableUpload,
) -> Result<(), PersistenceError> {
    diesel::insert_into(u::table)
        .values((
            u::id.eq(&upload.id),
            u::filing_id.eq(&upload.filing_id),
            u::owner_id.eq(&upload.owner_id),
            u::file_name.eq(&upload.file_name),
            u::declared_type.eq(&upload.declared_type),
            u::length.eq(upload.length as i64),
            u::received.eq(upload.received as i64),
            u::parts.eq(serde_json::to_string(&upload.parts)?),
            u::key_id.eq(&upload.key_id),
            u::data_key.eq(&upload.data_key),
            u::created_at.eq(to_db_time(upload.created_at)),
            u::expires_at.eq(to_db_time(upload.expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The owner's upload `id` on `filing`.
pub fn find_upload(
    conn: &mut DbConnection,
    owner: &str,
    filing: &str,
    id: &str,
) -> Result<Option<ResumableUpload>, PersistenceError> {
    let row: Option<UploadRow> = u::table
        .filter(u::id.eq(id))
        .filter(u::owner_id.eq(owner))
        .filter(u::filing_id.eq(filing))
        .select(upload_columns!())
        .first(conn)
        .optional()?;
    row.map(upload_of).transpose()
}

/// Records a part stored at `start` (which must be where the upload stood); false when the
/// upload moved meanwhile (a concurrent request) or is gone.
pub fn add_part(
    conn: &mut DbConnection,
    upload: &ResumableUpload,
    start: u64,
    length: u64,
) -> Result<bool, PersistenceError> {
    let mut parts = upload.parts.clone();
    parts.push((start, length));
    let changed = diesel::update(
        u::table
            .filter(u::id.eq(&upload.id))
            .filter(u::received.eq(start as i64)),
    )
    .set((
        u::received.eq((start + length) as i64),
        u::parts.eq(serde_json::to_string(&parts)?),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Removes an upload's row.
pub fn delete_upload(conn: &mut DbConnection, id: &str) -> Result<(), PersistenceError> {
    diesel::delete(u::table.filter(u::id.eq(id))).execute(conn)?;
    Ok(())
}

/// Uploads expired before `now`: (id, parts).
pub fn expired_uploads(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
) -> Result<Vec<ResumableUpload>, PersistenceError> {
    let rows: Vec<UploadRow> = u::table
        .filter(u::expires_at.lt(to_db_time(now)))
        .select(upload_columns!())
        .load(conn)?;
    rows.into_iter().map(upload_of).collect()
}

/// Which of `ids` are uploads with a row.
pub fn existing_uploads(
    conn: &mut DbConnection,
    ids: &[String],
) -> Result<std::collections::BTreeSet<String>, PersistenceError> {
    let mut found = std::collections::BTreeSet::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<String> = u::table
            .filter(u::id.eq_any(chunk))
            .select(u::id)
            .load(conn)?;
        found.extend(rows);
    }
    Ok(found)
}
