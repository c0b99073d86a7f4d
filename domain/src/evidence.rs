//! Evidence attached to a filing (docs/EVIDENCE.md): which files are accepted, when a
//! filing takes them (attachments on a draft, supplements until it is closed), the limits,
//! upload links and the audit events that record each collection and each download.
//!
//! The file's type is decided from its content by the caller (magic bytes); these rules
//! only compare what was detected with what was declared, so they stay pure.

use crate::audit::{Actor, AuditEvent, AuditOperation};
use crate::filing::FilingStatus;
use chrono::{DateTime, Duration, Utc};

crate::code_enum!(
    /// The accepted kinds of file.
    MediaKind, "media kind", {
        Jpeg => "jpeg",
        Png => "png",
        Heif => "heif",
        Webp => "webp",
        Pdf => "pdf",
        Text => "text",
    }
);

impl MediaKind {
    /// The media type the file is stored and served as.
    pub fn media_type(self) -> &'static str {
        match self {
            MediaKind::Jpeg => "image/jpeg",
            MediaKind::Png => "image/png",
            MediaKind::Heif => "image/heif",
            MediaKind::Webp => "image/webp",
            MediaKind::Pdf => "application/pdf",
            MediaKind::Text => "text/plain; charset=utf-8",
        }
    }

    /// The kind of a media type detected from the content (`image/jpeg`...), if accepted.
    pub fn of_detected(media_type: &str) -> Option<MediaKind> {
        match media_type {
            "image/jpeg" => Some(MediaKind::Jpeg),
            "image/png" => Some(MediaKind::Png),
            "image/heif" | "image/heic" => Some(MediaKind::Heif),
            "image/webp" => Some(MediaKind::Webp),
            "application/pdf" => Some(MediaKind::Pdf),
            _ => None,
        }
    }

    /// Whether it is a picture (its dimensions are checked, its metadata stripped).
    pub fn is_image(self) -> bool {
        matches!(
            self,
            MediaKind::Jpeg | MediaKind::Png | MediaKind::Heif | MediaKind::Webp
        )
    }

    /// Whether a metadata-free viewing copy is made (HEIF: no well-kept crate rewrites
    /// its boxes; the original is the only copy, see docs/EVIDENCE.md).
    pub fn has_stripped_copy(self) -> bool {
        matches!(self, MediaKind::Jpeg | MediaKind::Png | MediaKind::Webp)
    }

    /// The file-name extensions that may name this kind (lower case).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            MediaKind::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
            MediaKind::Png => &["png"],
            MediaKind::Heif => &["heic", "heif", "hif"],
            MediaKind::Webp => &["webp"],
            MediaKind::Pdf => &["pdf"],
            MediaKind::Text => &["txt", "text", "log", "csv", "md"],
        }
    }

    /// The declared media types that agree with this kind.
    fn declared_types(self) -> &'static [&'static str] {
        match self {
            MediaKind::Jpeg => &["image/jpeg", "image/jpg", "image/pjpeg"],
            MediaKind::Png => &["image/png"],
            MediaKind::Heif => &[
                "image/heic",
                "image/heif",
                "image/heic-sequence",
                "image/heif-sequence",
            ],
            MediaKind::Webp => &["image/webp"],
            MediaKind::Pdf => &["application/pdf"],
            MediaKind::Text => &["text/plain", "text/csv", "text/markdown"],
        }
    }
}

crate::code_enum!(
    /// Why a file was refused (the problem names the file and this reason).
    Refusal, "refusal", {
        /// Its content is none of the accepted kinds.
        UnsupportedType => "unsupported_type",
        /// Its content does not match its declared type or its name's extension.
        TypeMismatch => "type_mismatch",
        /// A picture declaring more pixels than the limit (a decompression bomb).
        ImageTooLarge => "image_too_large",
        /// A picture whose header does not read.
        UnreadableImage => "unreadable_image",
        /// Text that is not UTF-8, or holds NUL characters.
        InvalidText => "invalid_text",
        /// No bytes.
        Empty => "empty",
    }
);

/// Decides a file's kind from what its content was detected as (`detected`: the media
/// type matched by magic bytes, `None` when nothing matched), whether it reads as text
/// (valid UTF-8 without NUL), and what the sender declared (`declared`: the part's
/// `Content-Type`, `name`: the file name).
///
/// # Errors
/// `UnsupportedType` for content of no accepted kind; `TypeMismatch` when the declared
/// type (other than `application/octet-stream`) or the name's extension names another
/// kind; `InvalidText` for undetected content that is not clean text but was declared as
/// text.
pub fn classify(
    detected: Option<&str>,
    is_text: bool,
    declared: Option<&str>,
    name: &str,
) -> Result<MediaKind, Refusal> {
    let declared = declared
        .map(|d| {
            d.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|d| !d.is_empty() && d != "application/octet-stream");
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .filter(|e| !e.is_empty());
    let kind = match detected {
        Some(detected) => MediaKind::of_detected(detected).ok_or(Refusal::UnsupportedType)?,
        None if is_text => MediaKind::Text,
        None => {
            let says_text = declared.as_deref().is_some_and(|d| d.starts_with("text/"))
                || extension
                    .as_deref()
                    .is_some_and(|e| MediaKind::Text.extensions().contains(&e));
            let says_accepted_other = declared.as_deref().is_some_and(|d| {
                MediaKind::ALL
                    .iter()
                    .any(|k| k.declared_types().contains(&d))
            }) || extension
                .as_deref()
                .is_some_and(|e| MediaKind::ALL.iter().any(|k| k.extensions().contains(&e)));
            return Err(if says_text {
                Refusal::InvalidText
            } else if says_accepted_other {
                Refusal::TypeMismatch
            } else {
                Refusal::UnsupportedType
            });
        }
    };
    if declared
        .as_deref()
        .is_some_and(|d| !kind.declared_types().contains(&d))
    {
        return Err(Refusal::TypeMismatch);
    }
    if extension
        .as_deref()
        .is_some_and(|e| !kind.extensions().contains(&e))
    {
        return Err(Refusal::TypeMismatch);
    }
    Ok(kind)
}

/// Whether a picture of `width` × `height` declared pixels is within `max_pixels`.
pub fn check_dimensions(width: u64, height: u64, max_pixels: u64) -> Result<(), Refusal> {
    if width == 0 || height == 0 {
        return Err(Refusal::UnreadableImage);
    }
    match width.checked_mul(height) {
        Some(pixels) if pixels <= max_pixels => Ok(()),
        _ => Err(Refusal::ImageTooLarge),
    }
}

/// The limits of evidence (configurable; defaults in [`Limits::default`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_files_per_filing: u32,
    pub max_bytes_per_filing: u64,
    pub max_image_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 10 * 1024 * 1024,
            max_files_per_filing: 20,
            max_bytes_per_filing: 50 * 1024 * 1024,
            max_image_pixels: 100_000_000,
        }
    }
}

/// What the filing already holds: files and bytes (complete or being received).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holding {
    pub files: u32,
    pub bytes: u64,
}

/// Why the filing takes no more files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// The per-filing number of files is reached.
    Files,
    /// The per-filing bytes would be exceeded.
    Bytes,
}

impl Limits {
    /// The most bytes the next file may have, given what the filing holds; `Err` when
    /// the filing takes no more files.
    pub fn room_for_next(&self, holding: Holding) -> Result<u64, Full> {
        if holding.files >= self.max_files_per_filing {
            return Err(Full::Files);
        }
        let left = self.max_bytes_per_filing.saturating_sub(holding.bytes);
        if left == 0 {
            return Err(Full::Bytes);
        }
        Ok(left.min(self.max_file_bytes))
    }
}

crate::code_enum!(
    /// How a file came to the filing.
    Origin, "evidence origin", {
        /// Attached to the draft.
        Attachment => "attachment",
        /// Added by the citizen after submission.
        Supplement => "supplement",
        /// Sent through an officer's upload link.
        UploadLink => "upload_link",
        /// A sole holder's supporting document on a minor's travel authorisation request
        /// (issue 19): the file's `filing_id` is then the request's id.
        SupportingDocument => "supporting_document",
    }
);

/// How a citizen's file is taken in the filing's `status`: an attachment on a draft, a
/// supplement after submission until the filing is finished; `None` when it takes none
/// (withdrawn or closed).
pub fn citizen_origin(status: FilingStatus) -> Option<Origin> {
    match status {
        FilingStatus::Draft => Some(Origin::Attachment),
        s if s.is_final() => None,
        _ => Some(Origin::Supplement),
    }
}

/// Whether an upload link still takes files in the filing's `status` (submitted and not
/// finished).
pub fn link_may_upload(status: FilingStatus) -> bool {
    status != FilingStatus::Draft && !status.is_final()
}

/// The longest text of a supplement, in characters.
pub const SUPPLEMENT_TEXT_MAX_CHARS: usize = 4000;

/// Upload links: their life and uses.
pub mod links {
    use super::*;

    /// Default life of a link, in hours.
    pub const DEFAULT_HOURS: u32 = 72;
    /// Longest life of a link, in hours (30 days).
    pub const MAX_HOURS: u32 = 720;
    /// Most uploads one link may take (1: single use).
    pub const MAX_USES: u32 = 20;

    /// A link as stored.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct UploadLink {
        pub id: String,
        pub filing_id: String,
        pub unit_id: String,
        pub created_by: String,
        pub created_at: DateTime<Utc>,
        pub expires_at: DateTime<Utc>,
        pub max_uses: u32,
        pub uses: u32,
        pub revoked_at: Option<DateTime<Utc>>,
    }

    /// Where a link stands at `now`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum LinkState {
        Active,
        Expired,
        UsedUp,
        Revoked,
    }

    impl UploadLink {
        pub fn state(&self, now: DateTime<Utc>) -> LinkState {
            if self.revoked_at.is_some() {
                LinkState::Revoked
            } else if now >= self.expires_at {
                LinkState::Expired
            } else if self.uses >= self.max_uses {
                LinkState::UsedUp
            } else {
                LinkState::Active
            }
        }
    }

    /// The expiry and uses of a new link, from what the officer asked (`None`: the
    /// defaults, 72 hours and one use).
    ///
    /// # Errors
    /// The JSON pointer and the accepted range of the member out of range.
    pub fn terms(
        hours: Option<u32>,
        uses: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<(DateTime<Utc>, u32), (&'static str, u32, u32)> {
        let hours = hours.unwrap_or(DEFAULT_HOURS);
        if !(1..=MAX_HOURS).contains(&hours) {
            return Err(("/expires_in_hours", 1, MAX_HOURS));
        }
        let uses = uses.unwrap_or(1);
        if !(1..=MAX_USES).contains(&uses) {
            return Err(("/max_uses", 1, MAX_USES));
        }
        Ok((now + Duration::hours(i64::from(hours)), uses))
    }
}

/// The collection of a file (chain of custody): object `attachment` and its id, the
/// SHA-256 of the original and the filing in the justification
/// (`sha256=<hex>; filing=<id>`), so that the hash is in the sealed audit log.
pub fn collection_event(
    actor: Actor,
    origin: Origin,
    attachment: &str,
    filing: &str,
    sha256: &str,
    now: DateTime<Utc>,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        actor,
        AuditOperation::Collection,
        "attachment",
        Some(attachment),
        now,
    )
    .with_action(match origin {
        Origin::Attachment => "collect_attachment",
        Origin::Supplement => "collect_supplement",
        Origin::UploadLink => "collect_via_upload_link",
        Origin::SupportingDocument => "collect_supporting_document",
    });
    event.justification = Some(match origin {
        Origin::SupportingDocument => format!("sha256={sha256}; travel_request={filing}"),
        _ => format!("sha256={sha256}; filing={filing}"),
    });
    event
}

/// The download of a file (`original`: the file as received, else the viewing copy).
pub fn download_event(
    actor: Actor,
    attachment: &str,
    filing: &str,
    original: bool,
    now: DateTime<Utc>,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        actor,
        AuditOperation::Consultation,
        "attachment",
        Some(attachment),
        now,
    )
    .with_action(if original {
        "download_original"
    } else {
        "download_viewing_copy"
    });
    event.justification = Some(format!("filing={filing}"));
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_decides_and_must_agree_with_what_was_declared() {
        assert_eq!(
            classify(Some("image/jpeg"), false, Some("image/jpeg"), "a.jpg"),
            Ok(MediaKind::Jpeg)
        );
        assert_eq!(
            classify(Some("image/jpeg"), false, None, "photo"),
            Ok(MediaKind::Jpeg)
        );
        assert_eq!(
            classify(
                Some("application/pdf"),
                false,
                Some("application/octet-stream"),
                "invoice.PDF"
            ),
            Ok(MediaKind::Pdf)
        );
        assert_eq!(
            classify(None, true, Some("text/plain"), "notes.txt"),
            Ok(MediaKind::Text)
        );
        assert_eq!(
            classify(Some("image/heif"), false, Some("image/heic"), "IMG_1.HEIC"),
            Ok(MediaKind::Heif)
        );
        // An executable named .jpg, an HTML page declared as a JPEG.
        assert_eq!(
            classify(
                Some("application/x-executable"),
                false,
                Some("image/jpeg"),
                "x.jpg"
            ),
            Err(Refusal::UnsupportedType)
        );
        assert_eq!(
            classify(Some("text/html"), false, Some("image/jpeg"), "x.jpg"),
            Err(Refusal::UnsupportedType)
        );
        assert_eq!(
            classify(None, true, Some("image/jpeg"), "x.jpg"),
            Err(Refusal::TypeMismatch)
        );
        assert_eq!(
            classify(Some("image/png"), false, Some("image/jpeg"), "x.png"),
            Err(Refusal::TypeMismatch)
        );
        assert_eq!(
            classify(Some("image/png"), false, None, "x.jpg"),
            Err(Refusal::TypeMismatch)
        );
        assert_eq!(
            classify(None, false, Some("text/plain"), "x.txt"),
            Err(Refusal::InvalidText)
        );
        assert_eq!(
            classify(None, false, None, "x.bin"),
            Err(Refusal::UnsupportedType)
        );
    }

    #[test]
    fn huge_declared_dimensions_are_refused_without_overflow() {
        assert_eq!(check_dimensions(4000, 3000, 100_000_000), Ok(()));
        assert_eq!(
            check_dimensions(100_000, 100_000, 100_000_000),
            Err(Refusal::ImageTooLarge)
        );
        assert_eq!(
            check_dimensions(u64::MAX, u64::MAX, 100_000_000),
            Err(Refusal::ImageTooLarge)
        );
        assert_eq!(check_dimensions(0, 10, 100), Err(Refusal::UnreadableImage));
    }

    #[test]
    fn the_filing_limits_leave_room_for_the_next_file() {
        let limits = Limits::default();
        assert_eq!(
            limits.room_for_next(Holding::default()),
            Ok(10 * 1024 * 1024)
        );
        assert_eq!(
            limits.room_for_next(Holding {
                files: 4,
                bytes: 45 * 1024 * 1024
            }),
            Ok(5 * 1024 * 1024)
        );
        assert_eq!(
            limits.room_for_next(Holding {
                files: 20,
                bytes: 0
            }),
            Err(Full::Files)
        );
        assert_eq!(
            limits.room_for_next(Holding {
                files: 5,
                bytes: 50 * 1024 * 1024
            }),
            Err(Full::Bytes)
        );
    }

    #[test]
    fn drafts_take_attachments_and_submitted_filings_supplements_until_closed() {
        assert_eq!(
            citizen_origin(FilingStatus::Draft),
            Some(Origin::Attachment)
        );
        assert_eq!(
            citizen_origin(FilingStatus::Submitted),
            Some(Origin::Supplement)
        );
        assert_eq!(
            citizen_origin(FilingStatus::Registered),
            Some(Origin::Supplement)
        );
        assert_eq!(citizen_origin(FilingStatus::Closed), None);
        assert_eq!(citizen_origin(FilingStatus::Withdrawn), None);
        assert!(!link_may_upload(FilingStatus::Draft));
        assert!(link_may_upload(FilingStatus::TakenInCharge));
        assert!(!link_may_upload(FilingStatus::Closed));
    }

    #[test]
    fn links_expire_wear_out_and_can_be_revoked() {
        let now = Utc::now();
        let (expires, uses) = links::terms(None, None, now).unwrap_or((now, 0));
        assert_eq!(uses, 1);
        assert_eq!(expires, now + Duration::hours(72));
        assert!(links::terms(Some(0), None, now).is_err());
        assert!(links::terms(None, Some(21), now).is_err());
        let mut link = links::UploadLink {
            id: "l".into(),
            filing_id: "f".into(),
            unit_id: "u".into(),
            created_by: "o".into(),
            created_at: now,
            expires_at: expires,
            max_uses: 1,
            uses: 0,
            revoked_at: None,
        };
        assert_eq!(link.state(now), links::LinkState::Active);
        assert_eq!(link.state(expires), links::LinkState::Expired);
        link.uses = 1;
        assert_eq!(link.state(now), links::LinkState::UsedUp);
        link.revoked_at = Some(now);
        assert_eq!(link.state(now), links::LinkState::Revoked);
    }
}
