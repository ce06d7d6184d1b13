//! The vocabulary of IAM policy statements. Each service module states the permissions of its own
//! calls with it, in a `permissions` function beside them, scoped to the stack's names;
//! `super::policy` joins them. A test records every request baken sends to the emulator during
//! full runs and checks that each one's action is allowed here, so a new call without its
//! permission fails the tests.

use serde::Serialize;

use crate::model::{Mode, Stack};

/// What the resource ARNs are built from.
pub struct Scope<'a> {
    pub stack: &'a Stack,
    pub account: &'a str,
    pub region: &'a str,
    pub mode: Mode,
}

impl Scope<'_> {
    /// `arn:aws:<service>:<region>:<account>:<rest>`
    pub fn arn(&self, service: &str, rest: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{rest}", self.region, self.account)
    }

    pub fn jravan(&self) -> bool {
        self.mode == Mode::Jravan
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    #[serde(rename = "Sid")]
    pub sid: String,
    #[serde(rename = "Effect")]
    pub effect: &'static str,
    #[serde(rename = "Action")]
    pub actions: Vec<String>,
    #[serde(rename = "Resource")]
    pub resources: Vec<String>,
    #[serde(rename = "Condition", skip_serializing_if = "Option::is_none")]
    pub condition: Option<serde_json::Value>,
}

/// An Allow statement: `service:Action` for each action, on `resources`.
pub fn allow(sid: &str, service: &str, actions: &[&str], resources: Vec<String>) -> Statement {
    Statement {
        sid: sid.to_string(),
        effect: "Allow",
        actions: actions.iter().map(|a| format!("{service}:{a}")).collect(),
        resources,
        condition: None,
    }
}

impl Statement {
    pub fn when(mut self, condition: serde_json::Value) -> Statement {
        self.condition = Some(condition);
        self
    }
}
