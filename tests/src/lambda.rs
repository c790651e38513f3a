//! The functions as Lambda runs them: `cargo lambda watch` on loopback,
//! invoked through `cargo lambda invoke` (or the same Invoke API over HTTP).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::process::{Child, Command};

use crate::free_port;

/// The workspace root (where `cargo lambda` must run).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("workspace root")
}

/// `cargo lambda watch` serving every function of the workspace; stopped
/// when dropped.
pub struct LambdaWatch {
    pub port: u16,
    child: Child,
    /// Where the functions' output goes (their log and metric lines).
    output: PathBuf,
}

impl LambdaWatch {
    /// Starts the emulator with the functions' environment. `quiet` keeps
    /// cargo's build output off the terminal; the functions' own output
    /// goes to a file either way ([`LambdaWatch::output`]).
    /// Picks the port before starting, so the simulator can be told where
    /// to invoke the mail function.
    pub fn port() -> u16 {
        free_port()
    }

    /// The Lambda Invoke API URL of a function behind an emulator on `port`.
    pub fn invoke_url_at(port: u16, function: &str) -> String {
        format!("http://127.0.0.1:{port}/2015-03-31/functions/{function}/invocations")
    }

    pub async fn start(port: u16, env: &[(String, String)], quiet: bool) -> LambdaWatch {
        Self::spawn(port, quiet, |cmd| {
            cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        })
        .await
    }

    /// The emulator as a newcomer starts it: the functions' environment
    /// only from `--env-file` (events/README.md).
    pub async fn start_with_env_file(port: u16, file: &Path, quiet: bool) -> LambdaWatch {
        Self::spawn(port, quiet, |cmd| {
            cmd.arg("--env-file").arg(file);
        })
        .await
    }

    async fn spawn(port: u16, quiet: bool, environment: impl FnOnce(&mut Command)) -> LambdaWatch {
        let mut cmd = Command::new("cargo");
        cmd.args([
            "lambda",
            "watch",
            "--ignore-changes",
            "--invoke-address",
            "127.0.0.1",
        ])
        .args(["--invoke-port", &port.to_string()])
        .arg("--concurrency")
        .arg("2")
        // The invocation's deadline, as the template gives reconcile: a
        // function only starts work whose worst case fits before it.
        .args(["--timeout", "300"])
        .current_dir(workspace_root())
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .kill_on_drop(true);
        environment(&mut cmd);
        let output = std::env::temp_dir().join(format!("lambda-watch-{port}.log"));
        let file = std::fs::File::create(&output).expect("the functions' output file");
        let stderr = file.try_clone().expect("the functions' output file");
        if quiet {
            cmd.arg("--quiet");
        }
        cmd.stdout(file).stderr(stderr);
        let child = cmd.spawn().unwrap_or_else(|e| {
            panic!("cannot start `cargo lambda watch` ({e}); install it with `pip install cargo-lambda` (tests/setup.sh does)")
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not listen within 120 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        LambdaWatch {
            port,
            child,
            output,
        }
    }

    /// What the functions printed so far: JSON log lines (stderr) and
    /// embedded-metric-format lines (stdout).
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// The Lambda Invoke API URL of a function behind this emulator.
    pub fn invoke_url(&self, function: &str) -> String {
        format!(
            "http://127.0.0.1:{}/2015-03-31/functions/{function}/invocations",
            self.port
        )
    }

    /// `cargo lambda invoke <function> --data-file <file>`: the function's
    /// JSON answer, or its error text.
    pub async fn invoke_file(&self, function: &str, file: &Path) -> Result<Value, String> {
        let out = Command::new("cargo")
            .args([
                "lambda",
                "invoke",
                function,
                "--invoke-address",
                "127.0.0.1",
            ])
            .args([
                "--invoke-port",
                &self.port.to_string(),
                "--output-format",
                "json",
            ])
            .arg("--data-file")
            .arg(file)
            .current_dir(workspace_root())
            .env("CARGO_LAMBDA_COLOR", "never")
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|e| format!("cannot run cargo lambda invoke: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!(
                "{}{}",
                stdout,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        serde_json::from_str(stdout.trim()).map_err(|e| format!("not JSON ({e}): {stdout}"))
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        let _ = std::fs::remove_file(&self.output);
    }
}
