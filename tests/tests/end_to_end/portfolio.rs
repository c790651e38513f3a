//! The whole portfolio against moto and the simulator (issue 16): a large
//! account adopted once and synced in bounded runs with InterNetX's dates,
//! domains transferred away found by their event mail and, with the mail
//! lost, by the next sweep; a cancelation made elsewhere shown as drift; a
//! forged `domain_away` mail changes nothing.

use e2e::{scaled, text, World};
use registrar::ports::DomainStore;
use registrar::workflows::sync::SyncPolicy;
use registrar::Status;

fn expected_expiry(name: &str) -> String {
    let (expire, _) = internetx_simulator::portfolio::dates(name);
    internetx::response::utc_timestamp(&expire).unwrap()
}

#[tokio::test]
async fn a_large_account_is_adopted_once_and_synced_in_bounded_runs() {
    let w = World::without_mail().await;
    // 2,500 in pages of 500 with E2E_FULL=1, else 550 in pages of 100: the
    // last page is partial either way, so a sweep takes three runs of two.
    let total = scaled(550, 2_500);
    let page = if total > 1_000 { 500 } else { 100 };
    let page_arg = page.to_string();
    let names: Vec<String> = (0..total).map(|i| format!("p{i:04}.com")).collect();
    w.simulator.seed_domains(names.clone());

    let (ok, out, err) = w
        .cli(&["import", "--account", "PROV-1", "--page", &page_arg])
        .await;
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("{total} to adopt (dry run")),
        "{}",
        out.lines().last().unwrap_or("")
    );
    assert!(
        w.store.load("p0000.com").await.unwrap().is_none(),
        "a dry run writes nothing"
    );
    let (ok, out, err) = w
        .cli(&[
            "import",
            "--account",
            "PROV-1",
            "--page",
            &page_arg,
            "--apply",
        ])
        .await;
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("0 already in the table, {total} adopted")),
        "{}",
        out.lines().last().unwrap_or("")
    );
    let (_, again, _) = w
        .cli(&[
            "import",
            "--account",
            "PROV-1",
            "--page",
            &page_arg,
            "--apply",
        ])
        .await;
    assert!(
        again.contains(&format!("{total} already in the table, 0 adopted")),
        "{again}"
    );

    let policy = SyncPolicy {
        page: page as u64,
        pages_per_run: 2,
        checks_per_run: 20,
        ..SyncPolicy::default()
    };
    let mut runs = Vec::new();
    loop {
        let run = w.sync(policy.clone()).await;
        assert!(
            run["requests"].as_u64().unwrap() <= 2 + 20,
            "bounded: {run}"
        );
        runs.push(run.clone());
        if run["sweep_completed"] == true || runs.len() > 5 {
            break;
        }
    }
    assert_eq!(runs.len(), 3, "{runs:?}");
    let recorded: u64 = runs.iter().map(|r| r["recorded"].as_u64().unwrap()).sum();
    assert_eq!(recorded as usize, total);
    let items = w.store.domains().await.unwrap();
    assert_eq!(items.len(), total);
    for item in &items {
        assert_eq!(item.status(), Status::Registered);
        assert_eq!(item.operation.as_str(), "import");
        assert_eq!(
            item.portfolio.expires_at.as_deref(),
            Some(expected_expiry(&item.domain).as_str()),
            "{}",
            item.domain
        );
        assert!(item.portfolio.synced_at.is_some() && item.portfolio.drift.is_none());
    }
}

#[tokio::test]
async fn domains_that_leave_are_found_by_their_mail_or_the_next_sweep() {
    // One event mail as the published XML samples are, without
    // `<notify><type>` (protocol audit D13): a hint all the same.
    let w = World::start_with(e2e::Options {
        scenarios: vec![(
            "away-untyped.com".into(),
            internetx_simulator::Scenario::UntypedEvents,
        )],
        ..e2e::Options::default()
    })
    .await;
    let names = [
        "away-mail.com",
        "away-untyped.com",
        "away-silent.com",
        "stays.com",
        "cancelled-there.com",
    ];
    w.simulator.seed_domains(names.map(str::to_owned));
    let (ok, _, err) = w.cli(&["import", "--account", "PROV-1", "--apply"]).await;
    assert!(ok, "{err}");
    let policy = SyncPolicy {
        page: 100,
        pages_per_run: 0,
        checks_per_run: 20,
        ..SyncPolicy::default()
    };

    // InterNetX mails domain_away; the mail only asks for a check.
    w.simulator
        .remove_domain("away-mail.com", "domain_away", true)
        .await;
    w.simulator
        .remove_domain("away-untyped.com", "domain_away", true)
        .await;
    // A forged domain_away for a domain still in the account.
    let forged = "From: AutoDNS <robot@autodns.com>\r\nTo: internetx@inbound.example.net\r\nSubject: x\r\nContent-Type: text/xml\r\n\r\n\
        <response><result><data><message><id>1</id><notify><type>domain_away</type><domain><name>stays.com</name></domain></notify></message></data></result></response>";
    w.deliver_mail("inbound/forged-away", forged.as_bytes())
        .await
        .unwrap();
    for _ in 0..50 {
        if w.simulator.mails().len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        text(&w.domain("away-mail.com").await.unwrap(), "status"),
        "Registered",
        "the mail alone changes nothing"
    );
    let run = w.sync(policy.clone()).await;
    assert_eq!(
        (run["hints"].as_u64(), run["gone"].as_u64()),
        (Some(3), Some(2)),
        "{run}"
    );
    for away in ["away-mail.com", "away-untyped.com"] {
        assert_eq!(
            text(&w.domain(away).await.unwrap(), "status"),
            "TransferredAway",
            "{away}"
        );
    }
    assert_eq!(
        text(&w.domain("stays.com").await.unwrap(), "status"),
        "Registered"
    );

    // The mail lost: the next sweep finds it.
    w.simulator
        .remove_domain("away-silent.com", "domain_away", false)
        .await;
    w.simulator.cancel_elsewhere("cancelled-there.com");
    let run = w
        .sync(SyncPolicy {
            pages_per_run: 3,
            ..policy.clone()
        })
        .await;
    assert_eq!(run["sweep_completed"], true, "{run}");
    assert_eq!(
        text(&w.domain("away-silent.com").await.unwrap(), "status"),
        "TransferredAway"
    );
    let log = w.log("away-silent.com").await;
    assert!(log.iter().any(|e| text(e, "action") == "sync.checked"
        && text(e, "message").contains("not in the account's domain list")));

    // A cancelation made in InterNetX's own interface: drift and cancel_at.
    let cancelled = w.domain("cancelled-there.com").await.unwrap();
    assert_eq!(text(&cancelled, "status"), "Registered");
    assert!(
        text(&cancelled, "drift").contains("never sent"),
        "{cancelled:?}"
    );
    assert_eq!(
        text(&cancelled, "cancel_at"),
        expected_expiry("cancelled-there.com")
    );
    let (ok, drifting, _) = w.cli(&["domains", "--drift"]).await;
    assert!(
        ok && drifting.contains("cancelled-there.com") && drifting.contains("(1 domain(s))"),
        "{drifting}"
    );
    let (_, expiring, _) = w.cli(&["domains", "--expiring", "3000d"]).await;
    assert!(
        expiring.contains("(2 domain(s))"),
        "the two still held: {expiring}"
    );
}

/// D21: where InterNetX writes unset fields as empty elements (an empty
/// `<cancelation/>` beside `<authinfo></authinfo>`), a domain without a
/// cancelation shows no drift and no `cancel_at`; a real cancelation
/// still does. On b12f8b7 the empty element was read as a cancelation.
#[tokio::test]
async fn empty_elements_for_unset_fields_are_no_cancelation() {
    use internetx_simulator::Scenario;
    let w = World::start_with(e2e::Options {
        mail_format: None,
        scenarios: vec![
            ("plain.com".into(), Scenario::EmptyUnsetFields),
            ("cut.com".into(), Scenario::EmptyUnsetFields),
        ],
        ..e2e::Options::default()
    })
    .await;
    w.simulator
        .seed_domains(["plain.com", "cut.com"].map(str::to_owned));
    let (ok, _, err) = w.cli(&["import", "--account", "PROV-1", "--apply"]).await;
    assert!(ok, "{err}");
    w.simulator.cancel_elsewhere("cut.com");
    let run = w.sync(SyncPolicy::default()).await;
    assert_eq!(run["sweep_completed"], true, "{run}");
    let plain = w.domain("plain.com").await.unwrap();
    assert_eq!(text(&plain, "status"), "Registered");
    assert_eq!(text(&plain, "drift"), "", "{plain:?}");
    assert_eq!(text(&plain, "cancel_at"), "", "{plain:?}");
    let cut = w.domain("cut.com").await.unwrap();
    assert!(text(&cut, "drift").contains("never sent"), "{cut:?}");
    assert_eq!(text(&cut, "cancel_at"), expected_expiry("cut.com"));
}

/// D23: a gateway that silently cuts every list page below the asked
/// `limit` (no maximum is documented) neither ends the import or the sweep
/// early nor skips a domain: both go on from what the page held until the
/// list's `summary`.
#[tokio::test]
async fn pages_cut_short_by_the_gateway_neither_end_nor_skip() {
    let w = World::start_with(e2e::Options {
        mail_format: None,
        list_cap: Some(30),
        ..e2e::Options::default()
    })
    .await;
    let names: Vec<String> = (0..130).map(|i| format!("cut{i:03}.com")).collect();
    w.simulator.seed_domains(names.clone());
    let (ok, out, err) = w
        .cli(&["import", "--account", "PROV-1", "--page", "100", "--apply"])
        .await;
    assert!(ok, "{err}");
    assert!(
        out.contains("0 already in the table, 130 adopted"),
        "{}",
        out.lines().last().unwrap_or("")
    );
    let run = w
        .sync(SyncPolicy {
            page: 100,
            pages_per_run: 10,
            checks_per_run: 20,
            ..SyncPolicy::default()
        })
        .await;
    assert_eq!(run["sweep_completed"], true, "{run}");
    assert_eq!(run["recorded"], 130, "{run}");
    assert_eq!(run["gone"], 0, "{run}");
    let items = w.store.domains().await.unwrap();
    assert_eq!(items.len(), 130);
    for item in &items {
        assert_eq!(item.status(), Status::Registered, "{}", item.domain);
        assert_eq!(
            item.portfolio.expires_at.as_deref(),
            Some(expected_expiry(&item.domain).as_str()),
            "{}",
            item.domain
        );
    }
}

/// Issue 29 §2: the bridge never sends a renewal, so in an account InterNetX
/// runs in AutoDelete mode a paid domain lapses at its expiry. The sync
/// records InterNetX's `autorenew`, names each such domain with its expiry
/// in a drift line and measures them (`WillLapse`, the alarm's metric);
/// `doctor` tells the account's mode from a sample. A domain cancelled on
/// purpose is not one of them.
#[tokio::test]
async fn an_account_that_will_not_renew_is_named_by_the_sync_and_doctor() {
    let w = World::start_with(e2e::Options {
        renewal: internetx_simulator::RenewalMode::AutoDelete,
        ..e2e::Options::default()
    })
    .await;
    w.simulator
        .seed_domains(["lapses.de", "ends-there.com"].map(str::to_owned));
    let (ok, _, err) = w.cli(&["import", "--account", "PROV-1", "--apply"]).await;
    assert!(ok, "{err}");
    w.simulator.cancel_elsewhere("ends-there.com");

    let metrics = adapters::metrics::Metrics::capture("sync");
    let run = sync::handle(
        &w.app.registrar,
        SyncPolicy::default(),
        registrar::deadline::Deadline::none(),
        &metrics,
    )
    .await
    .expect("sync run");
    assert_eq!(run["will_lapse"], 1, "{run}");
    let measured: Vec<serde_json::Value> = metrics
        .lines()
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|d: &serde_json::Value| d.get("WillLapse").is_some())
        .collect();
    assert_eq!(measured.len(), 1, "{measured:?}");
    assert_eq!(measured[0]["WillLapse"], 1.0);
    assert_eq!(measured[0]["Function"], "sync");

    let lapsing = w.store.load("lapses.de").await.unwrap().unwrap();
    assert_eq!(lapsing.status(), Status::Registered);
    assert_eq!(lapsing.portfolio.autorenew, Some(false));
    let drift = lapsing.portfolio.drift.clone().unwrap_or_default();
    let expiry = expected_expiry("lapses.de");
    assert!(
        drift.contains("will not renew") && drift.contains(&expiry),
        "{drift}"
    );
    let ended = w.store.load("ends-there.com").await.unwrap().unwrap();
    assert!(
        !ended
            .portfolio
            .drift
            .unwrap_or_default()
            .contains("will not renew"),
        "a cancelled domain is meant to end"
    );

    let (_, out, _) = w.cli(&["doctor"]).await;
    let line = out
        .lines()
        .find(|l| l.contains("renewal mode"))
        .unwrap_or_else(|| panic!("no renewal mode line in {out}"));
    assert!(line.starts_with("FAIL"), "{out}");
    assert!(
        line.contains("1 of 2") && line.contains("lapses.de") && line.contains("AutoDelete"),
        "{line}"
    );
}
