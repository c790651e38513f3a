//! Moves that InterNetX's view of the whole account decides: a domain gone
//! from the account (transferred away, deleted after its cancelation), back
//! in it, or adopted from it — and the check a registry event asks for.

use super::Transition;
use crate::status::{Operation, Status};

impl Transition {
    /// Domain info shows the domain gone from the account: `TransferredAway`
    /// or `Deleted`. Whatever was waiting for it is void.
    pub fn left_account(&mut self, to: Status, reason: String) -> &mut Self {
        debug_assert!(matches!(to, Status::TransferredAway | Status::Deleted));
        let r = &mut self.record;
        r.life_mut().status = to;
        r.life_mut().registered = false;
        r.last_ctid = r.life_mut().ctid.take().or(r.last_ctid.take());
        r.requested_nameservers = None;
        r.requested_contacts = None;
        r.pending_auth_code = None;
        r.last_error = Some(reason);
        self
    }

    /// Domain info shows a domain the table had given up as gone back in
    /// the account (transferred back, restored): `Registered` again.
    pub fn back_in_account(&mut self) -> &mut Self {
        let r = &mut self.record;
        r.life_mut().status = Status::Registered;
        r.life_mut().registered = true;
        r.last_error = None;
        self
    }

    /// A domain InterNetX holds and the table did not know, adopted as it
    /// is: `Registered`, operation `import`.
    pub fn imported(&mut self) -> &mut Self {
        let r = &mut self.record;
        r.life_mut().status = Status::Registered;
        r.operation = Operation::Import;
        r.life_mut().registered = true;
        self
    }

    /// Asks the sync for a domain-info check of this domain (a registry
    /// event's kind): never a change of the domain item.
    pub fn hint(&mut self, kind: impl Into<String>) -> &mut Self {
        self.hint = Some(kind.into());
        self
    }
}
