//! Operator input and output that is the CLI's own business: ages,
//! answers, one-line outcomes and the JSON and text forms of a domain.

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

/// `transfer-out`'s answer: `ack`, or `nack` with its reason.
pub fn transfer_out_answer(
    answer: &str,
    reason: Option<String>,
) -> Result<internetx::TransferOutAnswer, String> {
    match (answer, reason) {
        ("ack", None) => Ok(internetx::TransferOutAnswer::Ack),
        ("ack", Some(_)) => Err("an ack has no reason: leave out --reason".into()),
        ("nack", Some(reason)) => Ok(internetx::TransferOutAnswer::Nack {
            reason: reason.parse().map_err(|e| format!("--reason: {e}"))?,
        }),
        ("nack", None) => Err(format!(
            "a nack needs --reason (InterNetX's nack_reason is mandatory for a nack): one of {}",
            internetx::NackReason::choices()
        )),
        (other, _) => Err(format!("{other:?}: answer ack or nack")),
    }
}

/// One request's outcome: `example.com: accepted (ctid ib-…): reason`.
pub fn item_line(name: &impl std::fmt::Display, item: &registrar::report::ItemReport) -> String {
    format!(
        "{name}: {} (ctid {}){}",
        item.outcome.as_str(),
        item.ctid.as_deref().unwrap_or("-"),
        item.reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default()
    )
}

/// What the last sync found at InterNetX, for `show`.
pub fn print_portfolio(p: &registrar::record::Portfolio) {
    let date = |t: &Option<String>| t.as_deref().map(|t| t.get(..10).unwrap_or(t).to_owned());
    if let Some(expires) = date(&p.expires_at) {
        println!(
            "  expires     {expires} (payable {})",
            date(&p.payable_at).unwrap_or_else(|| "?".into())
        );
    }
    if let Some(cancel) = date(&p.cancel_at) {
        println!("  cancel at   {cancel}");
    }
    if let Some(locked) = p.locked {
        println!("  locked      {}", if locked { "yes" } else { "no" });
    }
    if let Some(synced) = &p.synced_at {
        println!("  synced      {synced}");
    }
    if let Some(until) = date(&p.auth_code_expires_at) {
        println!("  auth code   sent to the customer by status mail, valid until {until} (never stored in clear)");
    }
    if let Some(drift) = &p.drift {
        println!("  drift       {}", registrar::text::printable(drift, 1_000));
    }
}

/// A log entry as `show --json` prints it.
pub fn log_json(e: &registrar::LogEntry) -> serde_json::Value {
    serde_json::json!({"at": registrar::log::timestamp(e.at), "action": e.action,
           "outcome": e.outcome.as_str(), "message": e.message,
           "ctid": e.ctid.as_deref().unwrap_or(""), "code": e.code.as_deref().unwrap_or(""),
           "s3_key": e.s3_key.as_deref().unwrap_or("")})
}

/// A domain as `domains --json` and `show --json` print it.
pub fn domain_json(d: &registrar::DomainRecord) -> serde_json::Value {
    serde_json::json!({
        "domain": d.domain, "domain_unicode": d.domain_unicode, "status": d.status().as_str(),
        "registered": d.registered(), "operation": d.operation.as_str(), "account_id": d.account_id,
        "updated_at": d.updated_at, "ctid": d.ctid(), "last_error": d.last_error,
        "operation_started_at": d.operation_started_at, "nameservers": d.nameservers,
        "expires_at": d.portfolio.expires_at, "payable_at": d.portfolio.payable_at,
        "cancel_at": d.portfolio.cancel_at, "synced_at": d.portfolio.synced_at,
        "locked": d.portfolio.locked, "drift": d.portfolio.drift,
        "auth_code_expires_at": d.portfolio.auth_code_expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ages() {
        assert_eq!(parse_age("6h"), Ok(21_600));
        assert_eq!(parse_age("30m"), Ok(1_800));
        assert_eq!(parse_age("2d"), Ok(172_800));
        assert!(parse_age("soon").is_err());
        assert!(parse_age("5y").is_err());
    }

    #[test]
    fn a_transfer_out_answer_is_ack_or_a_nack_with_its_reason() {
        use internetx::TransferOutAnswer;
        assert_eq!(transfer_out_answer("ack", None), Ok(TransferOutAnswer::Ack));
        for given in ["fraud", "1"] {
            assert_eq!(
                transfer_out_answer("nack", Some(given.into())),
                Ok(TransferOutAnswer::Nack {
                    reason: internetx::NackReason::Fraud
                })
            );
        }
        for (answer, reason) in [
            ("nack", None),
            // Text InterNetX would refuse (D19), refused before sending.
            ("nack", Some("holder objects".to_owned())),
            ("nack", Some("7".to_owned())),
            ("ack", Some("x".to_owned())),
            ("yes", None),
        ] {
            let err = transfer_out_answer(answer, reason).unwrap_err();
            if answer == "nack" {
                assert!(err.contains("5 (non-payment)"), "{err}");
            }
        }
    }
}
