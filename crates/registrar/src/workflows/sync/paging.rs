//! Paging through InterNetX's domain list across runs.

/// Where the next page of the domain list starts, `None` at its end. The
/// next page starts after what this one held: a gateway that caps `limit`
/// below what was asked (no maximum is documented) gives shorter pages,
/// and the sweep neither stops early nor skips. The list's `summary` (its
/// total) says where it ends; without one, a short page does (protocol
/// audit D23).
pub(crate) fn next_offset(offset: u64, asked: u64, got: usize, total: Option<u64>) -> Option<u64> {
    let got = got as u64;
    if got == 0 {
        return None;
    }
    let next = offset + got;
    match total {
        Some(total) => (next < total).then_some(next),
        None => (got >= asked).then_some(next),
    }
}
