//! Progress of the long commands (`import`, `sync`) on a terminal: one
//! line on stderr, redrawn at most ten times a second and cleared before
//! the command prints on stdout (its lines per run, its summary). Off the
//! terminal (scripts, CI, the tests) nothing is drawn. `dlq replay` prints
//! a line per message as it goes, which is its progress.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct Progress {
    label: &'static str,
    live: bool,
    drawn: Option<Instant>,
}

impl Progress {
    pub fn new(label: &'static str) -> Self {
        Self {
            label,
            live: std::io::stderr().is_terminal(),
            drawn: None,
        }
    }

    /// `done` of `total` (a bar when the total is known), and a note.
    pub fn update(&mut self, done: u64, total: Option<u64>, note: &str) {
        if !self.live
            || self
                .drawn
                .is_some_and(|at| at.elapsed() < Duration::from_millis(100))
        {
            return;
        }
        self.drawn = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{}", render(self.label, done, total, note));
        let _ = err.flush();
    }

    /// Removes the line, so that what is printed next starts clean.
    pub fn clear(&mut self) {
        if self.live && self.drawn.take().is_some() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

/// `import [#######.............] 1200/2500  48%  300 adopted`
pub fn render(label: &str, done: u64, total: Option<u64>, note: &str) -> String {
    const WIDTH: u64 = 20;
    match total {
        Some(total) if total > 0 => {
            let done = done.min(total);
            let filled = (done * WIDTH / total) as usize;
            format!(
                "{label} [{}{}] {done}/{total} {:>3}%  {note}",
                "#".repeat(filled),
                ".".repeat(WIDTH as usize - filled),
                done * 100 / total
            )
        }
        _ => format!("{label} {done}  {note}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_when_the_total_is_known_a_count_otherwise() {
        assert_eq!(
            render("import", 1200, Some(2500), "300 adopted"),
            "import [#########...........] 1200/2500  48%  300 adopted"
        );
        assert_eq!(
            render("import", 3000, Some(2500), ""),
            "import [####################] 2500/2500 100%  "
        );
        assert_eq!(
            render("replay", 7, None, "2 failing"),
            "replay 7  2 failing"
        );
    }
}
