//! `import`: the InterNetX account's domains the table does not know,
//! adopted under one account.

use registrar::record::AccountKind;

use crate::context::Context;
use crate::error::CliError;

#[derive(clap::Args)]
pub struct Args {
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

pub async fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let kind: AccountKind = args
        .kind
        .parse()
        .map_err(|e| CliError::Usage(format!("--kind: {e}")))?;
    let only = match &args.domains {
        Some(path) => Some(domain_list(path)?),
        None if kind == AccountKind::Customer => {
            return Err(CliError::Usage("--kind customer needs --domains FILE: a customer gets only the domains named for it, never the whole InterNetX account's".into()))
        }
        None => None,
    };
    let app = ctx.gateway_app(false).await?;
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
        .await?;
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
