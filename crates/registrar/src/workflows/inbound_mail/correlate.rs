//! A result that does not carry our ctid, matched to the operation in
//! flight on the domain it names — never with less authentication than a
//! ctid: the reply token of that operation's ctid is required.

use internetx::mail::ResultMail;
use internetx::notification::JobResult;

use super::{answers_task, Inbound, MAX_CTIDS_PER_JOB};
use crate::ports::{Clock, DomainStore, StoreError};

impl<S: DomainStore, C: Clock> Inbound<S, C> {
    /// The ctid of the operation in flight (or settled last) on the domain
    /// a message names, for a message that does not carry our ctid (the "Standard" text
    /// block's `transaction` is a server id, protocol audit D8): it must
    /// carry the stid or job id InterNetX answered that operation with, or
    /// be a result of that operation's task — and, as always, the mail must
    /// have been delivered to the reply token issued for that ctid, so this
    /// authenticates no less than a ctid does.
    pub(super) async fn in_flight_ctid(
        &self,
        mail: &ResultMail,
        job: &JobResult,
    ) -> Result<Option<String>, StoreError> {
        let Some(named) = job.domain.as_deref() else {
            return Ok(None);
        };
        let Ok(domain) = crate::DomainName::parse(named) else {
            return Ok(None);
        };
        let Some(current) = self.store.load(domain.ascii()).await? else {
            return Ok(None);
        };
        // The operation in flight, or — once it was settled (by domain
        // info, an operator, a give-up) — the one settled last, whose
        // genuine late result must still be heard (it may re-open it).
        let Some(ctid) = current.ctid().or(current.last_ctid.as_deref()) else {
            return Ok(None);
        };
        let known_ids = [current.stid.as_deref(), current.job_id.as_deref()];
        let same_job = job
            .server_ids
            .iter()
            .take(MAX_CTIDS_PER_JOB)
            .any(|id| known_ids.contains(&Some(id.as_str())));
        let same_task = answers_task(current.operation, job.task_code());
        let token = mail.recipients.iter().any(|r| self.reply.verify(r, ctid));
        Ok(((same_job || same_task) && token).then(|| ctid.to_owned()))
    }

    /// A ctid the job names as ours: an XML job's `<ctid>` (never a server
    /// id), or a legacy `transaction` that is a ctid we issued. Matching by
    /// server id or task is only for a job that names none.
    pub(super) async fn named_ctid(&self, job: &JobResult) -> Result<Option<String>, StoreError> {
        for candidate in job.ctids.iter().take(MAX_CTIDS_PER_JOB) {
            let explicit = !job.server_ids.contains(candidate);
            if explicit || self.store.ctid_domain(candidate).await?.is_some() {
                return Ok(Some(candidate.clone()));
            }
        }
        Ok(None)
    }
}
