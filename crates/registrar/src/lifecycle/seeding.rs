//! Domain items as tests, benchmarks and tools seed a table with: written
//! as they are, outside the life cycle's moves (feature `test-util`).

use time::OffsetDateTime;

use crate::ports::Change;
use crate::record::DomainRecord;
use crate::status::{Operation, Status};

/// A domain with `operation` in flight under `ctid`, sent by a provider
/// account: what tests, benchmarks and tools seed a table with.
pub fn in_flight_record(
    domain: &str,
    operation: Operation,
    ctid: &str,
    at: OffsetDateTime,
) -> DomainRecord {
    let mut record = DomainRecord::new(
        domain,
        domain,
        operation,
        "PROVIDER",
        crate::record::AccountKind::Provider,
        at,
    );
    record.life_mut().status = operation.pending_status();
    record.life_mut().registered = true;
    record.life_mut().ctid = Some(ctid.to_owned());
    record.life_mut().version = 1;
    record.request_ref = Some(format!("REQUEST#{ctid}"));
    record.operation_started_at = Some(record.created_at.clone());
    record
}

/// `record` in `status` with nothing in flight (its `registered` flag and
/// version kept): what tests seed a settled domain with.
pub fn settled_as(mut record: DomainRecord, status: Status) -> DomainRecord {
    record.life_mut().status = status;
    record.life_mut().ctid = None;
    record
}

/// A change that writes `record` as it is, over whatever is there: for
/// seeding tables in tests and benchmarks only.
pub fn seed(record: DomainRecord, expected_version: Option<u64>) -> Change {
    Change {
        record,
        expected_version,
        log: Vec::new(),
        claim: None,
        notice: None,
        event: None,
        writes_item: true,
        hint: None,
    }
}
