//! Pure rules of the e-commissariat.
//!
//! No I/O, no database, no HTTP, no clock reads: functions that need the time take
//! `now` as an argument so that tests control it.

/// Raised when a stored code does not name a known variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownCode {
    pub kind: &'static str,
    pub value: String,
}

/// Declares an enum of stable snake_case codes with `as_str`, `Display`, `FromStr`
/// and `ALL`.
#[macro_export]
macro_rules! code_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($(#[$vmeta:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code stored in the database and shown in the API.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code => Ok($name::$variant),)+
                    other => Err($crate::UnknownCode { kind: $kind, value: other.to_owned() }),
                }
            }
        }
    };
}

pub mod actor;
pub mod alerts;
pub mod appointments;
pub mod audit;
pub mod catalogue;
pub mod chat;
pub mod credentials;
pub mod dates;
pub mod delivery;
pub mod directory;
pub mod eligibility;
pub mod evidence;
pub mod filing;
pub mod forms;
pub mod guidance;
pub mod i18n;
pub mod idempotency;
pub mod identifiers;
pub mod items;
pub mod limits;
pub mod merkle;
pub mod names;
pub mod notices;
pub mod open311;
pub mod partner;
pub mod policy;
pub mod processing;
pub mod ratelimit;
pub mod retention;
pub mod statistics;
pub mod travel;
pub mod webhooks;
