//! The HTTP API of the e-commissariat: handlers, problem+json errors, the OpenAPI
//! contract, configuration, telemetry and the binary's command line.

pub mod actors;
pub mod app;
pub mod auditlog;
pub mod auth;
pub mod caching;
pub mod calendar;
pub mod chat;
pub mod cli;
pub mod config;
pub mod contract;
pub mod credentials;
pub mod delivery;
pub mod devidp;
pub mod error;
pub mod evidence;
pub mod extract;
pub mod i18n;
pub mod idempotency;
pub mod intake;
pub mod language;
pub mod layout;
pub mod metrics;
pub mod middleware;
pub mod negotiation;
pub mod openapi;
pub mod openapi_pass;
pub mod operator;
pub mod query_params;
pub mod records;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod versions;
pub mod video;
