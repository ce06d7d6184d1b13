//! Errors at the command-line boundary, the exit codes they map to, and their JSON form.

use std::process::ExitCode;

use baken::aws::AwsError;
use baken::bootstrap::BootstrapError;
use baken::engine::EngineError;
use baken::manifest::ManifestError;
use baken::package::PackageError;
use serde_json::json;

pub const EXIT_OK: u8 = 0;
pub const EXIT_ERROR: u8 = 1;
pub const EXIT_PENDING: u8 = 2;
pub const EXIT_PARTIAL: u8 = 3;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("invalid manifest:\n{0}")]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("cannot build the Lambda package: {0}")]
    Package(#[from] PackageError),
    #[error("cannot render the gateway instance's software: {0}")]
    Bootstrap(#[from] BootstrapError),
    #[error("cannot estimate the cost: {0}")]
    Cost(#[from] baken::cost::CostError),
    /// The command will not go on without something from the person (approval, a flag).
    #[error("{0}")]
    Refused(String),
    /// A flag or argument clap could not check on its own (it needs the manifest).
    #[error("{0}")]
    Usage(String),
    /// What was asked for does not exist in the account (an output of a stack not deployed).
    #[error("{0}")]
    NotFound(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Dev(String),
    /// A saved plan that no longer matches the account, the manifest or the stack.
    #[error("{0}")]
    StalePlan(String),
    #[error(transparent)]
    Lock(#[from] baken::engine::lock::LockError),
    #[error(transparent)]
    Adopt(#[from] baken::adopt::steps::StepError),
    #[error(transparent)]
    Receipt(#[from] baken::adopt::receipt::ReceiptError),
    /// An error after some changes were made: exit 3, run it again to finish.
    #[error("{0}")]
    Partly(Box<CliError>),
    /// SIGINT or SIGTERM (its number) stopped the run between two of its steps.
    #[error("interrupted by {name} (signal {0}): no further step was started; the deploy lock is released\n  hint: run the same command again to continue", name = baken::engine::interrupt::name(*.0))]
    Interrupted(i32),
}

impl From<baken::engine::run::RunError> for CliError {
    fn from(e: baken::engine::run::RunError) -> CliError {
        use baken::engine::run::RunError;
        match e {
            RunError::Refused(r) => CliError::Refused(r.to_string()),
            RunError::Stale(s) => CliError::StalePlan(s.to_string()),
            RunError::Engine(e) => CliError::Engine(e),
            RunError::Lock(e) => CliError::Lock(e),
            RunError::Aws(e) => CliError::Aws(e),
        }
    }
}

impl From<baken::adopt::carry::CarryError> for CliError {
    fn from(e: baken::adopt::carry::CarryError) -> CliError {
        use baken::adopt::carry::CarryError;
        match e {
            CarryError::Step(e) => CliError::Adopt(e),
            CarryError::Receipt(e) => CliError::Receipt(e),
            CarryError::Run(e) => e.into(),
            CarryError::Lock(e) => CliError::Lock(e),
            CarryError::Aws(e) => CliError::Aws(e),
            CarryError::Interrupted(signal) => CliError::Interrupted(signal),
            CarryError::Partly(e) => CliError::Partly(Box::new((*e).into())),
        }
    }
}

impl From<baken::engine::run::Refusal> for CliError {
    fn from(r: baken::engine::run::Refusal) -> CliError {
        CliError::Refused(r.to_string())
    }
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            CliError::Partly(_) => EXIT_PARTIAL,
            CliError::Interrupted(signal) => baken::engine::interrupt::exit_code(*signal),
            _ => EXIT_ERROR,
        })
    }

    /// A stable name for the kind of error (docs/json.md).
    pub fn code(&self) -> &'static str {
        match self {
            CliError::Manifest(_) => "manifest",
            CliError::Engine(EngineError::ModeSwitch { .. }) => "mode-switch",
            CliError::Engine(EngineError::WrongAccount { .. }) => "wrong-account",
            CliError::Engine(EngineError::ModeUnclear { .. }) => "mode-unclear",
            CliError::Engine(EngineError::Aws(_)) | CliError::Aws(_) => "aws",
            CliError::Package(_) => "package",
            CliError::Bootstrap(_) => "bootstrap",
            CliError::Cost(_) => "cost",
            CliError::Refused(_) => "refused",
            CliError::Usage(_) => "usage",
            CliError::NotFound(_) => "not-found",
            CliError::Write { .. } => "write",
            CliError::Dev(_) => "dev",
            CliError::StalePlan(_) => "stale-plan",
            CliError::Lock(baken::engine::lock::LockError::Held { .. }) => "locked",
            CliError::Lock(baken::engine::lock::LockError::Aws(_)) => "aws",
            CliError::Adopt(baken::adopt::steps::StepError::Aws(_)) => "aws",
            CliError::Adopt(_) => "adopt",
            CliError::Receipt(_) => "receipt",
            CliError::Partly(e) => e.code(),
            CliError::Interrupted(_) => "interrupted",
        }
    }

    fn aws(&self) -> Option<&AwsError> {
        match self {
            CliError::Engine(EngineError::Aws(e))
            | CliError::Aws(e)
            | CliError::Lock(baken::engine::lock::LockError::Aws(e))
            | CliError::Adopt(baken::adopt::steps::StepError::Aws(e)) => Some(e),
            CliError::Partly(e) => e.aws(),
            _ => None,
        }
    }

    /// The error as the JSON document `--json` prints on stdout.
    pub fn to_json(&self) -> serde_json::Value {
        let (message, hint) = match self.aws() {
            Some(e) => (
                format!("{} on {} failed: {}", e.operation, e.resource, e.message),
                e.hint.clone(),
            ),
            None => split_hint(&self.to_string()),
        };
        let resource = match self {
            CliError::Manifest(m) => Some(m.path().display().to_string()),
            CliError::Write { path, .. } => Some(path.display().to_string()),
            _ => self.aws().map(|e| e.resource.clone()),
        };
        error_document(
            self.code(),
            &message,
            resource.as_deref(),
            hint.as_deref(),
            self.aws().and_then(|e| e.code.as_deref()),
        )
    }
}

/// The text form puts the hint on its own line (`\n  hint: …`); JSON has a field for it.
fn split_hint(text: &str) -> (String, Option<String>) {
    match text.split_once("\n  hint: ") {
        Some((message, hint)) => (message.to_string(), Some(hint.to_string())),
        None => (text.to_string(), None),
    }
}

pub fn error_document(
    code: &str,
    message: &str,
    resource: Option<&str>,
    hint: Option<&str>,
    aws_code: Option<&str>,
) -> serde_json::Value {
    json!({
        "schema_version": super::output::SCHEMA_VERSION,
        "error": {
            "code": code,
            "message": message,
            "resource": resource,
            "hint": hint,
            "aws_code": aws_code,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_keeps_its_hint_apart_in_json() {
        let e = CliError::Refused("no terminal\n  hint: run again with --yes".into());
        let j = e.to_json();
        assert_eq!(j["error"]["code"], "refused");
        assert_eq!(j["error"]["message"], "no terminal");
        assert_eq!(j["error"]["hint"], "run again with --yes");
        assert!(j["error"]["resource"].is_null());
    }

    #[test]
    fn an_aws_error_names_its_resource_and_code() {
        let mut aws = AwsError::new("CreateTable", "table t-cart", "denied")
            .with_hint("check the role's permissions");
        aws.code = Some("AccessDeniedException".into());
        let j = CliError::Aws(aws).to_json();
        assert_eq!(j["error"]["code"], "aws");
        assert_eq!(j["error"]["aws_code"], "AccessDeniedException");
        assert_eq!(j["error"]["resource"], "table t-cart");
        assert_eq!(j["error"]["hint"], "check the role's permissions");
        assert_eq!(j["schema_version"], super::super::output::SCHEMA_VERSION);
    }
}
