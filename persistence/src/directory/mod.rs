//! The directory's reference data, in two parts:
//!
//! - [`format`]: reading a bundle folder (or the embedded reference) and checking every
//!   value of the import format. Pure: no database.
//! - [`store`]: the rows, the import transaction (all or nothing, idempotent per version
//!   and checksum), loading every dataset for routing, and supervisors' corrections of
//!   their unit's contact data.
//!
//! The rules of the data themselves (ids, coverage without overlaps, names in a
//! language, the French forces) are the domain's (`domain::directory`).

pub mod format;
pub mod store;

pub use format::{geometry, read_bundle, Bundle, BundleFiles, RowError};
pub use store::{
    correct_unit_contact, datasets, ensure_reference, import, load, municipality_exists,
    unit_contact, unit_exists, Counts, ImportError, ImportOutcome,
};
