//! The Baken Kaigi API (docs/api.md): one router (`routes`) over the betting domain, race data,
//! storage and the consultation's advisor, served by AWS Lambda (`host::lambda`, the `bootstrap`
//! binary) and locally by `baken dev` (`host::local`).

pub mod advisor;
pub mod app;
pub mod consultation;
pub mod domain;
pub mod host;
pub mod http;
pub mod jvdata;
pub mod races;
pub mod routes;
pub mod schedule;
pub mod store;

pub use app::{App, Config};
