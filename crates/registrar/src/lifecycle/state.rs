//! The fields of a domain item only the life cycle writes: its status, the
//! `registered` flag, the version and the ctid in flight. They are private
//! to [`crate::lifecycle`]: anywhere else the compiler refuses a write, so a
//! workflow's edit cannot change them, even by mistake.

use crate::status::Status;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifeState {
    pub(super) status: Status,
    pub(super) registered: bool,
    pub(super) version: u64,
    pub(super) ctid: Option<String>,
}

impl LifeState {
    pub fn status(&self) -> Status {
        self.status
    }

    pub fn registered(&self) -> bool {
        self.registered
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    pub fn ctid(&self) -> Option<&str> {
        self.ctid.as_deref()
    }

    /// A domain item not yet written: version 0, in `Error` until a workflow
    /// gives it its real state.
    pub(crate) fn unwritten() -> Self {
        Self {
            status: Status::Error,
            registered: false,
            version: 0,
            ctid: None,
        }
    }

    /// As a store reads it back: what the life cycle wrote before. The only
    /// way to name these fields' values from outside the life cycle, for
    /// decoding a stored item and for seeding a test's table.
    pub fn stored(status: Status, registered: bool, version: u64, ctid: Option<String>) -> Self {
        Self {
            status,
            registered,
            version,
            ctid,
        }
    }
}
