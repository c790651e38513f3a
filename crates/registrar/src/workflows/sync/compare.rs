//! One domain as InterNetX's data shows it, compared with its item: the
//! dates recorded, what differs (drift) said in one line.

use internetx::DomainData;

use crate::log::timestamp;
use crate::record::DomainRecord;
use crate::status::Status;

/// Writes InterNetX's data onto the item and returns the drift line, if
/// the two disagree. A domain with an operation in flight is only dated:
/// its state is the operation's to settle.
pub fn record_data(
    record: &mut DomainRecord,
    data: &DomainData,
    now: time::OffsetDateTime,
) -> Option<String> {
    let p = &mut record.portfolio;
    p.expires_at = data.expires.clone().or(p.expires_at.take());
    p.payable_at = data.payable.clone().or(p.payable_at.take());
    p.registry_status = data.registry_status.clone().or(p.registry_status.take());
    p.locked = data.locked().or(p.locked);
    p.autorenew = data.autorenew.or(p.autorenew);
    p.owner_handle = data.owner.clone().or(p.owner_handle.take());
    if let Some(status) = &data.registry_status {
        p.hold = Some(registry_hold(status));
    }
    p.synced_at = Some(timestamp(now));
    // A cancelation at expiry takes effect at the expiry date.
    p.cancel_at = data.cancelation.as_ref().and(p.expires_at.clone());
    if record.status().in_flight() {
        return None;
    }
    let mut differences = Vec::new();
    let mut shown: Vec<String> = data.nameservers.clone();
    shown.sort();
    let mut ours = record.nameservers.clone();
    ours.sort();
    if !shown.is_empty() && shown != ours {
        differences.push(format!(
            "name servers at InterNetX are {} (the table had {})",
            shown.join(", "),
            if ours.is_empty() {
                "none".to_owned()
            } else {
                ours.join(", ")
            }
        ));
        record.nameservers = shown;
    }
    match (data.cancelation.is_some(), record.status()) {
        (true, Status::Registered) => differences.push(format!(
            "InterNetX holds a cancelation the bridge never sent (takes effect {})",
            record.portfolio.cancel_at.as_deref().unwrap_or("at expiry")
        )),
        (false, Status::Cancelled) => differences
            .push("the cancelation the bridge sent is not shown at InterNetX any more".to_owned()),
        (false, Status::Registered) if will_lapse(record) => differences.push(format!(
            "InterNetX will not renew it: it lapses at {} unless its autorenew is set at InterNetX (the account's renewal mode AutoRenew, or the domain's)",
            record.portfolio.expires_at.as_deref().unwrap_or("its expiry")
        )),
        _ => {}
    }
    (!differences.is_empty()).then(|| differences.join("; "))
}

/// Whether a registry status holds the domain (`HOLD`, `HOLD_LOCK` of
/// InterNetX's `RegistryStatusConstants`; an EPP `clientHold` or
/// `serverHold` read the same): its website and mail are down.
pub fn registry_hold(status: &str) -> bool {
    status.to_ascii_uppercase().contains("HOLD")
}

/// Whether InterNetX will let the domain lapse at its expiry although
/// nobody cancelled it: renewals are never sent, so a `Registered` domain
/// lives on only while InterNetX renews it by itself (an account in
/// AutoDelete mode does not; a `.de` then goes to TRANSIT).
pub fn will_lapse(record: &DomainRecord) -> bool {
    record.status() == Status::Registered
        && record.portfolio.autorenew == Some(false)
        && record.portfolio.cancel_at.is_none()
}

/// Where a domain gone from the account went: deleted when its cancelation
/// was confirmed and due, transferred away otherwise.
pub fn gone_status(record: &DomainRecord, now: time::OffsetDateTime) -> Status {
    let due = record
        .portfolio
        .cancel_at
        .as_deref()
        .and_then(crate::log::parse_timestamp)
        .is_none_or(|at| at <= now);
    if matches!(record.status(), Status::Cancelled | Status::Cancelling) && due {
        Status::Deleted
    } else {
        Status::TransferredAway
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::AccountKind;
    use crate::status::Operation;

    fn registered(ns: &[&str]) -> DomainRecord {
        let at = time::macros::datetime!(2026-11-30 09:00 UTC);
        let mut r = DomainRecord::new(
            "x.com",
            "x.com",
            Operation::Register,
            "A",
            AccountKind::Provider,
            at,
        );
        r = crate::lifecycle::settled_as(r, Status::Registered);
        r.nameservers = ns.iter().map(|n| n.to_string()).collect();
        r
    }

    fn data(ns: &[&str], cancelation: bool) -> DomainData {
        DomainData {
            name: "x.com".into(),
            nameservers: ns.iter().map(|n| n.to_string()).collect(),
            status: Some("success".into()),
            cancelation: cancelation.then(|| "delete".into()),
            expires: Some("2027-03-01T12:00:00Z".into()),
            payable: Some("2027-02-15T12:00:00Z".into()),
            registry_status: Some("LOCK".into()),
            autorenew: Some(!cancelation),
            owner: Some("23238415".into()),
        }
    }

    #[test]
    fn a_domain_internetx_will_not_renew_is_drift_naming_its_expiry() {
        let now = time::macros::datetime!(2026-11-30 10:00 UTC);
        let mut r = registered(&["ns1.a.net", "ns2.a.net"]);
        let mut lapsing = data(&["ns1.a.net", "ns2.a.net"], false);
        lapsing.autorenew = Some(false);
        let drift = record_data(&mut r, &lapsing, now).expect("drift");
        assert!(
            drift.contains("will not renew") && drift.contains("2027-03-01T12:00:00Z"),
            "{drift}"
        );
        assert_eq!(r.portfolio.autorenew, Some(false));
        // Renewing, or cancelled by us: no drift of this kind.
        let mut r = registered(&["ns1.a.net", "ns2.a.net"]);
        assert_eq!(
            record_data(&mut r, &data(&["ns1.a.net", "ns2.a.net"], false), now),
            None
        );
        assert_eq!(r.portfolio.autorenew, Some(true));
    }

    #[test]
    fn dates_lock_and_cancelation_are_recorded_and_drift_named() {
        let now = time::macros::datetime!(2026-11-30 10:00 UTC);
        let mut r = registered(&["ns1.a.net", "ns2.a.net"]);
        let drift = record_data(&mut r, &data(&["ns2.a.net", "ns1.a.net"], false), now);
        assert_eq!(drift, None, "same set, other order");
        assert_eq!(
            r.portfolio.expires_at.as_deref(),
            Some("2027-03-01T12:00:00Z")
        );
        assert_eq!(r.portfolio.locked, Some(true));
        assert!(r.portfolio.cancel_at.is_none());
        assert_eq!(r.portfolio.owner_handle.as_deref(), Some("23238415"));
        assert_eq!(r.portfolio.hold, Some(false));
        let mut held = data(&["ns1.a.net", "ns2.a.net"], false);
        held.registry_status = Some("HOLD_LOCK".into());
        record_data(&mut r, &held, now);
        assert_eq!(
            (r.portfolio.hold, r.portfolio.locked),
            (Some(true), Some(true))
        );
        record_data(&mut r, &data(&["ns1.a.net", "ns2.a.net"], false), now);
        assert_eq!(r.portfolio.hold, Some(false), "the hold is lifted");

        let drift = record_data(&mut r, &data(&["ns1.b.net", "ns2.b.net"], true), now).unwrap();
        assert!(
            drift.contains("ns1.b.net, ns2.b.net") && drift.contains("ns1.a.net"),
            "{drift}"
        );
        assert!(
            drift.contains("never sent") && drift.contains("2027-03-01"),
            "{drift}"
        );
        assert_eq!(
            r.portfolio.cancel_at.as_deref(),
            Some("2027-03-01T12:00:00Z")
        );
        assert_eq!(r.nameservers, ["ns1.b.net", "ns2.b.net"]);
    }

    #[test]
    fn a_domain_in_flight_is_only_dated() {
        let now = time::macros::datetime!(2026-11-30 10:00 UTC);
        let mut r = registered(&["ns1.a.net", "ns2.a.net"]);
        r = crate::lifecycle::settled_as(r, Status::Updating);
        assert_eq!(
            record_data(&mut r, &data(&["ns9.c.net", "ns8.c.net"], true), now),
            None
        );
        assert_eq!(r.nameservers, ["ns1.a.net", "ns2.a.net"]);
    }

    #[test]
    fn gone_after_a_due_cancelation_is_deleted_else_transferred_away() {
        let now = time::macros::datetime!(2027-06-01 00:00 UTC);
        let mut r = registered(&[]);
        assert_eq!(gone_status(&r, now), Status::TransferredAway);
        r = crate::lifecycle::settled_as(r, Status::Cancelled);
        r.portfolio.cancel_at = Some("2027-03-01T12:00:00Z".into());
        assert_eq!(gone_status(&r, now), Status::Deleted);
        r.portfolio.cancel_at = Some("2028-03-01T12:00:00Z".into());
        assert_eq!(gone_status(&r, now), Status::TransferredAway);
    }
}
