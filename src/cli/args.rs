//! The command line, validated by clap into these types before any work starts. Each command
//! takes only the flags it uses: `dev` and `completions` need no manifest or AWS account, `cost`
//! needs the manifest but no account.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::duration::parse_duration;

pub const EXIT_CODES: &str = "\
Exit codes:
  0  success; nothing to do (plan); in sync (status)
  1  error: bad manifest or flags, AWS refused, a wait timed out; nothing was changed unless it says so
  2  changes pending (plan) or drift found (status)
  3  deploy, teardown or adopt partly applied: some changes were made, others failed; run it again to finish";

/// Builds, deploys and runs the Baken Kaigi system on AWS.
#[derive(Debug, Parser)]
#[command(name = "baken", version, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Which manifest, and the region override.
#[derive(Debug, Args)]
pub struct ManifestArgs {
    /// The stack's manifest.
    #[arg(long, env = "BAKEN_MANIFEST", default_value = "manifests/baken.yaml")]
    pub manifest: PathBuf,
    /// AWS region; overrides the manifest's `region`.
    #[arg(long)]
    pub region: Option<String>,
    /// The manifest's environment (`environments:`), or a preview's name (`previews:`) such as
    /// `pr-123`: its own stack, laid over the rest of the manifest. Needed when the manifest
    /// has environments.
    #[arg(long, env = "BAKEN_ENV", value_name = "NAME")]
    pub env: Option<String>,
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    /// Output format. JSON documents carry a `schema_version` (docs/json.md); errors are JSON too.
    /// `markdown` (plan only) is for a pull request's job summary.
    #[arg(long, visible_alias = "format", value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
    /// Same as --output json.
    #[arg(long)]
    pub json: bool,
}

impl FormatArgs {
    pub fn json(&self) -> bool {
        self.json || self.output == OutputFormat::Json
    }

    pub fn markdown(&self) -> bool {
        !self.json && self.output == OutputFormat::Markdown
    }
}

/// What every command that talks to AWS takes.
#[derive(Debug, Args)]
pub struct Global {
    #[command(flatten)]
    pub source: ManifestArgs,
    /// AWS profile from the shared config files (default: the standard credential chain).
    #[arg(long)]
    pub profile: Option<String>,
    /// Send every AWS request to this endpoint (an emulator such as moto). The SDK's standard
    /// AWS_ENDPOINT_URL variable works too.
    #[arg(long)]
    pub endpoint_url: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

impl Global {
    pub fn json(&self) -> bool {
        self.format.json()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Markdown,
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
    /// Read-only health and drift report per resource, and the stack's outputs.
    /// Exit 0: in sync; 2: drift or missing.
    Status(StatusArgs),
    /// Remove everything the stack owns, in a safe order. Running it twice is harmless.
    Teardown(TeardownArgs),
    /// Take over the resources of CloudFormation stacks (the AWS CDK app) with no data lost.
    /// Shows the plan and changes nothing, unless --yes. Exit 0: adopted; 2: pending (the plan,
    /// or waiting for baken's gateway); 3: partly done, run it again to continue.
    Adopt(AdoptArgs),
    /// Clear the stack's deploy lock, left by a run that died. Asks first, or takes --yes.
    Unlock(UnlockArgs),
    /// Start or stop the jravan gateway instance by hand (a holiday meeting, maintenance); the
    /// schedule takes over again at its next event. Asks first, or takes --yes.
    Gateway(GatewayArgs),
    /// Print the deployed stack's outputs (API URL, table and function names, gateway
    /// addresses), read from the account.
    Output(OutputArgs),
    /// Print the functions' CloudWatch logs, interleaved by time.
    Logs(LogsArgs),
    /// Estimate the stack's monthly AWS bill from the manifest. Needs no AWS account.
    Cost(CostArgs),
    /// Build the Lambda package (the handler zip `deploy --artifact` takes) and its checksum
    /// file, without deploying. Needs no AWS account.
    Package(PackageArgs),
    /// List the baken stacks in the account and region (found by their tables' tags), with
    /// their mode, who holds their lock, and the last run: leftover previews show here.
    Stacks(StacksArgs),
    /// Print the IAM policy a role needs to run plan, deploy, status, teardown, output and logs
    /// for this manifest, scoped to the stack's names and tags.
    IamPolicy(IamPolicyArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Run the whole API locally on one port, with no AWS account.
    Dev(DevArgs),
}

impl Command {
    /// Whether the person asked for Markdown, which only `plan` can print.
    pub fn markdown(&self) -> bool {
        match self {
            Command::Deploy(a) => a.global.format.markdown(),
            Command::Status(a) => a.global.format.markdown(),
            Command::Teardown(a) => a.global.format.markdown(),
            Command::Adopt(a) => a.global.format.markdown(),
            Command::Unlock(a) => a.global.format.markdown(),
            Command::Gateway(a) => a.global.format.markdown(),
            Command::Output(a) => a.global.format.markdown(),
            Command::Logs(a) => a.global.format.markdown(),
            Command::Cost(a) => a.format.markdown(),
            Command::Package(a) => a.format.markdown(),
            Command::IamPolicy(a) => a.global.format.markdown(),
            Command::Stacks(a) => a.global.format.markdown(),
            Command::Plan(_) | Command::Completions(_) | Command::Dev(_) => false,
        }
    }

    /// Whether the person asked for JSON, for reporting an error in the same form.
    pub fn json(&self) -> bool {
        match self {
            Command::Plan(a) => a.global.json(),
            Command::Deploy(a) => a.global.json(),
            Command::Status(a) => a.global.json(),
            Command::Teardown(a) => a.global.json(),
            Command::Adopt(a) => a.global.json(),
            Command::Unlock(a) => a.global.json(),
            Command::Gateway(a) => a.global.json(),
            Command::Output(a) => a.global.json(),
            Command::Logs(a) => a.global.json(),
            Command::Cost(a) => a.format.json(),
            Command::Package(a) => a.format.json(),
            Command::IamPolicy(a) => a.global.json(),
            Command::Stacks(a) => a.global.json(),
            Command::Completions(_) | Command::Dev(_) => false,
        }
    }
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
    /// Also write the plan to this file, with everything it was computed from, for `baken
    /// deploy --plan FILE` to apply exactly it (or refuse if anything moved since).
    #[arg(long, value_name = "FILE", conflicts_with = "no_build")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub global: Global,
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
    /// Allow the plan to replace a DynamoDB table (a new partition key). The old table and all
    /// its items are deleted before the new one is created, so baken never does it unasked.
    #[arg(long)]
    pub replace_table: bool,
    /// How long to wait for another run's deploy lock on the stack (`30s`, `10m`); 0, the
    /// default, refuses at once and names the holder.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "0s")]
    pub lock_timeout: Duration,
    /// Allow deleting tables (with their items) and terminating the gateway instance (with
    /// JV-Link's data): `--yes` alone does not. At a terminal, typing the stack name does too.
    #[arg(long)]
    pub allow_data_loss: bool,
    /// After a successful deploy, write the stack's outputs to this file as JSON (the document
    /// `baken output --json` prints).
    #[arg(long, value_name = "PATH")]
    pub outputs_file: Option<PathBuf>,
    /// Apply the plan saved by `baken plan --out FILE`, exactly, building nothing: refused
    /// (`stale-plan`) if anything it was computed from moved since. The package is the one the
    /// plan names (--artifact gives its new place, if it moved).
    #[arg(long, value_name = "FILE", conflicts_with = "mode")]
    pub plan: Option<PathBuf>,
    /// The same as --plan FILE (`baken deploy plan.json`, as `terraform apply FILE`).
    #[arg(value_name = "PLAN_FILE", conflicts_with_all = ["mode", "plan"])]
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub artefact: Artefact,
    #[command(flatten)]
    pub global: Global,
}

impl DeployArgs {
    /// The saved plan to apply, given either way.
    pub fn saved_plan(&self) -> Option<&PathBuf> {
        self.plan.as_ref().or(self.plan_file.as_ref())
    }
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Args)]
pub struct TeardownArgs {
    /// Remove without asking. Required without a terminal; deleting the tables and the gateway
    /// instance also needs --allow-data-loss.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Keep the DynamoDB tables and their items.
    #[arg(long)]
    pub keep_data: bool,
    /// How long to wait for another run's deploy lock on the stack (`30s`, `10m`); 0, the
    /// default, refuses at once and names the holder.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "0s")]
    pub lock_timeout: Duration,
    /// Allow deleting tables (with their items) and terminating the gateway instance (with
    /// JV-Link's data): `--yes` alone does not. At a terminal, typing the stack name does too.
    #[arg(long)]
    pub allow_data_loss: bool,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// The CloudFormation stacks to take over, in any order (importers are deleted first).
    #[arg(long = "from-cloudformation", value_name = "STACK", num_args = 1..,
          required_unless_present_any = ["from_cdk_app", "cleanup"])]
    pub from_cloudformation: Vec<String>,
    /// The CDK app's stacks: BakenKaigiApiStack, and JraVanServerStack where it exists.
    #[arg(long, conflicts_with = "from_cloudformation")]
    pub from_cdk_app: bool,
    /// Carry the adoption out (or continue it from its receipt). Without it, nothing changes.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Remove what the receipt lists as replaced by baken's own (the CDK app's roles, grants,
    /// and in jravan mode its instance, network and key pair), once the adoption is through.
    #[arg(long)]
    pub cleanup: bool,
    /// Where the copy of the adoption's receipt goes (default: `<stack>.adopt-receipt.json`
    /// beside the manifest). The receipt itself is kept in the account (the stack's lock
    /// table): a re-run continues from it, and --cleanup removes only what it lists.
    #[arg(long, value_name = "PATH")]
    pub receipt: Option<PathBuf>,
    /// The mode baken deploys the adopted stack in; overrides the manifest's `mode`.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// How long to wait for another run's deploy lock on the stack (`30s`, `10m`).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "0s")]
    pub lock_timeout: Duration,
    #[command(flatten)]
    pub artefact: Artefact,
    #[command(flatten)]
    pub global: Global,
}

/// The stack's outputs, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum OutputName {
    ApiUrl,
    ApiId,
    Stage,
    CartTable,
    SessionTable,
    Functions,
    GatewayInstanceId,
    GatewayPublicIp,
    GatewayPrivateIp,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// One output only (all when left out).
    #[arg(value_enum)]
    pub name: Option<OutputName>,
    /// Print the bare value of NAME, for scripts (a list: one item per line).
    #[arg(long, requires = "name", conflicts_with_all = ["json", "output"])]
    pub raw: bool,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Functions by route name (`get-races`) or full name; `gateway` for the gateway instance's
    /// bootstrap report. All nine functions (and the gateway, when deployed) when left out.
    #[arg(value_name = "FUNCTION")]
    pub functions: Vec<String>,
    /// How far back to start: 30s, 10m, 2h, 1d (or combined: 1h30m).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub since: Duration,
    /// Keep polling for new events until interrupted (Ctrl-C).
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// A CloudWatch Logs filter pattern (`ERROR`, `"exact phrase"`, `?ERROR ?WARN`).
    #[arg(long, value_name = "PATTERN")]
    pub filter: Option<String>,
    /// At most this many events per function for one read (the oldest first).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub limit: u32,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    /// Estimate this mode; default: the manifest's `mode`.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// API requests a month, for the per-request prices.
    #[arg(long, default_value_t = 10_000)]
    pub requests_per_month: u64,
    #[command(flatten)]
    pub source: ManifestArgs,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArchArg {
    #[value(name = "x86_64")]
    X86_64,
    Arm64,
}

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// Build for this architecture; default: the manifest's `functions.architecture`.
    #[arg(long, value_enum)]
    pub architecture: Option<ArchArg>,
    /// Write `baken-handlers-<architecture>.zip` and its `.sha256` into this folder.
    #[arg(long, value_name = "DIR", default_value = "dist")]
    pub out: PathBuf,
    #[command(flatten)]
    pub source: ManifestArgs,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct StacksArgs {
    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Args)]
pub struct GatewayArgs {
    #[arg(value_enum)]
    pub action: GatewayAction,
    /// Switch without asking. Required without a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GatewayAction {
    /// Start the instance and wait until it runs.
    Start,
    /// Stop the instance and wait until it is stopped.
    Stop,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Clear without asking. Required without a terminal.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Args)]
pub struct IamPolicyArgs {
    /// The mode to allow; default: the manifest's. jravan's policy covers mock too, and is what
    /// switching a jravan stack back to mock (or tearing it down) needs.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Also allow `baken adopt` (and its --cleanup) of these CloudFormation stacks.
    #[arg(long, value_name = "STACK", num_args = 1..)]
    pub adopt: Vec<String>,
    #[command(flatten)]
    pub global: Global,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct DevArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 3000)]
    pub port: u16,
    /// Keep carts and sessions in DynamoDB at this endpoint instead of in memory. The tables
    /// must exist there (CART_TABLE_NAME and SESSION_TABLE_NAME, default baken-kaigi-*).
    #[arg(long, value_name = "URL")]
    pub dynamodb_endpoint: Option<String>,
    /// The region of --dynamodb-endpoint's tables (default: AWS_REGION, else ap-northeast-1).
    #[arg(long, requires = "dynamodb_endpoint")]
    pub dynamodb_region: Option<String>,
    /// Read races from a JV-Link gateway at this URL instead of the mock data.
    #[arg(long, value_name = "URL")]
    pub jravan_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

/// docs/cli.md and clap agree: the same commands, and for each the same long flags.
#[cfg(test)]
mod docs_agree {
    use std::collections::BTreeSet;

    use clap::CommandFactory;

    use super::Cli;

    fn long_flags(text: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (i, _) in text.match_indices("`--") {
            let flag: String = text[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            out.insert(flag);
        }
        out
    }

    /// Flags named in the first cell of the section's table rows.
    fn table_flags(section: &str) -> BTreeSet<String> {
        section
            .lines()
            .filter_map(|l| l.strip_prefix("| "))
            .filter_map(|l| l.split(" | ").next())
            .flat_map(long_flags)
            .collect()
    }

    #[test]
    fn docs_cli_md_lists_every_command_and_flag_clap_knows() {
        // Read at run time: the target directory is shared between checkouts.
        let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
        let text = std::fs::read_to_string(format!("{root}/docs/cli.md")).expect("docs/cli.md");
        let common_start = text
            .find("## Common flags")
            .expect("a common flags section");
        let common_end = text[common_start..].find("## Commands").unwrap() + common_start;
        let common = table_flags(&text[common_start..common_end]);
        let sections: Vec<(&str, &str)> = text
            .split("\n### `baken ")
            .skip(1)
            .map(|s| {
                let name = s.split(['`', ' ']).next().unwrap();
                (name, s)
            })
            .collect();

        let cli = Cli::command();
        let commands: BTreeSet<&str> = cli
            .get_subcommands()
            .map(|c| c.get_name())
            .filter(|n| *n != "help")
            .collect();
        let documented: BTreeSet<&str> = sections.iter().map(|(n, _)| *n).collect();
        assert_eq!(commands, documented, "commands in --help vs docs/cli.md");

        for (name, section) in sections {
            let sub = cli.find_subcommand(name).unwrap();
            let flags: BTreeSet<String> = sub
                .get_arguments()
                .flat_map(|a| a.get_long_and_visible_aliases().unwrap_or_default())
                .filter(|l| *l != "help")
                .map(|l| format!("--{l}"))
                .collect();
            let mut docs = table_flags(section);
            // The AWS commands take the common flags (they are not repeated per command).
            if flags.contains("--profile") {
                docs.extend(common.iter().cloned());
            }
            assert_eq!(
                flags, docs,
                "flags of `baken {name}`: clap (left) vs docs/cli.md"
            );
        }
    }
}
