//! The integration suite, one binary: baken against the moto emulator, the API through
//! `baken dev`, and AWS behaviours moto does not reproduce through aws-smithy-mocks.

mod harness;
mod http;
mod moto;
mod proxy;
mod runtime_api;

mod advisor;
mod api;
mod bootstrap;
mod deploy;
mod drift;
mod jravan;
mod jravan_e2e;
mod lambda_artifact;
mod launch;
mod manifest_errors;
mod removal;
mod retries;
mod run_command;
mod stacks;
mod store;
