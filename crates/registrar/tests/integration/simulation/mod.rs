//! Deterministic simulation of random histories (issue 24): from one seed,
//! a history of events from three accounts, InterNetX's answers and result
//! mails (late, lost, twice, reordered, in every form), forged mail and
//! queue messages, time passing, scheduled functions, operator actions,
//! invocations killed between any two store calls and commits lost to
//! conflicts — run against the real workflows over the in-memory ports,
//! with the connector's guarantees checked after every step
//! ([`invariants`]) and at the end of the history, once it has settled.
//!
//! `SIM_SEEDS=n` runs seeds `SIM_FIRST..SIM_FIRST+n` (default 0..150);
//! `SIM_SEED=s` replays one seed and prints its whole trace. A failing
//! history prints its seed, the violated invariant and the trace up to it.

mod faulty;
mod invariants;
mod mails;
mod model;
mod rng;
mod world;

use world::{History, Violation};

/// Seeds the failing histories found while building this harness: each one
/// is run on every test run (a regression case), whatever `SIM_SEEDS` says.
/// The first to catch each planted defect (the mutation check of issue 24):
/// 1 — a refused auth code or lock leaving `Error` (N11 undone); 5 — a mail
/// naming another ctid than its token's applied (the CONTRACT.md §4
/// quarantine undone); 25 — a refused transfer-out answer rewriting
/// `last_error` (N10 undone); 22976 — an operator's own `resolve --as
/// Error` of a transfer-out answer, which invariant 8 must allow; 33 — a
/// verification resend sent without its 15-minute hold per owner handle
/// (invariant 1, the model's `0349` window). The first four were found
/// before resends were generated, which shifted every seed's history.
const REGRESSIONS: &[u64] = &[1, 5, 25, 33, 22976];

fn run_seed(seed: u64, verbose: bool) -> Result<usize, Violation> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // A panic is a violation of invariant 4 like any other: it names its
    // seed (the panic's message and place are printed above it).
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(History::run(seed, verbose))
    }))
    .unwrap_or_else(|_| {
        Err(Violation {
            seed,
            invariant: "4 (no panic): the history panicked (message and place above)".into(),
            trace: Vec::new(),
        })
    })
}

/// `SIM_SURVEY=1`: every seed run to its end, the first seed printed for
/// each kind of violation (the invariant and the first words of its reason).
fn survey(seeds: std::ops::Range<u64>) {
    let mut first: std::collections::BTreeMap<String, (u64, usize)> = Default::default();
    for seed in seeds {
        if let Err(v) = run_seed(seed, false) {
            let kind: String = v.invariant.chars().take(60).collect();
            first.entry(kind).or_insert((seed, 0)).1 += 1;
        }
    }
    for (kind, (seed, n)) in &first {
        println!("{n:6} histories, first seed {seed:6}: {kind}");
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Threads the seeds are dealt over: histories are independent and each
/// is deterministic in its seed, so the test uses both cores of CI.
const WORKERS: u64 = 2;

/// Runs `seeds` on a thread with Lambda's 8 MiB stack: mail parsing and
/// the workflows run there, so a deep mail that would abort there aborts
/// here too. The histories and steps run, or the first violation.
fn run_seeds(seeds: Vec<u64>) -> std::thread::JoinHandle<Result<(usize, usize), Violation>> {
    std::thread::Builder::new()
        .stack_size(8 * 1024 * 1024)
        .spawn(move || {
            let mut steps = 0;
            for &seed in &seeds {
                steps += run_seed(seed, false)?;
            }
            Ok((seeds.len(), steps))
        })
        .expect("a simulation thread")
}

#[test]
fn random_histories_keep_every_guarantee() {
    if let Some(seed) = env_u64("SIM_SEED") {
        let one = std::thread::Builder::new()
            .stack_size(8 * 1024 * 1024)
            .spawn(move || run_seed(seed, true))
            .expect("the simulation thread")
            .join()
            .expect("the simulation thread panicked (see its output for the seed)");
        match one {
            Ok(steps) => println!("1 history, {steps} steps, no violation"),
            Err(violation) => panic!("{violation}"),
        }
        return;
    }
    let first = env_u64("SIM_FIRST").unwrap_or(0);
    let count = env_u64("SIM_SEEDS").unwrap_or(150);
    if std::env::var_os("SIM_SURVEY").is_some() {
        survey(first..first + count);
    }
    let seeds: Vec<u64> = REGRESSIONS
        .iter()
        .copied()
        .chain(first..first + count)
        .collect();
    let workers: Vec<_> = (0..WORKERS)
        .map(|k| {
            let mine = seeds
                .iter()
                .copied()
                .enumerate()
                .filter(|(i, _)| *i as u64 % WORKERS == k)
                .map(|(_, seed)| seed)
                .collect();
            run_seeds(mine)
        })
        .collect();
    let (mut histories, mut steps) = (0, 0);
    let mut violations = Vec::new();
    for worker in workers {
        match worker
            .join()
            .expect("a simulation thread panicked (see its output for the seed)")
        {
            Ok((h, s)) => (histories, steps) = (histories + h, steps + s),
            Err(violation) => violations.push(violation),
        }
    }
    // The lowest failing seed, whichever thread ran it.
    violations.sort_by_key(|v| v.seed);
    if let Some(violation) = violations.into_iter().next() {
        panic!("{violation}");
    }
    println!("{histories} histories, {steps} steps, no violation");
}
