//! Named limits of what a request may hold. Each is stated once here; the validation code
//! and the published contract (`maxLength`, `maxItems`, `minimum`/`maximum`) read it from
//! here, so the two cannot disagree.
//!
//! Lengths (`_CHARS`) count Unicode scalar values (`str::chars`), as JSON Schema's
//! `maxLength` does.
//! The limits of the procedures' facts fields are data of the catalogue
//! (`catalogue/procedures.toml`); the limits of an item's sub-fields are below.

/// The free-text description of a place (`place.description`), in characters.
pub const PLACE_DESCRIPTION_MAX_CHARS: usize = 500;
/// An e-mail address (`contact.email`), in bytes (the RFC 5321 path limit).
pub const EMAIL_MAX_BYTES: usize = 254;
/// A phone number (`contact.phone`), in characters.
pub const PHONE_MAX_CHARS: usize = 30;
/// A postal address (`contact.postal_address`), in characters.
pub const POSTAL_ADDRESS_MAX_CHARS: usize = 500;
/// The citizen's answer to an information request, in characters.
pub const INFO_ANSWER_MAX_CHARS: usize = 4000;
/// An officer's internal note, in characters.
pub const NOTE_MAX_CHARS: usize = 4000;
/// An officer's question to the citizen (information request), in characters.
pub const INFO_REQUEST_MAX_CHARS: usize = 2000;
/// An officer's explanation of a decision (rejection, redirection), in characters.
pub const EXPLANATION_MAX_CHARS: usize = 2000;
/// Where the citizen is sent instead (`where_to_go`), in characters.
pub const WHERE_TO_GO_MAX_CHARS: usize = 500;
/// A decision's reason code, in characters.
pub const REASON_CODE_MAX_CHARS: usize = 64;
/// A record number entered by an officer, in characters.
pub const RECORD_NUMBER_MAX_CHARS: usize = 64;
/// A justification recorded in the audit trail, in characters.
pub const JUSTIFICATION_MAX_CHARS: usize = 500;
/// Page size of the back-office lists: at least 1, at most this (default 100).
pub const PAGE_SIZE_MAX: i64 = 500;
/// A unit's website address (contact data), in characters.
pub const WEBSITE_MAX_CHARS: usize = 500;
/// A unit's reception hours as free text (contact data), in characters.
pub const RECEPTION_HOURS_MAX_CHARS: usize = 500;
/// A unit id, as given for a transfer, in characters.
pub const UNIT_ID_MAX_CHARS: usize = 200;
/// An officer id, as given for an assignment, in characters.
pub const OFFICER_ID_MAX_CHARS: usize = 200;
/// Facts dated this far in the future (clock skew between a phone and the server) are
/// still accepted, in minutes.
pub const FUTURE_SKEW_MINUTES: i64 = 5;
/// Page sizes of the citizen's list of filings.
pub const FILINGS_PAGE_DEFAULT: i64 = 20;
pub const FILINGS_PAGE_MAX: i64 = 100;
/// Page sizes of a unit's queue.
pub const QUEUE_PAGE_DEFAULT: i64 = 50;
pub const QUEUE_PAGE_MAX: i64 = 200;
/// Page sizes of the audit-trail reader.
pub const AUDIT_PAGE_DEFAULT: i64 = 100;
pub const AUDIT_PAGE_MAX: i64 = PAGE_SIZE_MAX;

/// An item's brand, model or serial/IMEI/frame number, in characters.
pub const ITEM_TEXT_MAX_CHARS: usize = 100;
/// An item's colour, in characters.
pub const ITEM_COLOUR_MAX_CHARS: usize = 50;
/// An item's free description, in characters.
pub const ITEM_DESCRIPTION_MAX_CHARS: usize = 500;
/// An item's estimated value, in euros (from 0).
pub const ITEM_VALUE_MAX_EUR: f64 = 10_000_000.0;

/// A partner's id (a slug: lowercase letters, digits and `-`), in characters.
pub const PARTNER_ID_MAX_CHARS: usize = 63;
/// A partner's display name, in characters.
pub const PARTNER_NAME_MAX_CHARS: usize = 200;
/// The OAuth client ids a partner may use (`azp` / `client_id` of its tokens).
pub const PARTNER_CLIENT_IDS_MAX: usize = 10;
/// One OAuth client id, in characters.
pub const PARTNER_CLIENT_ID_MAX_CHARS: usize = 255;
/// The browser origins a partner may embed the service from.
pub const PARTNER_ORIGINS_MAX: usize = 20;
/// One browser origin (`https://host[:port]`), in characters.
pub const PARTNER_ORIGIN_MAX_CHARS: usize = 255;
/// A partner's request quota, in requests per minute: the smallest and the largest.
pub const PARTNER_QUOTA_MIN: u32 = 1;
pub const PARTNER_QUOTA_MAX: u32 = 100_000;
/// The quota of a partner registered without one, in requests per minute.
pub const PARTNER_QUOTA_DEFAULT: u32 = 600;
/// How long a rotated-out signing secret stays valid (both signatures are sent), hours.
pub const PARTNER_OLD_SECRET_HOURS: i64 = 24;
/// The longest webhook endpoint URL, in bytes.
pub const WEBHOOK_URL_MAX_CHARS: usize = 2000;
/// The longest description of a webhook endpoint, in characters.
pub const WEBHOOK_DESCRIPTION_MAX_CHARS: usize = 200;
/// The most webhook endpoints one partner may have (disabled ones not counted).
pub const WEBHOOK_ENDPOINTS_MAX: usize = 10;
/// The longest credential (the QR code's content, a compact JWS) the verification
/// endpoint reads, in characters.
pub const CREDENTIAL_MAX_CHARS: usize = 4096;
/// The default quota of credential checks per minute from one address.
pub const CREDENTIAL_CHECKS_PER_MINUTE: u32 = 120;
