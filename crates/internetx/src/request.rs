//! Typed gateway requests and their XML form.
//!
//! Layout follows INTERNETX.md: `<request><auth/>[<owner/>]<language/><task>
//! <code/>…object…<reply_to/><ctid/></task></request>`. Contacts given in full
//! go inline into `ownerc`/`adminc`/`techc`/`zonec` ("create plus"), so one
//! domain operation is exactly one gateway request. InterNetX reuses an
//! existing handle whose *data* is identical (Create Plus,
//! https://help.internetx.com/display/APIXMLEN/Domain+Create+Plus); our
//! `alias` only names the handle for an operator, it is not what a retry is
//! matched by (protocol audit D17).

use std::fmt;

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::nack_reason::NackReason;

/// A value that must never reach a log: Debug and Display print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub user: String,
    pub password: Secret,
    pub context: String,
}

/// A subuser on whose behalf the request is made (`<owner>`).
#[derive(Debug, Clone)]
pub struct Subuser {
    pub user: String,
    pub context: String,
}

#[derive(Debug, Clone)]
pub struct Envelope {
    pub credentials: Credentials,
    pub owner: Option<Subuser>,
    pub language: String,
}

impl Envelope {
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            owner: None,
            language: "en".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactKind {
    Person,
    Org,
    Role,
}

impl ContactKind {
    pub fn as_xml(self) -> &'static str {
        match self {
            ContactKind::Person => "PERSON",
            ContactKind::Org => "ORG",
            ContactKind::Role => "ROLE",
        }
    }
}

/// Whois disclosure of a contact (`<protection>`). Every official Create
/// Plus / Transfer Plus example sends `B`; InterNetX's Java library names
/// `A` "all" and `B` "limited" (help.internetx.com/display/APIXMLEN/Domain+Create+Plus,
/// https://help.internetx.com/x/249QAg). What InterNetX applies when the
/// element is left out is undocumented, so it is always sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protection {
    /// `A`: show all contact data.
    All,
    /// `B`: show limited data (the official examples' choice).
    #[default]
    Limited,
}

impl Protection {
    pub fn as_xml(self) -> &'static str {
        match self {
            Protection::All => "A",
            Protection::Limited => "B",
        }
    }

    /// `A`/`B` (any case), or `all`/`limited`.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "a" | "all" => Some(Protection::All),
            "b" | "limited" => Some(Protection::Limited),
            _ => None,
        }
    }
}

/// A full contact, already validated by the caller (phone in `+49-30-1234567` form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub alias: String,
    pub kind: ContactKind,
    pub first_name: String,
    pub last_name: String,
    pub organization: Option<String>,
    pub address: Vec<String>,
    pub postal_code: String,
    pub city: String,
    pub state: Option<String>,
    pub country: String,
    pub phone: String,
    pub fax: Option<String>,
    pub email: String,
    pub protection: Protection,
    /// Registry-specific fields (`<extension><idnumber>…</idnumber>…`), in
    /// the order they are sent; the official Transfer Plus example shows a
    /// flat list (gender, idnumber, vatnumber, trademark_*, companynumber,
    /// birthday, birthplace, birthcountry).
    pub extension: Vec<(String, String)>,
}

/// A domain contact slot: an existing handle id, or a full contact block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactRef {
    Handle(String),
    Inline(Box<Contact>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nameserver {
    pub name: String,
    pub ipv4: Vec<String>,
    pub ipv6: Vec<String>,
}

/// The domain block shared by registration and transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainOrder {
    /// ASCII (punycode) name.
    pub name: String,
    /// Optional for transfers, where InterNetX imports the registry's owner.
    pub owner: Option<ContactRef>,
    pub admin: Option<ContactRef>,
    pub tech: Option<ContactRef>,
    pub zone: Option<ContactRef>,
    pub nameservers: Vec<Nameserver>,
    pub period_years: Option<u8>,
    /// `<confirm_owner_consent>1</confirm_owner_consent>`: required for
    /// gTLDs when owner data is given (Domain Object page); the official
    /// JSON transfer example and a production client send it on every
    /// transfer that carries an owner.
    pub confirm_owner_consent: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskKind {
    /// `0101`: domain registration.
    DomainCreate(DomainOrder),
    /// `0104`: transfer in, with the auth code in `<authinfo>`.
    DomainTransfer {
        order: DomainOrder,
        auth_code: Secret,
    },
    /// `0105`: domain info.
    DomainInfo { name: String },
    /// `0105` with a `view`: one page of the account's domains, with the
    /// fields a sync needs. Form as InterNetX's list-inquire example
    /// (https://help.internetx.com/display/APIXMLEN/Single+Inquire: `view`
    /// with `offset`, `limit`, `children`) and the `key` selection of the
    /// DomainInquireList fixture (`tillkahlbrock/autodns-api`).
    DomainList { offset: u64, limit: u64 },
    /// `0102`: domain update: the contacts and/or the name-server set given
    /// (what is `None` stays as it is). `confirm_owner_consent` is required
    /// for gTLDs when the owner's name, organisation or e-mail changes.
    DomainUpdate(DomainUpdate),
    /// `0103101`: a cancelation at expiry (`type delete`, `execdate expire`):
    /// the domain stays live until it would have been renewed.
    CancelationAtExpiry { name: String },
    /// `0103103`: the cancelation at expiry withdrawn (cancelation delete;
    /// the form a production client sends, INTERNETX-SOURCES §3.3).
    CancelationDelete { name: String },
    /// `0113001`: AuthInfo1 Create — the answer carries the code in
    /// `status/object/value` (type `authinfo`); an existing one comes back
    /// with `E0113001`/`EF011316`
    /// (https://help.internetx.com/display/APIXMLDE/AuthInfo1+Create).
    AuthInfoCreate { name: String },
    /// `0113005`: InterNetX sends the auth code to the domain's owner
    /// itself (OpenAPI route summary "send AuthInfo to owner-c").
    AuthInfoToOwner { name: String },
    /// `0113003`: AuthInfo2 — the registry sends a one-time code to the
    /// owner (DENIC by post), for DE, EU, NO and BE ([`crate::authinfo`]);
    /// the XML example `<code>0113003</code><domain><name/></domain>` and
    /// the synchronous `S0113003` are on https://help.internetx.com/x/cY9QAg.
    AuthInfo2 { name: String },
    /// `0102002`: the registry status (`LOCK`, `ACTIVE`, …) — Domain Status
    /// Update, "only possible for gTLDs"
    /// (https://help.internetx.com/display/APIXMLEN/Domain+Status+Update).
    RegistryStatus { name: String, status: String },
    /// `0106002`: the answer to an outgoing transfer another registrar
    /// asked for. The task code is the OpenAPI's "TransferOut Answer
    /// (0106002)"; the body `<transfer><domain/><type>ack|nack</type>
    /// <nack_reason/></transfer>` is the Transfer object's
    /// (https://help.internetx.com/pages/viewpage.action?pageId=43811817:
    /// `nack_reason` "only for type nack, mandatory here") and what two
    /// client libraries send (magora-labs/autodns-api `DomainTransferAck.php`
    /// and `DomainTransferNack.php`, intermetrics/autodns-api
    /// `Task/TransferOut.php`).
    TransferOutAnswer {
        name: String,
        answer: TransferOutAnswer,
    },
    /// `0106001`: whether an outgoing transfer of the domain is pending
    /// (OpenAPI "TransferOut Info (0106001)", `GET /transferout/{name}`,
    /// protocol audit D22). The body `<transfer><domain><name/></domain>
    /// </transfer>` is what intermetrics/autodns-api
    /// `Task/TransferOutInfo.php` sends: unlike `0106002`, the domain is an
    /// object with a name there.
    TransferOutInfo { name: String },
    /// `0344`: Contact Verification Info — where the owner handle's ICANN
    /// verification stands ([`crate::verification`]). `domain` is the
    /// domain it is asked for: ours to correlate, not sent (a verification
    /// is the handle's).
    VerificationInfo { handle: String, domain: String },
    /// `0341`: Contact Verification Create — starts a verification of the
    /// handle. InterNetX starts one by itself after a gTLD registration,
    /// transfer or owner change (ICANN's RAA), so no workflow sends it;
    /// the probe and the simulator know it.
    VerificationStart { handle: String, domain: String },
    /// `0349`: Contact Verification Resend — the verification mail again,
    /// `<handle_verification><handle><id>` (help.internetx.com/x/JwBWAw).
    VerificationResend { handle: String, domain: String },
}

/// What the holder answers to an outgoing transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferOutAnswer {
    /// The transfer may go ahead.
    Ack,
    /// Refused, with one of the documented reasons (sent as its number).
    Nack { reason: NackReason },
}

impl TransferOutAnswer {
    /// The Transfer object's `type`.
    pub fn as_xml(&self) -> &'static str {
        match self {
            TransferOutAnswer::Ack => "ack",
            TransferOutAnswer::Nack { .. } => "nack",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainUpdate {
    pub name: String,
    pub owner: Option<ContactRef>,
    pub admin: Option<ContactRef>,
    pub tech: Option<ContactRef>,
    pub zone: Option<ContactRef>,
    pub nameservers: Option<Vec<Nameserver>>,
    pub confirm_owner_consent: bool,
}

impl TaskKind {
    pub fn code(&self) -> &'static str {
        match self {
            TaskKind::DomainCreate(_) => "0101",
            TaskKind::DomainTransfer { .. } => "0104",
            TaskKind::DomainInfo { .. } | TaskKind::DomainList { .. } => "0105",
            TaskKind::DomainUpdate(_) => "0102",
            TaskKind::CancelationAtExpiry { .. } => "0103101",
            TaskKind::CancelationDelete { .. } => "0103103",
            TaskKind::RegistryStatus { .. } => "0102002",
            TaskKind::AuthInfoCreate { .. } => "0113001",
            TaskKind::AuthInfoToOwner { .. } => "0113005",
            TaskKind::AuthInfo2 { .. } => "0113003",
            TaskKind::TransferOutAnswer { .. } => "0106002",
            TaskKind::TransferOutInfo { .. } => "0106001",
            TaskKind::VerificationInfo { .. } => "0344",
            TaskKind::VerificationStart { .. } => "0341",
            TaskKind::VerificationResend { .. } => "0349",
        }
    }

    /// The domain the task is about.
    pub fn domain_name(&self) -> &str {
        match self {
            TaskKind::DomainCreate(order) | TaskKind::DomainTransfer { order, .. } => &order.name,
            TaskKind::DomainUpdate(update) => &update.name,
            TaskKind::DomainInfo { name }
            | TaskKind::CancelationAtExpiry { name }
            | TaskKind::CancelationDelete { name }
            | TaskKind::AuthInfoCreate { name }
            | TaskKind::AuthInfoToOwner { name }
            | TaskKind::AuthInfo2 { name }
            | TaskKind::RegistryStatus { name, .. }
            | TaskKind::TransferOutAnswer { name, .. }
            | TaskKind::TransferOutInfo { name } => name,
            TaskKind::VerificationInfo { domain, .. }
            | TaskKind::VerificationStart { domain, .. }
            | TaskKind::VerificationResend { domain, .. } => domain,
            TaskKind::DomainList { .. } => "",
        }
    }
}

/// One task with our correlation data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub kind: TaskKind,
    pub ctid: String,
    pub reply_to: Option<String>,
}

impl Task {
    /// The request document, ready to post (contains the password).
    pub fn to_xml(&self, envelope: &Envelope) -> String {
        let mut w = XmlOut::new();
        w.open("request");
        w.open("auth");
        w.leaf("user", &envelope.credentials.user);
        w.leaf("password", envelope.credentials.password.expose());
        w.leaf("context", &envelope.credentials.context);
        w.close("auth");
        if let Some(owner) = &envelope.owner {
            w.open("owner");
            w.leaf("user", &owner.user);
            w.leaf("context", &owner.context);
            w.close("owner");
        }
        w.leaf("language", &envelope.language);
        w.open("task");
        w.leaf("code", self.kind.code());
        match &self.kind {
            TaskKind::DomainCreate(order) => write_domain(&mut w, order, None),
            TaskKind::DomainTransfer { order, auth_code } => {
                write_domain(&mut w, order, Some(auth_code))
            }
            TaskKind::DomainInfo { name }
            | TaskKind::AuthInfoCreate { name }
            | TaskKind::AuthInfoToOwner { name }
            | TaskKind::AuthInfo2 { name } => {
                w.open("domain");
                w.leaf("name", name);
                w.close("domain");
            }
            TaskKind::DomainList { offset, limit } => {
                w.open("view");
                w.leaf("offset", &offset.to_string());
                w.leaf("limit", &limit.to_string());
                w.leaf("children", "0");
                w.close("view");
                for key in LIST_KEYS {
                    w.leaf("key", key);
                }
                // A fixed order, so that an offset saved by one run still
                // points into the same sequence the next (the Order object
                // of a list inquiry, https://help.internetx.com/x/hBHj; its
                // XML form as etobi/php-schlundtech-autodns sends it).
                w.open("order");
                w.leaf("key", "name");
                w.leaf("mode", "ASC");
                w.close("order");
            }
            TaskKind::DomainUpdate(update) => {
                w.open("domain");
                w.leaf("name", &update.name);
                for (slot, contact) in [
                    ("ownerc", &update.owner),
                    ("adminc", &update.admin),
                    ("techc", &update.tech),
                    ("zonec", &update.zone),
                ] {
                    if let Some(contact) = contact {
                        write_contact(&mut w, slot, contact);
                    }
                }
                for ns in update.nameservers.iter().flatten() {
                    write_nameserver(&mut w, ns);
                }
                if update.confirm_owner_consent {
                    w.leaf("confirm_owner_consent", "1");
                }
                w.close("domain");
            }
            TaskKind::CancelationAtExpiry { name } => {
                w.open("cancelation");
                w.leaf("domain", name);
                w.leaf("type", "delete");
                w.leaf("execdate", "expire");
                w.close("cancelation");
            }
            TaskKind::CancelationDelete { name } => {
                w.open("cancelation");
                w.leaf("domain", name);
                w.leaf("execdate", "expire");
                w.close("cancelation");
            }
            TaskKind::RegistryStatus { name, status } => {
                w.open("domain");
                w.leaf("name", name);
                w.leaf("registry_status", status);
                w.close("domain");
            }
            TaskKind::TransferOutAnswer { name, answer } => {
                w.open("transfer");
                w.leaf("domain", name);
                w.leaf("type", answer.as_xml());
                if let TransferOutAnswer::Nack { reason } = answer {
                    w.leaf("nack_reason", &reason.number().to_string());
                }
                w.close("transfer");
            }
            TaskKind::TransferOutInfo { name } => {
                w.open("transfer");
                w.open("domain");
                w.leaf("name", name);
                w.close("domain");
                w.close("transfer");
            }
            TaskKind::VerificationInfo { handle, .. }
            | TaskKind::VerificationStart { handle, .. }
            | TaskKind::VerificationResend { handle, .. } => {
                w.open("handle_verification");
                w.open("handle");
                w.leaf("id", handle);
                w.close("handle");
                w.close("handle_verification");
            }
        }
        if let Some(reply_to) = &self.reply_to {
            w.leaf("reply_to", reply_to);
        }
        w.leaf("ctid", &self.ctid);
        w.close("task");
        w.close("request");
        w.finish()
    }
}

/// Element order as the production client's `0104` (name, authinfo,
/// contacts, name servers, confirmations); `period` where the Domain object
/// lists it, after the name servers.
fn write_domain(w: &mut XmlOut, order: &DomainOrder, auth_code: Option<&Secret>) {
    w.open("domain");
    w.leaf("name", &order.name);
    if let Some(code) = auth_code {
        w.leaf("authinfo", code.expose());
    }
    for (slot, contact) in [
        ("ownerc", &order.owner),
        ("adminc", &order.admin),
        ("techc", &order.tech),
        ("zonec", &order.zone),
    ] {
        if let Some(contact) = contact {
            write_contact(w, slot, contact);
        }
    }
    for ns in &order.nameservers {
        write_nameserver(w, ns);
    }
    if let Some(period) = order.period_years {
        w.leaf("period", &period.to_string());
    }
    w.leaf("confirm_order", "1");
    if order.confirm_owner_consent {
        w.leaf("confirm_owner_consent", "1");
    }
    w.close("domain");
}

/// The fields a domain list is asked for besides the name: the job's
/// status (only a finished domain is adopted), the dates, registry status
/// (lock), renewal and cancelation state, name servers. Each but
/// `autorenew` (a Domain object keyword) is a key a production list asks
/// for (sourcedesk `massDomainSync()`, protocol audit §2.5); which ones a
/// list honours is one of the probe's questions. `ownerc` (a Domain object
/// keyword) names the owner handle an ICANN verification is asked for by.
pub const LIST_KEYS: [&str; 9] = [
    "created",
    "payable",
    "expire",
    "status",
    "registry_status",
    "autorenew",
    "cancelation",
    "nserver",
    "ownerc",
];
fn write_nameserver(w: &mut XmlOut, ns: &Nameserver) {
    w.open("nserver");
    w.leaf("name", &ns.name);
    for ip in &ns.ipv4 {
        w.leaf("ip", ip);
    }
    for ip in &ns.ipv6 {
        w.leaf("ip6", ip);
    }
    w.close("nserver");
}

fn write_contact(w: &mut XmlOut, slot: &str, contact: &ContactRef) {
    match contact {
        ContactRef::Handle(id) => w.leaf(slot, id),
        ContactRef::Inline(c) => {
            w.open(slot);
            w.leaf("alias", &c.alias);
            w.leaf("type", c.kind.as_xml());
            w.leaf("fname", &c.first_name);
            w.leaf("lname", &c.last_name);
            if let Some(org) = &c.organization {
                w.leaf("organization", org);
            }
            for line in &c.address {
                w.leaf("address", line);
            }
            w.leaf("pcode", &c.postal_code);
            w.leaf("city", &c.city);
            if let Some(state) = &c.state {
                w.leaf("state", state);
            }
            w.leaf("country", &c.country);
            w.leaf("phone", &c.phone);
            if let Some(fax) = &c.fax {
                w.leaf("fax", fax);
            }
            w.leaf("email", &c.email);
            w.leaf("protection", c.protection.as_xml());
            if !c.extension.is_empty() {
                w.open("extension");
                for (name, value) in &c.extension {
                    w.leaf(name, value);
                }
                w.close("extension");
            }
            w.close(slot);
        }
    }
}

/// quick-xml's writer over a byte buffer; writing into a `Vec` cannot fail.
struct XmlOut(Writer<Vec<u8>>);

impl XmlOut {
    fn new() -> Self {
        let mut w = Writer::new(Vec::with_capacity(2048));
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
            .expect("writing to a Vec cannot fail");
        Self(w)
    }
    fn open(&mut self, name: &str) {
        self.event(Event::Start(BytesStart::new(name)));
    }
    fn close(&mut self, name: &str) {
        self.event(Event::End(BytesEnd::new(name)));
    }
    fn leaf(&mut self, name: &str, text: &str) {
        self.open(name);
        self.event(Event::Text(BytesText::new(text)));
        self.close(name);
    }
    fn event(&mut self, event: Event<'_>) {
        self.0
            .write_event(event)
            .expect("writing to a Vec cannot fail");
    }
    fn finish(self) -> String {
        // quick-xml writes only the UTF-8 text we give it.
        String::from_utf8(self.0.into_inner()).expect("XML built from &str is UTF-8")
    }
}
