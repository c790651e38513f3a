//! The XML client's integration tests, one binary (one link, and its tests
//! run side by side): the protocol fixtures, the published examples, the
//! parsers under generated input, and the HTTPS transport (feature
//! `client`).

mod client_transport;
mod empty_elements;
mod gateway_dates;
mod parsing_never_panics;
mod protocol_fixtures;
mod published_examples;
