//! Errors at the command-line boundary and the exit codes they map to.

use std::process::ExitCode;

use baken::aws::AwsError;
use baken::bootstrap::BootstrapError;
use baken::engine::EngineError;
use baken::manifest::ManifestError;
use baken::package::PackageError;

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
    /// The command will not go on without something from the person (approval, a flag).
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Dev(String),
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(EXIT_ERROR)
    }
}
