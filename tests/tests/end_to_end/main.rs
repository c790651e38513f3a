//! The end-to-end tests, one binary: built and linked once, each file a
//! module that proves one part of the contract against moto and the
//! simulator (tests/README.md says what each proves).

mod aws_calls;
mod bulk;
mod cargo_lambda;
mod changes;
mod console;
mod faults;
mod local_env;
mod mail_corpus;
mod operator_cli;
mod portfolio;
mod regions;
mod result_mail;
mod secrets;
mod simulator_process;
mod state_events;
mod status_mails;
mod submission;
mod template;
mod transfer_out;
mod trust;
mod verification;
