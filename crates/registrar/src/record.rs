//! The domain item: what the domain table holds about one domain.
//! Its status, version, `registered` flag and ctid are written only by
//! [`crate::lifecycle`]: they live in a [`LifeState`] whose fields only the
//! life cycle can set, and are read here through getters.

use std::collections::BTreeMap;
use std::str::FromStr;

use time::OffsetDateTime;

use crate::lifecycle::LifeState;
use crate::log::timestamp;

use crate::status::{Operation, Status, UnknownName};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Provider,
    Customer,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Provider => "provider",
            AccountKind::Customer => "customer",
        }
    }
}

impl FromStr for AccountKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "provider" => Ok(AccountKind::Provider),
            "customer" => Ok(AccountKind::Customer),
            other => Err(UnknownName {
                what: "account kind",
                value: other.to_owned(),
            }),
        }
    }
}

/// The domain item (`pk = DOMAIN#<name>`, `sk = DOMAIN`).
///
/// Its life-cycle fields are read through getters:
///
/// ```
/// use registrar::{AccountKind, DomainRecord, Operation, Status};
/// let r = DomainRecord::new("a.com", "a.com", Operation::Register, "A",
///     AccountKind::Provider, time::OffsetDateTime::UNIX_EPOCH);
/// assert_eq!((r.status(), r.version(), r.ctid()), (Status::Error, 0, None));
/// ```
///
/// and written by the life cycle alone: anywhere else the compiler says no.
///
/// ```compile_fail
/// use registrar::{AccountKind, DomainRecord, Operation, Status};
/// let mut r = DomainRecord::new("a.com", "a.com", Operation::Register, "A",
///     AccountKind::Provider, time::OffsetDateTime::UNIX_EPOCH);
/// r.life_mut().status = Status::Registered;
/// ```
///
/// ```compile_fail
/// use registrar::{AccountKind, DomainRecord, Operation, Status};
/// let mut r = DomainRecord::new("a.com", "a.com", Operation::Register, "A",
///     AccountKind::Provider, time::OffsetDateTime::UNIX_EPOCH);
/// let mut life = r.life().clone();
/// life.status = Status::Registered;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRecord {
    pub domain: String,
    pub domain_unicode: String,
    /// Status, `registered`, version and ctid: the life cycle's alone.
    life: LifeState,
    pub operation: Operation,
    pub account_id: String,
    pub account_kind: AccountKind,
    pub order_id: Option<String>,
    /// The ctid of the last operation that was settled (to spot repeats).
    pub last_ctid: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The event that started the current operation (`ORDER#…#ITEM#…` / `REQUEST#…`).
    pub request_ref: Option<String>,
    /// When the operation in flight was sent (for reconciliation).
    pub operation_started_at: Option<String>,
    pub stid: Option<String>,
    pub job_id: Option<String>,
    /// When InterNetX first showed it has the operation in flight (its
    /// answer, or any authenticated mail for the ctid): from then on the
    /// operation is never sent again by the bridge.
    pub acknowledged_at: Option<String>,
    /// Since when the last operation's outcome is unknown: given up
    /// without InterNetX's word, or settled as `Error` by hand while in
    /// flight. InterNetX may hold it, so nothing sends it again (no retry,
    /// no new order) until an operator confirms InterNetX has no job for it.
    pub outcome_unknown_since: Option<String>,
    /// The registration or transfer request as JSON, auth code removed:
    /// kept while `AwaitingPayment`, and once sent, so it can be retried.
    pub pending_request: Option<String>,
    /// Its auth code, sealed (never in clear).
    pub pending_auth_code: Option<String>,
    /// An auth code InterNetX just issued for the customer, sealed: only on
    /// its way into the status mail's notice, never written on the item.
    pub issued_auth_code: Option<String>,
    /// Name servers as last confirmed (or sent with the registration).
    pub nameservers: Vec<String>,
    /// The name-server set of a change in flight; stored as `nameservers`
    /// once InterNetX confirms it.
    pub requested_nameservers: Option<Vec<String>>,
    /// Contact handles by slot (`owner`, `admin`, `tech`, `zone`): the
    /// InterNetX handle id, or our alias for a contact sent in full.
    pub contacts: BTreeMap<String, String>,
    /// The contact slots of a change in flight.
    pub requested_contacts: Option<BTreeMap<String, String>>,
    /// Where status mails go (`account.email` of the event that created or
    /// last ordered the domain) and in which language.
    pub notify_email: Option<String>,
    pub notify_language: Option<String>,
    /// What InterNetX's account shows of the domain, as the last sync or
    /// domain-info check found it.
    pub portfolio: Portfolio,
}

/// The domain as InterNetX's domain data shows it (CONTRACT.md §2:
/// `expires_at`, `payable_at`, `cancel_at`, `synced_at`, `locked`), plus
/// what differed from the table the last time it was compared.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Portfolio {
    pub expires_at: Option<String>,
    pub payable_at: Option<String>,
    /// When a cancelation at expiry takes effect (the expiry date).
    pub cancel_at: Option<String>,
    pub synced_at: Option<String>,
    pub locked: Option<bool>,
    pub registry_status: Option<String>,
    /// One line: how the table and InterNetX disagreed at the last
    /// comparison; absent when they agreed.
    pub drift: Option<String>,
    /// The lock a change in flight asks for; `locked` once confirmed.
    pub requested_lock: Option<bool>,
    /// Until when the auth code last sent to the customer is valid (.de only:
    /// DENIC's 30 days; no validity is published for other TLDs;
    /// the code itself is never on the item).
    pub auth_code_expires_at: Option<String>,
    /// Whether InterNetX will renew the domain by itself (its `autorenew`):
    /// false in an account in AutoDelete mode, or once it is cancelled.
    pub autorenew: Option<bool>,
    /// The owner's ICANN contact verification, for TLDs that need it.
    pub owner_verification: Option<Verification>,
    /// The date by which the owner must be verified.
    pub verification_deadline: Option<String>,
    /// The registry holds the domain (an unverified owner, say); the
    /// status stays what it is.
    pub hold: Option<bool>,
    /// The owner's InterNetX handle id (`ownerc`, as the last domain info
    /// or list showed it): what a contact verification is asked for by.
    pub owner_handle: Option<String>,
    /// Where InterNetX sent the latest verification mail (`0344`).
    pub verification_email: Option<String>,
}

/// Where the owner's ICANN contact verification stands (CONTRACT.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    Pending,
    Verified,
    Failed,
}

impl Verification {
    pub fn as_str(self) -> &'static str {
        match self {
            Verification::Pending => "pending",
            Verification::Verified => "verified",
            Verification::Failed => "failed",
        }
    }
}

impl FromStr for Verification {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pending" => Ok(Verification::Pending),
            "verified" => Ok(Verification::Verified),
            "failed" => Ok(Verification::Failed),
            other => Err(UnknownName {
                what: "owner verification",
                value: other.to_owned(),
            }),
        }
    }
}

impl DomainRecord {
    pub fn status(&self) -> Status {
        self.life.status()
    }

    /// InterNetX accepted its registration or transfer.
    pub fn registered(&self) -> bool {
        self.life.registered()
    }

    /// The item's version, bumped by every state change.
    pub fn version(&self) -> u64 {
        self.life.version()
    }

    /// Client transaction id of the operation in flight.
    pub fn ctid(&self) -> Option<&str> {
        self.life.ctid()
    }

    pub fn life(&self) -> &LifeState {
        &self.life
    }

    /// For the life cycle: whose fields only it can set.
    pub(crate) fn life_mut(&mut self) -> &mut LifeState {
        &mut self.life
    }

    /// The item as a store read it back (or a test seeds it).
    pub fn with_stored_life(mut self, life: LifeState) -> Self {
        self.life = life;
        self
    }

    /// Whether the domain is held for its account (CONTRACT.md §1,
    /// Ownership): InterNetX accepted its registration or transfer
    /// (`registered`), or it was imported — and it has not left the account
    /// since. Before that, the item reserves nothing against other accounts.
    pub fn ownership_binds(&self) -> bool {
        (self.registered() || self.operation == Operation::Import)
            && !matches!(self.status(), Status::TransferredAway | Status::Deleted)
    }

    /// A domain item not yet written (version 0), in `Error` until a
    /// workflow gives it its real state.
    pub fn new(
        ascii: &str,
        unicode: &str,
        operation: Operation,
        account_id: &str,
        account_kind: AccountKind,
        at: OffsetDateTime,
    ) -> Self {
        let now = timestamp(at);
        Self {
            domain: ascii.to_owned(),
            domain_unicode: unicode.to_owned(),
            life: LifeState::unwritten(),
            operation,
            account_id: account_id.to_owned(),
            account_kind,
            order_id: None,
            last_ctid: None,
            last_error: None,
            created_at: now.clone(),
            updated_at: now,
            request_ref: None,
            operation_started_at: None,
            stid: None,
            job_id: None,
            acknowledged_at: None,
            outcome_unknown_since: None,
            pending_request: None,
            pending_auth_code: None,
            issued_auth_code: None,
            nameservers: Vec::new(),
            requested_nameservers: None,
            contacts: BTreeMap::new(),
            requested_contacts: None,
            notify_email: None,
            notify_language: None,
            portfolio: Portfolio::default(),
        }
    }
}
