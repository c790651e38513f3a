//! The domain's status machine (CONTRACT.md §2): [`Status::allows`] is the
//! one policy table, which [`crate::lifecycle`] checks on every write.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    AwaitingPayment,
    Registering,
    Transferring,
    Updating,
    Cancelling,
    Registered,
    Cancelled,
    Error,
    /// Gone from the account to another registrar (a transfer-out), as
    /// InterNetX's domain info confirmed.
    TransferredAway,
    /// Gone from the account after its cancelation took effect.
    Deleted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    Register,
    Transfer,
    UpdateNameservers,
    UpdateContacts,
    Cancel,
    /// Adopted from the InterNetX account (`internetx-bridge import`).
    Import,
    /// The registry's transfer lock set or lifted (`0102002`).
    ChangeLock,
    /// A cancelation at expiry withdrawn (`0103103`).
    WithdrawCancel,
    /// An auth code for a transfer away (`0113001`, or `0113005` to the owner).
    AuthCode,
    /// The answer to an outgoing transfer another registrar asked for
    /// (`0106002`, ack or nack).
    AnswerTransferOut,
    /// The owner's ICANN verification mail sent again (`0349`).
    ResendVerification,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Status::AwaitingPayment,
        Status::Registering,
        Status::Transferring,
        Status::Updating,
        Status::Cancelling,
        Status::Registered,
        Status::Cancelled,
        Status::Error,
        Status::TransferredAway,
        Status::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::AwaitingPayment => "AwaitingPayment",
            Status::Registering => "Registering",
            Status::Transferring => "Transferring",
            Status::Updating => "Updating",
            Status::Cancelling => "Cancelling",
            Status::Registered => "Registered",
            Status::Cancelled => "Cancelled",
            Status::Error => "Error",
            Status::TransferredAway => "TransferredAway",
            Status::Deleted => "Deleted",
        }
    }

    /// An operation was sent and its final result is still to come.
    pub fn in_flight(self) -> bool {
        matches!(
            self,
            Status::Registering | Status::Transferring | Status::Updating | Status::Cancelling
        )
    }

    /// Whether the domain may move from `self` to `to`. `None` as the source
    /// means "no domain item yet".
    pub fn allows(from: Option<Status>, to: Status) -> bool {
        use Status::*;
        match (from, to) {
            (None, AwaitingPayment | Registering | Transferring | Error) => true,
            // Only an import creates an item as it is at InterNetX.
            (None, Registered) => true,
            (None, _) => false,
            (Some(AwaitingPayment), AwaitingPayment | Registering | Transferring | Error) => true,
            (Some(Error), AwaitingPayment | Registering | Transferring | Error) => true,
            (Some(Registering | Transferring | Updating), Registered | Error) => true,
            (Some(Cancelling), Cancelled | Error) => true,
            (Some(Registered), Updating | Cancelling) => true,
            // Withdrawing a cancelation (a late payment): the change workflow
            // allows only that operation from `Cancelled`.
            (Some(Cancelled), Updating) => true,
            // … and a refused withdrawal leaves it cancelled.
            (Some(Updating), Cancelled) => true,
            // Only an operator moves a domain with nothing in flight out of
            // `Error` this way: `resolve` after checking at InterNetX, or
            // `retry` of a failed cancellation. No mail or answer can, as
            // they settle only the ctid in flight.
            (Some(Error), Registered | Cancelled | Cancelling) => true,
            // InterNetX's final result contradicts how the operation was
            // settled (domain info, an operator): its word wins.
            (Some(Registered | Cancelled), Error) => true,
            // A cancelled domain can be ordered again once it is gone at InterNetX.
            (Some(Cancelled), Registering | Transferring | AwaitingPayment) => true,
            // Domain info (sync, or the check a registry event triggers)
            // shows the domain gone from the account: transferred away, or
            // deleted after its cancelation. Never while one of our own
            // registrations or transfers runs (it is absent until done).
            (Some(Registered | Updating | Cancelling | Cancelled | Error), TransferredAway) => true,
            (Some(Registered | Cancelling | Cancelled | Error), Deleted) => true,
            // Back in the account (transferred back, restored), or ordered again.
            (
                Some(TransferredAway | Deleted),
                Registered | Registering | Transferring | AwaitingPayment | Error,
            ) => true,
            _ => false,
        }
    }
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Register => "register",
            Operation::Transfer => "transfer",
            Operation::UpdateNameservers => "update_nameservers",
            Operation::UpdateContacts => "update_contacts",
            Operation::Cancel => "cancel",
            Operation::Import => "import",
            Operation::ChangeLock => "update_lock",
            Operation::WithdrawCancel => "withdraw_cancellation",
            Operation::AuthCode => "auth_code",
            Operation::AnswerTransferOut => "answer_transfer_out",
            Operation::ResendVerification => "resend_verification",
        }
    }

    /// The status while this operation is in flight.
    pub fn pending_status(self) -> Status {
        match self {
            Operation::Register => Status::Registering,
            Operation::Transfer => Status::Transferring,
            Operation::UpdateNameservers
            | Operation::UpdateContacts
            | Operation::ChangeLock
            | Operation::WithdrawCancel
            | Operation::AuthCode
            | Operation::AnswerTransferOut
            | Operation::ResendVerification => Status::Updating,
            Operation::Cancel => Status::Cancelling,
            // Never in flight: an import is recorded as it is found.
            Operation::Import => Status::Registered,
        }
    }

    /// The status once InterNetX confirmed it.
    pub fn done_status(self) -> Status {
        match self {
            Operation::Cancel => Status::Cancelled,
            _ => Status::Registered,
        }
    }

    /// The status once it failed: `Error`, except for the operations
    /// whose refusal changes nothing about the domain — an auth code, a
    /// lock change, a cancelation withdrawal, a transfer-out answer, a
    /// verification resend. The
    /// domain stays as it was (`Registered`, or `Cancelled` for a
    /// withdrawal) with the reason in `last_error`: `Error`
    /// would block every later change of a healthy domain, and the event
    /// behind the request may be anyone's (security review N11).
    pub fn failed_status(self) -> Status {
        match self {
            // Only a `Cancelled` domain is withdrawn: it stays cancelled.
            Operation::WithdrawCancel => Status::Cancelled,
            _ if self.refusal_changes_nothing() => Status::Registered,
            _ => Status::Error,
        }
    }

    /// See [`Operation::failed_status`].
    pub fn refusal_changes_nothing(self) -> bool {
        matches!(
            self,
            Operation::AnswerTransferOut
                | Operation::AuthCode
                | Operation::ChangeLock
                | Operation::WithdrawCancel
                | Operation::ResendVerification
        )
    }

    /// Words for log lines: "registration of example.de".
    pub fn noun(self) -> &'static str {
        match self {
            Operation::Register => "registration",
            Operation::Transfer => "transfer",
            Operation::UpdateNameservers => "name-server change",
            Operation::UpdateContacts => "contact change",
            Operation::Cancel => "cancellation",
            Operation::Import => "import",
            Operation::ChangeLock => "transfer-lock change",
            Operation::WithdrawCancel => "cancellation withdrawal",
            Operation::AuthCode => "auth-code request",
            Operation::AnswerTransferOut => "transfer-out answer",
            Operation::ResendVerification => "owner-verification resend",
        }
    }
}

/// A status move [`Status::allows`] forbids.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{domain}: the status may not move from {} to {to}", from.map_or("(new)", Status::as_str))]
pub struct TransitionRefused {
    pub domain: String,
    pub from: Option<Status>,
    pub to: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
}

impl FromStr for Status {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownName {
                what: "status",
                value: s.to_owned(),
            })
    }
}

impl FromStr for Operation {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Operation::Register,
            Operation::Transfer,
            Operation::UpdateNameservers,
            Operation::UpdateContacts,
            Operation::Cancel,
            Operation::Import,
            Operation::ChangeLock,
            Operation::WithdrawCancel,
            Operation::AuthCode,
            Operation::AnswerTransferOut,
            Operation::ResendVerification,
        ]
        .into_iter()
        .find(|op| op.as_str() == s)
        .ok_or_else(|| UnknownName {
            what: "operation",
            value: s.to_owned(),
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for st in Status::ALL {
            assert_eq!(st.as_str().parse::<Status>().unwrap(), st);
        }
        assert!("registered".parse::<Status>().is_err());
    }

    #[test]
    fn life_cycles_of_the_contract_are_allowed() {
        use Status::*;
        let paths: &[&[Option<Status>]] = &[
            &[
                None,
                Some(AwaitingPayment),
                Some(Registering),
                Some(Registered),
            ],
            &[
                None,
                Some(Transferring),
                Some(Registered),
                Some(Updating),
                Some(Registered),
            ],
            &[Some(Registered), Some(Cancelling), Some(Cancelled)],
            &[None, Some(Registering), Some(Error), Some(Registering)],
        ];
        for path in paths {
            for pair in path.windows(2) {
                assert!(Status::allows(pair[0], pair[1].unwrap()), "{pair:?}");
            }
        }
    }

    #[test]
    fn nothing_jumps_over_the_gateway_or_leaves_a_final_state_sideways() {
        use Status::*;
        assert!(!Status::allows(Some(AwaitingPayment), Registered));
        assert!(!Status::allows(Some(Registered), Registering));
        assert!(!Status::allows(Some(Registering), Transferring));
        assert!(!Status::allows(Some(Cancelling), Registered));
        assert!(!Status::allows(Some(Cancelled), Registered));
        assert!(!Status::allows(Some(Registered), AwaitingPayment));
        assert!(!Status::allows(Some(Registering), TransferredAway));
        assert!(!Status::allows(Some(Transferring), Deleted));
        assert!(!Status::allows(None, TransferredAway));
    }

    #[test]
    fn a_domain_leaves_and_may_come_back() {
        use Status::*;
        for from in [Registered, Cancelled, Error] {
            assert!(Status::allows(Some(from), TransferredAway), "{from}");
        }
        assert!(Status::allows(Some(Cancelled), Deleted));
        assert!(Status::allows(Some(TransferredAway), Registered));
        assert!(Status::allows(Some(Deleted), Registering));
    }
}
