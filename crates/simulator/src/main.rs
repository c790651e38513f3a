//! `internetx-simulator`: the gateway simulator as a process, for the demo.

use std::net::SocketAddr;

use clap::Parser;
use internetx_simulator::{Simulator, SimulatorConfig};

#[derive(Parser)]
#[command(about = "A local InterNetX XML gateway simulator")]
struct Args {
    /// Address to listen on (loopback only is sensible).
    #[arg(long, default_value = "127.0.0.1:8700")]
    listen: SocketAddr,
    #[arg(long, env = "SIM_USER", default_value = "bridge")]
    user: String,
    #[arg(long, env = "SIM_PASSWORD", default_value = "sim-password")]
    password: String,
    #[arg(long, env = "SIM_CONTEXT", default_value = "4")]
    context: String,
    /// Domains registered elsewhere (create is refused); repeatable.
    #[arg(long = "taken")]
    taken: Vec<String>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut config = SimulatorConfig {
        user: args.user,
        password: args.password,
        context: args.context,
        ..SimulatorConfig::default()
    };
    config.taken.extend(args.taken);
    let sim = Simulator::start(config, args.listen).await?;
    eprintln!("internetx-simulator listening on {}", sim.url());
    sim.wait().await;
    Ok(())
}
