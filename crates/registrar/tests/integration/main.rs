//! The registrar's integration tests, one binary (one link, and its tests
//! run side by side): each module is one subject, against the in-memory
//! ports and the scripted gateway of `registrar::testing`.

mod auth_code;
mod events_never_panic;
mod exactly_once;
mod hostile_mail;
mod lock_and_withdrawal;
mod mail_correlation;
mod mail_never_panics;
mod portfolio_sync;
mod request_completeness;
mod simulation;
mod submit_workflow;
mod transfer_out;
mod trust_round3;
