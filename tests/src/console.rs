//! The operator console (`internetx-bridge console`) as a process of its
//! own on a free loopback port, with a world's environment.

use std::time::Duration;

use tokio::process::{Child, Command};

/// A console process, stopped when dropped.
pub struct ConsoleProcess {
    _child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl ConsoleProcess {
    /// Starts the built binary with `env` (a world's functions'
    /// environment) and `extra` arguments; waits until it answers.
    pub async fn start(env: &[(String, String)], extra: &[&str]) -> ConsoleProcess {
        let host = format!("127.0.0.1:{}", crate::free_port());
        let binary = crate::lambda::workspace_root().join("target/debug/internetx-bridge");
        let child = Command::new(binary)
            .args(["console", "--bind", &host])
            .args(extra)
            .envs(env.iter().cloned())
            .kill_on_drop(true)
            .spawn()
            .expect("start the console (build the binaries first)");
        let base = format!("http://{host}");
        for _ in 0..200 {
            if reqwest::get(format!("{base}/style.css")).await.is_ok() {
                return ConsoleProcess {
                    _child: child,
                    base,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the console did not start on {host}");
    }
}
