//! The integration suite, one binary: baken against the moto emulator, the API through
//! `baken dev`, and AWS behaviours moto does not reproduce through aws-smithy-mocks.

mod harness;
mod http;
mod moto;
mod proxy;
mod runtime_api;

mod account;
mod adopt;
mod adopt_refusals;
mod advisor;
mod api;
mod bootstrap;
mod cdk_app;
mod completions;
mod deploy;
mod dev;
mod drift;
mod duplicates;
mod environments;
mod executor;
mod extra_drift;
mod gateway_health;
mod iam_policy;
mod installed;
mod interrupt;
mod jravan;
mod jravan_e2e;
mod json_output;
mod json_shape;
mod lambda_artifact;
mod launch;
mod layers;
mod lock;
mod logs;
mod manifest_errors;
mod outputs;
mod protection;
mod rate_limits;
mod removal;
mod replacements;
mod retries;
mod run_command;
mod saved_plans;
mod stacks;
mod store;
