//! The list of every problem `code`, derived from the errors themselves so that it cannot
//! fall behind them: [`ApiErrorKind`] is generated from [`ApiError`]'s variants
//! (`strum::EnumDiscriminants`), [`examples`] has one arm per kind and no wildcard (a new
//! variant does not compile until it has examples), and [`ApiError::all_codes`] is the
//! codes of the examples. The contract's `Problem.code` lists them (`crate::openapi_pass`)
//! and the catalogue has texts for each (`crate::i18n`'s tests).

use super::{ApiError, ApiErrorKind, EvidenceError, PlaceCandidate};
use actix_web::http::{Method, StatusCode};
use domain::alerts::{AlertError, AlertStatus};
use domain::appointments::{AppointmentError, AppointmentStatus};
use domain::catalogue::Assurance;
use domain::chat::ChatError;
use persistence::PersistenceError;
use strum::IntoEnumIterator;

const ID: &str = "0192f3c4-5b6a-7c8d-9e0f-112233445566";

/// Errors of `kind` with made-up parameters, one for each code the kind can have (each
/// variant of a nested refusal, each branch of a code that depends on the value).
pub fn examples(kind: ApiErrorKind) -> Vec<ApiError> {
    use ApiErrorKind as K;
    let id = || ID.to_owned();
    let one = |e: ApiError| vec![e];
    match kind {
        K::NotFound => one(ApiError::NotFound),
        K::MethodNotAllowed => one(ApiError::MethodNotAllowed {
            allow: vec![Method::GET, Method::HEAD],
        }),
        K::MalformedJson => one(ApiError::MalformedJson("EOF at line 1".into())),
        K::UnsupportedMediaType => one(ApiError::UnsupportedMediaType {
            expected: "application/json",
        }),
        K::PayloadTooLarge => one(ApiError::PayloadTooLarge { limit: 65536 }),
        K::InvalidPath => one(ApiError::InvalidPath("id".into())),
        K::InvalidQuery => one(ApiError::InvalidQuery("limit".into())),
        K::InvalidHeader => one(ApiError::InvalidHeader("If-Match".into())),
        K::Validation => one(ApiError::Validation(vec![super::FieldError::new(
            "/a", "required",
        )])),
        K::ProcedureNotFound => one(ApiError::ProcedureNotFound("nope".into())),
        K::AdviceNotFound => one(ApiError::AdviceNotFound("nope".into())),
        K::UnitNotFound => one(ApiError::UnitNotFound("BE-0000".into())),
        K::MunicipalityNotFound => one(ApiError::MunicipalityNotFound("BE-00000".into())),
        K::PostalCodeNotFound => one(ApiError::PostalCodeNotFound("0000".into())),
        K::MissingToken => one(ApiError::MissingToken),
        K::InvalidToken => one(ApiError::InvalidToken("expired".into())),
        K::Forbidden => one(ApiError::Forbidden),
        K::InsufficientAssurance => one(ApiError::InsufficientAssurance {
            required: "high".into(),
        }),
        K::DevIdpDisabled => one(ApiError::DevIdpDisabled),
        K::FilingNotFound => one(ApiError::FilingNotFound(id())),
        K::UnitFilingNotFound => one(ApiError::UnitFilingNotFound {
            id: id(),
            unit: "zp-namur".into(),
        }),
        K::ReceiptNotAvailable => one(ApiError::ReceiptNotAvailable {
            status: "draft".into(),
        }),
        K::InvalidTransition => one(ApiError::InvalidTransition {
            status: "registered".into(),
            action: "withdraw".into(),
        }),
        K::NotEligible => one(ApiError::NotEligible {
            errors: vec![super::FieldError::new("/answers/injury", "injury")],
            competent_unit: None,
        }),
        K::PlaceAmbiguous => one(ApiError::PlaceAmbiguous {
            errors: vec![super::FieldError::new("/place", "BE-21015")],
            candidates: Vec::<PlaceCandidate>::new(),
        }),
        K::NoCompetentUnit => one(ApiError::NoCompetentUnit),
        K::PreconditionRequired => one(ApiError::PreconditionRequired),
        K::PreconditionFailed => one(ApiError::PreconditionFailed),
        K::IdempotencyKeyReused => one(ApiError::IdempotencyKeyReused),
        K::IdempotencyKeyInUse => one(ApiError::IdempotencyKeyInUse),
        K::QuotaExceeded => one(ApiError::QuotaExceeded {
            retry_after_secs: 60,
        }),
        K::RecordNumberTaken => one(ApiError::RecordNumberTaken),
        K::NotACandidate => one(ApiError::NotACandidate("EC-2026-V93G-73VK-Z".into())),
        K::DatabaseUnavailable => one(ApiError::DatabaseUnavailable),
        K::Internal => one(ApiError::Internal("boom".into())),
        K::Persistence => vec![
            ApiError::Persistence(PersistenceError::Connect("refused".into())),
            ApiError::Persistence(PersistenceError::Migration("boom".into())),
        ],
        K::Appointment => appointment_examples(),
        K::AppointmentNotFound => one(ApiError::AppointmentNotFound("a-1".into())),
        K::CapacityNotFound => one(ApiError::CapacityNotFound("u/video".into())),
        K::VideoNotConfigured => one(ApiError::VideoNotConfigured),
        K::PartnerNotFound => one(ApiError::PartnerNotFound("portal".into())),
        K::PartnerConflict => one(ApiError::PartnerConflict("portal".into())),
        K::UnknownClient => one(ApiError::UnknownClient),
        K::PartnerDisabled => one(ApiError::PartnerDisabled("portal".into())),
        K::WebhookEndpointNotFound => one(ApiError::WebhookEndpointNotFound("7".into())),
        K::WebhookDeliveryNotFound => one(ApiError::WebhookDeliveryNotFound("42".into())),
        K::WebhookNotRedeliverable => one(ApiError::WebhookNotRedeliverable("sent".into())),
        K::Alert => [
            AlertError::NotActive(AlertStatus::Cancelled),
            AlertError::NoCancelCode,
            AlertError::WrongCancelCode,
            AlertError::CancelLocked,
            AlertError::NotAcknowledged,
        ]
        .map(ApiError::Alert)
        .into(),
        K::AlertNotFound => one(ApiError::AlertNotFound("a-1".into())),
        K::FilingRestricted => one(ApiError::FilingRestricted(id())),
        K::RestrictionNotFound => one(ApiError::RestrictionNotFound(id())),
        K::Evidence => evidence_examples(),
        K::Chat => [
            ChatError::Closed,
            ChatError::QueueEmpty,
            ChatError::AtCapacity,
            ChatError::NotHolder,
            ChatError::Away,
            ChatError::ColleagueUnavailable,
            ChatError::BadMessage,
            ChatError::BadOutcome,
            ChatError::ProposalNeedsAccount,
            ChatError::BadProposal,
            ChatError::ProposalNotFound,
        ]
        .map(ApiError::Chat)
        .into(),
        K::ChatNotOffered => one(ApiError::ChatNotOffered),
        K::ChatConversationNotFound => one(ApiError::ChatConversationNotFound(id())),
        K::ChatUnknownGuidance => one(ApiError::ChatUnknownGuidance("nope".into())),
        K::ChatMalformedFrame => one(ApiError::ChatMalformedFrame("not JSON".into())),
        K::TravelRequestNotFound => one(ApiError::TravelRequestNotFound(id())),
        K::InvitationInvalid => one(ApiError::InvitationInvalid),
        K::TravelInvalidState => one(ApiError::TravelInvalidState {
            status: "approved".into(),
        }),
        K::RevocationClosed => one(ApiError::RevocationClosed),
        K::SupportingDocumentRequired => one(ApiError::SupportingDocumentRequired),
        K::SupportingDocumentsNotAccepted => one(ApiError::SupportingDocumentsNotAccepted {
            status: "approved".into(),
        }),
        K::TusVersionUnsupported => one(ApiError::TusVersionUnsupported { supported: "1.0.0" }),
        K::InvalidUploadMetadata => one(ApiError::InvalidUploadMetadata("filename".into())),
        // Every status the framework or a middleware can answer with.
        K::Status => (400..=599)
            .filter_map(|s| StatusCode::from_u16(s).ok())
            .map(ApiError::Status)
            .collect(),
    }
}

fn appointment_examples() -> Vec<ApiError> {
    use AppointmentError as E;
    [
        E::KindNotOffered,
        E::NoAppointmentForProcedure,
        E::WrongUnit,
        E::SlotInPast,
        E::SlotTooFar,
        E::NoSuchSlot,
        E::SlotFull,
        E::AlreadyBooked,
        E::FilingNotReady,
        E::ChangeWindowClosed,
        E::NotBooked(AppointmentStatus::Cancelled),
        E::NotStarted,
        E::OutcomeNotForKind,
        E::RoomNotOpen {
            opens_at: chrono::DateTime::UNIX_EPOCH,
        },
        E::RoomClosed,
        E::OtherOfficer,
        E::InsufficientAssurance {
            required: Assurance::High,
        },
    ]
    .map(ApiError::Appointment)
    .into()
}

fn evidence_examples() -> Vec<ApiError> {
    [
        EvidenceError::Refused {
            file: "photo.jpg".into(),
            reason: domain::evidence::Refusal::TypeMismatch,
            accepted: None,
        },
        EvidenceError::FileTooLarge {
            file: "video.mp4".into(),
            limit: 10_485_760,
        },
        EvidenceError::FilingFull {
            files: 20,
            bytes: 52_428_800,
        },
        EvidenceError::NotAccepted {
            status: "closed".into(),
        },
        EvidenceError::AttachmentNotFound("a-1".into()),
        EvidenceError::LinkNotFound("t".into()),
        EvidenceError::UploadNotFound("u-1".into()),
        EvidenceError::OffsetMismatch { offset: 5 },
    ]
    .map(ApiError::Evidence)
    .into()
}

impl ApiError {
    /// One error of each code (made-up parameters), every kind's [`examples`].
    pub fn every_example() -> Vec<ApiError> {
        ApiErrorKind::iter().flat_map(examples).collect()
    }

    /// Every code an `ApiError` can have, sorted, without repeats.
    pub fn all_codes() -> Vec<&'static str> {
        let mut codes: Vec<_> = Self::every_example().iter().map(ApiError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string literals returned from match arms (`=> "code"`) by each function of
    /// `source` with this signature, up to the end of its body (a method's closing brace
    /// or, in a free function, its `match`'s).
    fn returned_literals(source: &str, signature: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (at, _) in source.match_indices(signature) {
            let body = &source[at..];
            let end = body.find("\n    }\n").unwrap_or(body.len());
            found.extend(
                body[..end]
                    .split("=> \"")
                    .skip(1)
                    .filter_map(|rest| rest.split('"').next())
                    .map(str::to_owned),
            );
        }
        found
    }

    /// Collected from the source, independently of the examples: every code `code()` can
    /// return, the nested refusals' and the framework's included, is in the list.
    #[test]
    fn every_code_the_source_can_return_is_listed() {
        let sources = [
            (
                include_str!("../error.rs"),
                "pub fn code(&self) -> &'static str {",
            ),
            (
                include_str!("../error.rs"),
                "pub fn code_for_status(status: StatusCode)",
            ),
            (
                include_str!("../../../domain/src/appointments/mod.rs"),
                "pub fn code(&self) -> &'static str {",
            ),
            (
                include_str!("../../../domain/src/alerts.rs"),
                "pub fn code(&self) -> &'static str {",
            ),
            (
                include_str!("../../../domain/src/chat.rs"),
                "pub fn code(&self) -> &'static str {",
            ),
        ];
        let all = ApiError::all_codes();
        let mut missing = Vec::new();
        let mut seen = 0;
        for (source, signature) in sources {
            // error.rs has two `code(&self)`: EvidenceError's and ApiError's.
            for code in returned_literals(source, signature) {
                seen += 1;
                if !all.contains(&code.as_str()) {
                    missing.push(code);
                }
            }
        }
        assert!(seen > 100, "only {seen} codes found in the source");
        assert!(
            missing.is_empty(),
            "not in ApiError::all_codes(): {missing:?}"
        );
        for code in AppointmentError::CODES
            .iter()
            .chain(&AlertError::CODES)
            .chain(&ChatError::CODES)
            .chain(&EvidenceError::CODES)
        {
            assert!(all.contains(code), "{code}");
        }
    }

    /// The codes added after the hand-kept list was last updated (issue: the list did
    /// not name them).
    #[test]
    fn the_newest_codes_are_listed() {
        let all = ApiError::all_codes();
        for code in [
            "partner_not_found",
            "partner_conflict",
            "unknown_client",
            "partner_disabled",
            "webhook_endpoint_not_found",
            "travel_request_not_found",
            "invitation_invalid",
            "travel_invalid_state",
            "revocation_closed",
            "chat_malformed_frame",
            "alert_not_found",
            "appointment_not_found",
            "upload_offset_mismatch",
        ] {
            assert!(all.contains(&code), "{code}");
        }
    }
}
