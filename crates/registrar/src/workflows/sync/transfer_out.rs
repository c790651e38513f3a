//! Outgoing transfers: another registrar asked for one of the account's
//! domains (`transfer_start`), and InterNetX lets the holder answer —
//! `0106002` ack or nack — until its own deadline, when it decides by
//! itself (gTLDs: auto-ACK; Processing Transfer-Out Jobs,
//! https://en.help.internetx.com/display/APIXMLEN/Processing+Transfer-Out+Jobs).
//!
//! The event comes by mail from anyone, so it only says "look": the sync
//! answers it per the provider's policy, through the same claim → send →
//! record cycle as every change. A forged event cannot do more than the
//! genuine one would: InterNetX refuses an answer for a transfer that is not
//! pending, and the policy answers every pending transfer alike.

use internetx::{AnswerKind, Task, TaskKind, TransferOutAnswer};

use crate::event::{ChangeInput, ChangeRequested};
use crate::lifecycle::{Step, Transition};
use crate::log::{action, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, Gateway, Hint, StoreError};
use crate::record::AccountKind;
use crate::record::DomainRecord;
use crate::report::{ItemOutcome, ItemReport, Report};
use crate::request::{new_ctid, Account};
use crate::status::{Operation, Status};
use crate::workflows::Registrar;

/// What a sync run answers when a registry event reports an outgoing
/// transfer (`TRANSFER_OUT_POLICY`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TransferOutPolicy {
    /// Nothing is answered by itself: the operator answers with
    /// `internetx-bridge transfer-out`, or InterNetX's default applies at
    /// its deadline. The domain's log says which.
    #[default]
    Operator,
    /// Every reported transfer is acknowledged.
    Ack,
    /// Refused while the domain's transfer lock is on (with this
    /// `nack_reason`); otherwise left to the operator or InterNetX's default.
    NackWhileLocked { reason: internetx::NackReason },
}

/// Event kinds that can report a pending outgoing transfer: the typed
/// `transfer_start`, and the untyped `<transfer>` block the published XML
/// sample has (shared by the other transfer events, which an answer
/// then finds not pending).
pub fn reports_transfer_out(kind: &str) -> bool {
    matches!(kind, "transfer" | "transfer_start")
}

/// The provider itself, as the sync and the operator answer for it.
fn provider() -> Account {
    Account {
        id: "provider".into(),
        kind: AccountKind::Provider,
        email: None,
        language: None,
    }
}

impl<S: DomainStore, G: Gateway, C: Clock> Registrar<S, G, C> {
    /// Answers an outgoing transfer for the provider (the operator's
    /// `transfer-out` command, and the sync's policy): sent only while the
    /// domain is `Registered` with nothing in flight; `request_id` makes a
    /// repeat of the same decision a duplicate.
    pub async fn answer_transfer_out(
        &self,
        domain: &str,
        answer: TransferOutAnswer,
        request_id: String,
    ) -> Report {
        self.change_requested(&ChangeRequested {
            request_id,
            account: provider(),
            domain: domain.to_owned(),
            operation: Operation::AnswerTransferOut,
            change: Ok(ChangeInput::TransferOut(answer)),
        })
        .await
    }

    /// After a registry event reported an outgoing transfer of the hint's
    /// domain (and domain info was asked): InterNetX is asked whether one
    /// is pending (`0106001`) — the mail is anyone's, and only InterNetX's
    /// word may make the log ask an operator to answer, or the policy answer.
    /// Then the policy's answer, or a log line saying the decision is the
    /// operator's. Returns what was sent or decided; counts the requests.
    pub(super) async fn transfer_out_reported(
        &self,
        hint: &Hint,
        policy: &TransferOutPolicy,
        requests: &mut usize,
    ) -> Result<Option<ItemReport>, StoreError> {
        let Some(record) = self.store.load(&hint.domain).await? else {
            return Ok(None);
        };
        let answer = match policy {
            TransferOutPolicy::Ack => Some(TransferOutAnswer::Ack),
            TransferOutPolicy::NackWhileLocked { reason }
                if record.portfolio.locked == Some(true) =>
            {
                Some(TransferOutAnswer::Nack { reason: *reason })
            }
            _ => None,
        };
        let idle = record.status() == Status::Registered;
        if !idle && answer.is_none() {
            return Ok(None);
        }
        // A busy domain's answer is refused by the change cycle itself,
        // with its reason: nothing to confirm first.
        let confirmation = if idle {
            *requests += 1;
            self.transfer_out_pending(&hint.domain).await
        } else {
            Pending::Yes
        };
        let not_pending = match confirmation {
            Pending::Yes => None,
            Pending::No(summary) => Some(format!(
                "a registry event ({}) reported an outgoing transfer of {}, but InterNetX shows none pending ({summary}): nothing to answer",
                hint.kind, hint.domain
            )),
            Pending::Unknown(problem) => Some(format!(
                "a registry event ({}) reported an outgoing transfer of {}, which could not be confirmed with InterNetX ({problem}): nothing answered; the next report asks again",
                hint.kind, hint.domain
            )),
        };
        if let Some(message) = not_pending {
            return self.unanswered(hint, record, message).await.map(Some);
        }
        if let Some(answer) = answer {
            // One answer a day at most, however many reports come: each
            // forged report would otherwise send one (security review N10),
            // and a pending transfer runs for days, so a refused answer is
            // still tried again the next day.
            let request_id = format!(
                "transfer-out-{}:{}:{}",
                answer.as_xml(),
                hint.domain,
                self.clock.now().date()
            );
            let report = self
                .answer_transfer_out(&hint.domain, answer, request_id)
                .await;
            let item = report.items.into_iter().next();
            *requests += item.as_ref().map_or(0, |i| usize::from(i.ctid.is_some()));
            return Ok(item);
        }
        let why = match policy {
            TransferOutPolicy::NackWhileLocked { .. } => {
                "the policy refuses only while the transfer lock is on, and it is off"
            }
            _ => "the policy (TRANSFER_OUT_POLICY=operator) leaves the answer to the operator",
        };
        let message = format!(
            "a registry event ({}) reported an outgoing transfer of {}, and InterNetX confirms it is pending; not answered: {why}. Answer with `internetx-bridge transfer-out {} ack|nack`, or InterNetX decides at its deadline (gTLDs: acknowledged)",
            hint.kind, hint.domain, hint.domain
        );
        self.unanswered(hint, record, message).await.map(Some)
    }

    /// `0106001`: is an outgoing transfer of `domain` pending?
    pub(crate) async fn transfer_out_pending(&self, domain: &str) -> Pending {
        let task = Task {
            kind: TaskKind::TransferOutInfo {
                name: domain.to_owned(),
            },
            ctid: new_ctid(),
            reply_to: None,
        };
        match self.gateway.send(&task).await {
            // Only the task's own refusal says "none pending"; a refusal of
            // the request as such (login, syntax: `E0000`-style codes) says
            // nothing about the transfer.
            Ok(exchange)
                if exchange.answer.status.kind == AnswerKind::Error
                    && exchange.answer.status.code.starts_with("E0106") =>
            {
                Pending::No(exchange.answer.summary())
            }
            Ok(exchange) if exchange.answer.status.kind == AnswerKind::Error => {
                Pending::Unknown(exchange.answer.summary())
            }
            Ok(_) => Pending::Yes,
            Err(e) => Pending::Unknown(e.to_string()),
        }
    }

    /// The report written to the domain's log, once per report (its claim).
    async fn unanswered(
        &self,
        hint: &Hint,
        record: DomainRecord,
        message: String,
    ) -> Result<ItemReport, StoreError> {
        let claim = format!("TRANSFER-OUT#{}#{}", hint.domain, hint.at);
        self.lifecycle()
            .commit_with_retry(&hint.domain, Some(Some(record)), |current, now| {
                let Some(current) = current else {
                    return Step::Skip(());
                };
                let mut t = Transition::of(current, now);
                t.log(LogEntry::new(
                    now,
                    action::SYNC_TRANSFER_OUT,
                    Outcome::Ignored,
                    message.clone(),
                ))
                .claim(claim.clone());
                Step::write(t, ())
            })
            .await?;
        Ok(ItemReport {
            item: claim,
            domain: Some(hint.domain.clone()),
            outcome: ItemOutcome::Refused,
            ctid: None,
            reason: Some(message),
        })
    }
}

/// What `0106001` said.
pub(crate) enum Pending {
    Yes,
    No(String),
    Unknown(String),
}
