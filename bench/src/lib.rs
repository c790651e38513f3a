//! What the benchmarks share: the AWS bill of a measured run (`cost`).

pub mod cost;
