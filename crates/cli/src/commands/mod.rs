//! One module per command, each with its arguments (`Args`) and its
//! `run`: what `internetx-bridge <command>` does is found by its name.

pub mod console;
pub mod dlq;
pub mod doctor;
pub mod domains;
pub mod import;
pub mod probe;
pub mod reseal;
pub mod resolve;
pub mod retry;
pub mod show;
pub mod sync;
pub mod transfer_out;
