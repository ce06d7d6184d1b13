//! baken: builds, deploys and runs the Baken Kaigi system on AWS.
//!
//! The flow, one module per idea: `manifest` (YAML → validated `model`) → `desired` (one spec per
//! AWS resource) + `live` (what exists, read through `aws`) → `plan` (the difference, as a value)
//! → `engine` (carries a plan out) ; `package` builds the Lambda artefact.

pub mod adopt;
pub mod aws;
pub mod bootstrap;
pub mod cost;
pub mod desired;
pub mod engine;
pub mod live;
pub mod manifest;
pub mod model;
pub mod package;
pub mod plan;
pub mod resource;
