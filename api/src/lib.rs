//! The HTTP API of the e-commissariat: handlers, problem+json errors, the OpenAPI
//! contract, configuration, telemetry and the binary's command line.

/// The allocator of every program that links the service (the shipped binary, the
/// test suite's in-process services, the benchmarks' servers): mimalloc rather than
/// glibc's malloc, whose free lists cost the statistics' largest tabulation (100,000
/// rows) 60 % of its time (bench/RESULTS.md, issue 22). Set here, once, so that the
/// tests run on the allocator the service ships with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod actors;
pub mod app;
pub mod auditlog;
pub mod auth;
pub mod body_schema;
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
pub mod json_intake;
pub mod language;
pub mod metrics;
pub mod middleware;
pub mod negotiation;
pub mod open311;
pub mod openapi;
pub mod openapi_pass;
pub mod operator;
pub mod pdf_fonts;
pub mod pdf_layout;
pub mod query_params;
pub mod records;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod versions;
pub mod video;
