//! The command line, validated by clap into these types before any work starts.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success; nothing to do (plan); in sync (status)
  1  error: bad manifest or flags, AWS refused, a wait timed out; nothing was changed unless it says so
  2  changes pending (plan) or drift found (status)
  3  deploy or teardown partly applied: some changes were made, others failed; run it again to finish";

/// Builds, deploys and runs the Baken Kaigi system on AWS.
#[derive(Debug, Parser)]
#[command(name = "baken", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The stack's manifest.
    #[arg(
        long,
        global = true,
        env = "BAKEN_MANIFEST",
        default_value = "manifests/baken.yaml"
    )]
    pub manifest: PathBuf,
    /// AWS region; overrides the manifest's `region`.
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// AWS profile from the shared config files (default: the standard credential chain).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Send every AWS request to this endpoint (an emulator such as moto). The SDK's standard
    /// AWS_ENDPOINT_URL variable works too.
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Output format for plan, deploy, status and teardown.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Same as --output json.
    #[arg(long, global = true)]
    pub json: bool,
}

impl Global {
    pub fn json(&self) -> bool {
        self.json || self.output == OutputFormat::Json
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    Mock,
    Jravan,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show what deploy would create, change, replace or delete, and why. Changes nothing.
    /// Exit 0: nothing to do; 2: changes pending.
    Plan(PlanArgs),
    /// Build the handlers, show the plan, ask for approval, and reconcile the stack.
    Deploy(DeployArgs),
    /// Read-only health and drift report per resource. Exit 0: in sync; 2: drift or missing.
    Status,
    /// Remove everything the stack owns, in a safe order. Running it twice is harmless.
    Teardown(TeardownArgs),
    /// Run the whole API locally on one port, with no AWS account.
    Dev(DevArgs),
}

#[derive(Debug, Args)]
pub struct Artefact {
    /// Deploy this package instead of building `handlers/`: a zip holding `bootstrap`, or the
    /// `bootstrap` binary itself.
    #[arg(long, value_name = "PATH")]
    pub artifact: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Deployment mode; overrides the manifest's `mode`.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    #[command(flatten)]
    pub artefact: Artefact,
    /// Do not build: leave the function code out of the comparison.
    #[arg(long, conflicts_with = "artifact")]
    pub no_build: bool,
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Deployment mode; overrides the manifest's `mode`. Needed to switch a deployed stack's mode.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Apply without asking. Required when there is no terminal to ask at.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Allow the plan to replace the gateway instance (a new AMI, user data, type or disk).
    /// Replacing it throws away JV-Link's downloaded data, so baken never does it unasked.
    #[arg(long)]
    pub replace_instance: bool,
    #[command(flatten)]
    pub artefact: Artefact,
}

#[derive(Debug, Args)]
pub struct TeardownArgs {
    /// Remove without asking, tables and their data included. Required without a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Keep the DynamoDB tables and their items.
    #[arg(long)]
    pub keep_data: bool,
}

#[derive(Debug, Args)]
pub struct DevArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// Keep carts and sessions in DynamoDB at this endpoint instead of in memory.
    #[arg(long, value_name = "URL")]
    pub dynamodb_endpoint: Option<String>,
    /// Read races from a JV-Link gateway at this URL instead of the mock data.
    #[arg(long, value_name = "URL")]
    pub jravan_url: Option<String>,
}
