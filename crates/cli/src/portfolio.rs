//! `sync` and `import`: the operator's hand on the portfolio sync.

use adapters::wiring::GatewayRegistrar;
use registrar::deadline::Deadline;
use registrar::record::AccountKind;
use registrar::workflows::sync::SyncPolicy;

#[derive(clap::Args)]
pub struct SyncArgs {
    /// Runs at most (each: registry events' checks, then list pages).
    #[arg(long, default_value_t = 1_000)]
    runs: usize,
    /// Domain-list pages per run.
    #[arg(long, default_value_t = 10)]
    pages: usize,
    /// Domains per list page.
    #[arg(long, default_value_t = 100)]
    page: u64,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The account the adopted domains belong to.
    #[arg(long)]
    account: String,
    /// `provider` (default) or `customer`.
    #[arg(long, default_value = "provider")]
    kind: String,
    /// Write the items; without it nothing is written.
    #[arg(long)]
    apply: bool,
    /// Only the domains in this file (one per line, `#` comments); required
    /// with `--kind customer`.
    #[arg(long)]
    domains: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 100)]
    page: u64,
    #[arg(long)]
    json: bool,
}

pub async fn sync(app: GatewayRegistrar, args: SyncArgs) -> Result<(), String> {
    // Reported outgoing transfers are answered as the deployed sync
    // function would (TRANSFER_OUT_POLICY, from its environment).
    let policy = SyncPolicy {
        page: args.page,
        pages_per_run: args.pages,
        checks_per_run: 20,
        transfer_out: adapters::config::transfer_out_policy(&adapters::config::ProcessEnv)
            .map_err(|e| e.to_string())?,
    };
    let mut runs = Vec::new();
    let mut progress = crate::progress::Progress::new("sync");
    let mut listed = 0;
    for run in 1..=args.runs {
        progress.update(listed, None, &format!("domains listed, run {run}"));
        let report = app
            .sync(policy.clone(), Deadline::none())
            .await
            .map_err(|e| e.to_string())?;
        listed += report.listed as u64;
        progress.clear();
        if !args.json {
            println!(
                "run {run}: {} request(s), {} listed, {} recorded, {} not in the table, {} drift, {} gone, {} event check(s){}",
                report.requests,
                report.listed,
                report.recorded,
                report.unknown,
                report.drift,
                report.gone,
                report.hints,
                if report.sweep_completed { "; sweep complete" } else { "" }
            );
            for item in &report.transfers_out {
                println!(
                    "  outgoing transfer of {}: {}{}",
                    item.domain.as_deref().unwrap_or("?"),
                    item.outcome.as_str(),
                    item.reason
                        .as_deref()
                        .map(|r| format!(": {}", registrar::text::printable(r, 300)))
                        .unwrap_or_default()
                );
            }
            for problem in &report.problems {
                println!("  {}", registrar::text::printable(problem, 500));
            }
        }
        let done = report.sweep_completed || !report.problems.is_empty();
        runs.push(report);
        if done {
            break;
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&runs).unwrap_or_default()
        );
    }
    Ok(())
}

pub async fn import(app: GatewayRegistrar, args: ImportArgs) -> Result<(), String> {
    let kind: AccountKind = args.kind.parse().map_err(|e| format!("--kind: {e}"))?;
    let only = match &args.domains {
        Some(path) => Some(domain_list(path)?),
        None if kind == AccountKind::Customer => {
            return Err("--kind customer needs --domains FILE: a customer gets only the domains named for it, never the whole InterNetX account's".into())
        }
        None => None,
    };
    let mut progress = crate::progress::Progress::new("import");
    let verb_now = if args.apply { "adopted" } else { "to adopt" };
    let report = app
        .import_watched(
            &args.account,
            kind,
            only.as_ref(),
            args.page,
            args.apply,
            &mut |r| {
                progress.update(
                    r.listed as u64,
                    r.total,
                    &format!("{} {verb_now}", r.adopted.len()),
                )
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    drop(progress);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
        return Ok(());
    }
    let verb = if args.apply {
        "adopted"
    } else {
        "to adopt (dry run; --apply writes)"
    };
    for domain in &report.adopted {
        println!("{domain}");
    }
    println!(
        "{} domain(s) listed at InterNetX, {} already in the table, {} {verb}{}",
        report.listed,
        report.known,
        report.adopted.len(),
        if only.is_some() {
            format!(", {} not in --domains", report.outside)
        } else {
            String::new()
        }
    );
    for unfinished in &report.unfinished {
        println!(
            "  not adopted, its job is not finished at InterNetX: {}",
            registrar::text::printable(unfinished, 300)
        );
    }
    for problem in &report.problems {
        println!("  {}", registrar::text::printable(problem, 500));
    }
    Ok(())
}

/// The ASCII names of a `--domains` file: one domain per line (Unicode or
/// ASCII), blank lines and `#` comments skipped; a line that is no domain
/// name refuses the whole file, so a typo never widens or narrows an import
/// unnoticed.
fn domain_list(path: &std::path::Path) -> Result<std::collections::HashSet<String>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--domains {}: {e}", path.display()))?;
    let mut names = std::collections::HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let name = registrar::DomainName::parse(line)
            .map_err(|e| format!("--domains {} line {}: {e}", path.display(), n + 1))?;
        names.insert(name.ascii().to_owned());
    }
    Ok(names)
}
