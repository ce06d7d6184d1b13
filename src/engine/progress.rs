//! What the executor tells whoever watches: a step started, is still running, finished.

use std::time::Duration;

use crate::aws::AwsError;
use crate::plan::Step;

pub trait Progress: Send + Sync {
    fn started(&self, step: &Step);
    /// Called every few seconds with the steps still running, how long each has run, and what
    /// it waits for in AWS when it is waiting (an instance starting, interfaces being released).
    fn running(&self, steps: &[(&Step, Duration, Option<String>)]);
    fn finished(&self, step: &Step, outcome: &Result<(), AwsError>, elapsed: Duration);
}

/// Says nothing (JSON output, tests).
pub struct Silent;

impl Progress for Silent {
    fn started(&self, _: &Step) {}
    fn running(&self, _: &[(&Step, Duration, Option<String>)]) {}
    fn finished(&self, _: &Step, _: &Result<(), AwsError>, _: Duration) {}
}
