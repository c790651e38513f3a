//! Which result settles which operation, and what a final result does to
//! an operation settled before it.

use internetx::notification::JobResult;
use internetx::response::AnswerKind;

use crate::lifecycle::Transition;
use crate::record::DomainRecord;
use crate::status::{Operation, Status};

/// Whether a result settles the operation, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    Success,
    Failure,
    /// An intermediate or side message: logged, the operation stays in flight.
    Pending,
}

/// Which results settle which operation (INTERNETX.md, "Final results"): a
/// transfer ends with `…0104001` (or an `E0104` from the registry), an owner
/// change with `…0104011`; contact replies (`0301`/`0302`) and `N…` notices
/// only go into the log.
pub fn settlement(operation: Operation, job: &JobResult) -> Settlement {
    let outcome = match job.status.kind {
        AnswerKind::Success => Settlement::Success,
        AnswerKind::Error => Settlement::Failure,
        AnswerKind::Notify => return Settlement::Pending,
    };
    let task = job.task_code();
    if task.is_empty() {
        // A bare job state (SUCCESS/FAILED) is about the job itself.
        return outcome;
    }
    if transfer_out_ended_in_place(operation, job) {
        return Settlement::Success;
    }
    let settles = match operation {
        Operation::Register => task == "0101",
        Operation::Transfer => {
            task == "0104001" || (task == "0104" && outcome == Settlement::Failure)
        }
        Operation::UpdateNameservers => task.starts_with("0102"),
        Operation::UpdateContacts => {
            task.starts_with("0102")
                || task == "0104011"
                || (task == "0104010" && outcome == Settlement::Failure)
        }
        Operation::Cancel => task == "0103101" || task == "0103",
        Operation::WithdrawCancel => task == "0103103",
        Operation::ChangeLock => task.starts_with("0102"),
        Operation::AuthCode => task.starts_with("0113"),
        // `0106002`'s own result, or the transfer's end (`S0106`
        // "Outgoing transfer was answered", Processing Transfer-Out Jobs).
        Operation::AnswerTransferOut => task.starts_with("0106"),
        Operation::ResendVerification => task.starts_with("034"),
        // Nothing of ours was sent: nothing settles it.
        Operation::Import => false,
    };
    if settles {
        outcome
    } else {
        Settlement::Pending
    }
}

/// `E0106` after a transfer-out answer: the outgoing transfer ended with
/// the domain still here — "the holder does not agree … or the transfer was
/// unsuccessful" (Processing Transfer-Out Jobs). After a nack that is the
/// intended end, after an ack the gaining side's failure; either way the
/// answer was taken and nothing about the domain failed (protocol audit
/// D22). `0106002`'s own refusal (`E0106002`) stays a failure.
pub fn transfer_out_ended_in_place(operation: Operation, job: &JobResult) -> bool {
    operation == Operation::AnswerTransferOut
        && job.status.kind == AnswerKind::Error
        && job.task_code() == "0106"
}

/// Whether a task code (`0104001`, say) belongs to an operation's task
/// family: the results that operation can produce.
pub fn answers_task(operation: Operation, task: &str) -> bool {
    match operation {
        Operation::Register => task.starts_with("0101"),
        Operation::Transfer => task.starts_with("0104") && !task.starts_with("010401"),
        Operation::UpdateNameservers => task.starts_with("0102"),
        Operation::UpdateContacts => {
            task.starts_with("0102") || task == "0104010" || task == "0104011"
        }
        Operation::Cancel | Operation::WithdrawCancel => task.starts_with("0103"),
        Operation::ChangeLock => task.starts_with("0102"),
        Operation::AuthCode => task.starts_with("0113"),
        Operation::AnswerTransferOut => task.starts_with("0106"),
        Operation::ResendVerification => task.starts_with("034"),
        Operation::Import => false,
    }
}

/// A final result for the operation settled last that says the opposite of
/// how it was settled (by domain info, an operator, or a give-up): InterNetX's
/// own word wins, and the log says the domain was re-opened. `None`: it
/// agrees, or the domain has moved on to another operation.
pub(super) fn reopen(
    current: &DomainRecord,
    job: &JobResult,
    summary: &str,
    t: &mut Transition,
) -> Option<String> {
    if current.ctid().is_some() {
        return None;
    }
    let noun = current.operation.noun();
    let domain = &current.domain;
    match (settlement(current.operation, job), current.status()) {
        (Settlement::Success, Status::Error) => {
            t.succeed();
            Some(format!(
                "InterNetX confirmed the {noun} of {domain} after it was settled as Error: {summary}; re-opened as {}",
                current.operation.done_status()
            ))
        }
        (Settlement::Failure, Status::Registered | Status::Cancelled) => {
            let reason = format!(
                "InterNetX reported the {noun} of {domain} failed after it was settled as {}: {summary}; re-opened as Error, check it at InterNetX",
                current.status()
            );
            t.fail(reason.clone());
            Some(reason)
        }
        _ => None,
    }
}

/// The genuine final success of an earlier request of this domain (its
/// token checked, its ctid ours for this domain) while the domain sits in
/// `Error` with nothing in flight — an operator's retry was refused as a
/// duplicate of that very job, say: InterNetX did it, and the domain shows so.
pub(super) fn earlier_request_done(
    current: &DomainRecord,
    ctid: &str,
    job: &JobResult,
    summary: &str,
    t: &mut Transition,
) -> Option<String> {
    let done = current.ctid().is_none()
        && current.status() == Status::Error
        && settlement(current.operation, job) == Settlement::Success;
    done.then(|| {
        t.succeed();
        format!(
            "InterNetX completed an earlier request (ctid {ctid}) for the {} of {}: {summary}; the domain is {} again",
            current.operation.noun(),
            current.domain,
            current.operation.done_status()
        )
    })
}
