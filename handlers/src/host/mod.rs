//! The two hosts of the one router.

pub mod lambda;
pub mod local;
