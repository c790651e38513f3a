//! What an operator may do by hand, decided like every other state change.

use registrar::ports::Change;
use registrar::record::{timestamp, DomainRecord, LogEntry, Outcome};
use registrar::Status;
use time::OffsetDateTime;

/// Settles a domain by hand: `Registered` (InterNetX confirmed it some other
/// way) or `Error` (it failed). Allowed while an operation is in flight or
/// the domain is in `Error`; the log names who and why.
pub fn resolve(
    current: &DomainRecord,
    target: Status,
    operator: &str,
    reason: &str,
    now: OffsetDateTime,
) -> Result<Change, String> {
    if !matches!(
        target,
        Status::Registered | Status::Error | Status::Cancelled
    ) {
        return Err(format!(
            "--as must be Registered, Error or Cancelled, not {target}"
        ));
    }
    if reason.trim().is_empty() {
        return Err("--reason must say why".into());
    }
    if !(current.status.in_flight() || current.status == Status::Error) {
        return Err(format!(
            "{} is {}: only a domain with an operation in flight or in Error is settled by hand",
            current.domain, current.status
        ));
    }
    if target == Status::Cancelled && current.operation != registrar::Operation::Cancel {
        return Err(format!("{} has no cancellation to settle", current.domain));
    }
    let mut next = current.clone();
    next.version += 1;
    next.updated_at = timestamp(now);
    match target {
        Status::Error => next.settle_failure(format!("resolved by {operator}: {reason}")),
        _ => next.settle_success(),
    }
    next.status = target;
    let message = format!(
        "{}: {} → {target} resolved by hand by {operator}: {reason}",
        current.domain, current.status
    );
    let outcome = if target == Status::Error {
        Outcome::Error
    } else {
        Outcome::Ok
    };
    let mut entry = LogEntry::new(
        now,
        registrar::record::action::OPERATOR_RESOLVED,
        outcome,
        message,
    );
    entry.ctid = current.ctid.clone();
    entry.status_from = Some(current.status.to_string());
    entry.status_to = Some(target.to_string());
    Ok(Change {
        record: next,
        expected_version: Some(current.version),
        log: vec![entry],
        claims_request: None,
    })
}

/// `6h`, `30m`, `2d`, `90s` as seconds.
pub fn parse_age(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not an age like 6h"))?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" | "" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?}: the unit must be s, m, h or d")),
    };
    Ok(n * factor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use registrar::Operation;

    fn at() -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[test]
    fn resolves_only_what_is_open() {
        let flying = DomainRecord::in_flight("x.de", Operation::Register, "ib-1", at());
        let change = resolve(
            &flying,
            Status::Registered,
            "ops",
            "confirmed in AutoDNS",
            at(),
        )
        .unwrap();
        assert_eq!(change.record.status, Status::Registered);
        assert_eq!(change.record.last_ctid.as_deref(), Some("ib-1"));
        assert!(change.log[0]
            .message
            .contains("by ops: confirmed in AutoDNS"));
        let done = change.record;
        assert!(resolve(&done, Status::Error, "ops", "x", at()).is_err());
        assert!(resolve(&flying, Status::Error, "ops", " ", at()).is_err());
        assert!(resolve(&flying, Status::Updating, "ops", "x", at()).is_err());
        assert!(resolve(&flying, Status::Cancelled, "ops", "x", at()).is_err());
    }

    #[test]
    fn reads_ages() {
        assert_eq!(parse_age("6h"), Ok(21_600));
        assert_eq!(parse_age("30m"), Ok(1_800));
        assert_eq!(parse_age("2d"), Ok(172_800));
        assert!(parse_age("soon").is_err());
        assert!(parse_age("5y").is_err());
    }
}
