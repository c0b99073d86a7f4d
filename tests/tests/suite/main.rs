//! The black-box suite: one test binary for every area, so that CI links the service into
//! one executable instead of one per file (each link of the whole service took tens of
//! seconds and gigabytes of disk). Each module is one area, run with
//! `cargo test -p tests --test suite <module>::` to run only that area.

mod access;
mod alerts;
mod appointments;
mod audit_log;
mod backoffice;
mod catalogue;
mod chat;
mod contract;
mod delivery;
mod directory;
mod directory_http;
mod documents;
mod evidence;
mod filing_model;
mod filings;
mod forms;
mod foundation;
mod http_intake;
mod identifiers;
mod identity;
mod items;
mod newcomer;
mod notifications;
mod oidc;
mod open311;
mod partner_limits;
mod partners;
mod retention;
mod startup;
mod statistics;
mod stores;
mod travel;
mod webhooks;
