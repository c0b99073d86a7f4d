//! Request and response shapes of evidence routes.

use chrono::{DateTime, Utc};
use persistence::evidence::{StoredAttachment, Supplement};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A multipart upload: one or more `file` parts (each with a file name and, preferably,
/// its Content-Type) and, after submission, an optional `text` part.
/// Other parts are refused (422 `unknown_field`).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct FileUpload {
    /// A file (repeat the part for several). JPEG, PNG, HEIC/HEIF, WebP, PDF or plain
    /// UTF-8 text; at most 10 MiB each by default. At least one, except in a supplement
    /// (a submitted filing), which may be its `text` alone; a request with neither is 422
    /// `required` at `/file`.
    #[schema(value_type = Option<Vec<String>>, format = Binary)]
    pub file: Option<Vec<Vec<u8>>>,
    /// Words that come with the files (a supplement after submission; at most 4000
    /// characters).
    #[schema(max_length = 4000)]
    pub text: Option<String>,
}

/// An upload link's multipart body: one or more `file` parts, nothing else (a `text`
/// part is 422 `not_allowed`, another part 422 `unknown_field`).
#[derive(Debug, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct LinkUpload {
    /// A file (repeat the part for several). JPEG, PNG, HEIC/HEIF, WebP, PDF or plain
    /// UTF-8 text; at most 10 MiB each by default.
    #[schema(value_type = Vec<String>, format = Binary)]
    pub file: Vec<Vec<u8>>,
}

/// A file on a filing, as its sender sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f3c4-5b6a-7c8d-9e0f-112233445566", "file_name": "bike.jpg",
    "media_type": "image/jpeg", "size": 482133, "sha256": "9f2c0d4c3b8e5b7a1e0f6d2c4b8a7e6f5d4c3b2a1908f7e6d5c4b3a29180f7e6",
    "origin": "attachment", "metadata_removed": true, "created_at": "2026-11-22T10:00:00Z"
}))]
pub struct AttachmentView {
    pub id: String,
    /// The name it was sent with.
    #[schema(max_length = 255)]
    pub file_name: String,
    /// Its type, decided from its content.
    pub media_type: String,
    /// Its size as received, in bytes.
    pub size: u64,
    /// SHA-256 of the file as received (hex).
    #[schema(min_length = 64, max_length = 64)]
    pub sha256: String,
    /// `attachment` (on the draft), `supplement` (after submission) or `upload_link`.
    pub origin: String,
    /// Whether the copy served for viewing has its metadata (EXIF, XMP, GPS) removed;
    /// false for PDF, text and HEIF, served as received.
    pub metadata_removed: bool,
    pub created_at: DateTime<Utc>,
}

impl From<&StoredAttachment> for AttachmentView {
    fn from(a: &StoredAttachment) -> Self {
        AttachmentView {
            id: a.id.clone(),
            file_name: a.file_name.clone(),
            media_type: a.kind.media_type().to_owned(),
            size: a.size,
            sha256: a.sha256.clone(),
            origin: a.origin.to_string(),
            metadata_removed: a.stripped,
            created_at: a.created_at,
        }
    }
}

/// Files on a filing.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "0192f3c4-5b6a-7c8d-9e0f-112233445566", "file_name": "bike.jpg",
        "media_type": "image/jpeg", "size": 482133, "sha256": "9f2c0d4c3b8e5b7a1e0f6d2c4b8a7e6f5d4c3b2a1908f7e6d5c4b3a29180f7e6",
        "origin": "attachment", "metadata_removed": true, "created_at": "2026-11-22T10:00:00Z"}]}))]
pub struct AttachmentList {
    pub items: Vec<AttachmentView>,
}

/// A file as an officer of the unit sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnitAttachmentView {
    #[serde(flatten)]
    pub file: AttachmentView,
    /// Size of the viewing copy, when one was made.
    pub viewing_size: Option<u64>,
    /// The supplement it came with.
    pub supplement_id: Option<String>,
    /// Who sent it: `citizen`, `business` or `link_holder`.
    pub sent_by_role: String,
}

/// A supplement: words and files added after submission.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplementView {
    pub id: String,
    /// `supplement` (the citizen) or `upload_link`.
    pub origin: String,
    pub text: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When an officer of the unit first opened the filing after it (null: new).
    pub seen_at: Option<DateTime<Utc>>,
}

impl From<&Supplement> for SupplementView {
    fn from(s: &Supplement) -> Self {
        SupplementView {
            id: s.id.clone(),
            origin: s.origin.to_string(),
            text: s.text.clone(),
            created_at: s.created_at,
            seen_at: s.seen_at,
        }
    }
}

/// A filing's evidence, for the unit.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "attachments": [{"id": "0192f3c4-5b6a-7c8d-9e0f-112233445566", "file_name": "ad.txt",
        "media_type": "text/plain; charset=utf-8", "size": 1200, "sha256": "9f2c0d4c3b8e5b7a1e0f6d2c4b8a7e6f5d4c3b2a1908f7e6d5c4b3a29180f7e6",
        "origin": "supplement", "metadata_removed": false, "created_at": "2026-11-23T10:00:00Z",
        "viewing_size": null, "supplement_id": "0192f3c4-5b6a-7c8d-9e0f-112233445567", "sent_by_role": "citizen"}],
    "supplements": [{"id": "0192f3c4-5b6a-7c8d-9e0f-112233445567", "origin": "supplement",
        "text": "I found the seller's ad.", "created_at": "2026-11-23T10:00:00Z", "seen_at": null}]
}))]
pub struct UnitEvidenceView {
    pub attachments: Vec<UnitAttachmentView>,
    pub supplements: Vec<SupplementView>,
}

/// What an officer asks of a new upload link.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"expires_in_hours": 72, "max_uses": 1}))]
pub struct NewUploadLink {
    /// Hours until it expires (default 72, at most 720).
    #[schema(minimum = 1, maximum = 720)]
    pub expires_in_hours: Option<u32>,
    /// Uploads it takes (default 1: single use; at most 20).
    #[schema(minimum = 1, maximum = 20)]
    pub max_uses: Option<u32>,
}

/// An upload link.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f3c4-5b6a-7c8d-9e0f-112233445566", "filing_id": "0192f3c4-5b6a-7c8d-9e0f-112233445567",
    "expires_at": "2026-11-25T10:00:00Z", "max_uses": 1, "uses": 0, "state": "active",
    "created_at": "2026-11-22T10:00:00Z"
}))]
pub struct UploadLinkView {
    pub id: String,
    pub filing_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub max_uses: u32,
    pub uses: u32,
    /// `active`, `expired`, `used_up` or `revoked`.
    pub state: String,
    /// The token (only in the answer that created the link; send it to the person).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The path to upload to with the token (only at creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload_path: Option<String>,
}

impl UploadLinkView {
    pub fn of(link: &domain::evidence::links::UploadLink, now: DateTime<Utc>) -> Self {
        use domain::evidence::links::LinkState;
        UploadLinkView {
            id: link.id.clone(),
            filing_id: link.filing_id.clone(),
            created_at: link.created_at,
            expires_at: link.expires_at,
            max_uses: link.max_uses,
            uses: link.uses,
            state: match link.state(now) {
                LinkState::Active => "active",
                LinkState::Expired => "expired",
                LinkState::UsedUp => "used_up",
                LinkState::Revoked => "revoked",
            }
            .into(),
            token: None,
            upload_path: None,
        }
    }
}

/// Upload links of a filing.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "0192f3c4-5b6a-7c8d-9e0f-112233445566",
    "filing_id": "0192f3c4-5b6a-7c8d-9e0f-112233445567", "expires_at": "2026-11-25T10:00:00Z",
    "max_uses": 1, "uses": 1, "state": "used_up", "created_at": "2026-11-22T10:00:00Z"}]}))]
pub struct UploadLinkList {
    pub items: Vec<UploadLinkView>,
}

/// What a link's holder is told: only what they sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedFile {
    pub file_name: String,
    pub media_type: String,
    pub size: u64,
    /// SHA-256 of the file as received (hex), to keep as a receipt.
    pub sha256: String,
}

/// The files a link's holder sent.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"file_name": "photo.jpg", "media_type": "image/jpeg", "size": 482133,
    "sha256": "9f2c0d4c3b8e5b7a1e0f6d2c4b8a7e6f5d4c3b2a1908f7e6d5c4b3a29180f7e6"}]}))]
pub struct ReceivedFiles {
    pub items: Vec<ReceivedFile>,
}

/// A resumable (tus) upload in progress.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0192f3c4-5b6a-7c8d-9e0f-112233445566", "file_name": "bike.jpg",
    "offset": 1048576, "length": 4194304, "expires_at": "2026-11-23T10:00:00Z"}))]
pub struct UploadView {
    pub id: String,
    pub file_name: String,
    /// Bytes received.
    pub offset: u64,
    /// The file's size.
    pub length: u64,
    /// When an unfinished upload is removed.
    pub expires_at: DateTime<Utc>,
}

impl From<&persistence::evidence::ResumableUpload> for UploadView {
    fn from(u: &persistence::evidence::ResumableUpload) -> Self {
        UploadView {
            id: u.id.clone(),
            file_name: u.file_name.clone(),
            offset: u.received,
            length: u.length,
            expires_at: u.expires_at,
        }
    }
}
