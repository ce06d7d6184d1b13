//! Plans for people (text) and for pipelines (JSON, stable field names).

use std::fmt::Write;

use super::{Action, Change, Plan};
use crate::live::Owner;

fn value(v: &Option<String>) -> String {
    match v {
        None => "(absent)".into(),
        Some(s) if s.len() > 120 => format!(
            "{}… ({} chars)",
            &s[..s.char_indices().nth(100).map(|(i, _)| i).unwrap_or(s.len())],
            s.len()
        ),
        Some(s) => s.clone(),
    }
}

pub fn change_line(c: &Change) -> String {
    format!("{}: {} → {}", c.attribute, value(&c.live), value(&c.wanted))
}

pub fn owner_text(owner: &Owner) -> String {
    match owner {
        Owner::Ours => "owned by this stack".into(),
        Owner::OtherStack(s) => format!("owned by baken stack `{s}`"),
        Owner::Unmanaged => "not managed by baken".into(),
    }
}

/// Terraform-like text: one line per step, attribute lines under updates, a summary line.
pub fn text(plan: &Plan, region: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan for stack {} ({} mode) in {region}:",
        plan.stack,
        plan.mode.as_str()
    );
    for step in &plan.steps {
        let (sign, note) = match &step.action {
            Action::Create => ("+", String::new()),
            Action::Update { .. } => ("~", String::new()),
            Action::Replace { reason, .. } => ("-/+", format!(" ({reason})")),
            Action::Delete { holds_data: true } => {
                ("-", " (its data is deleted with it)".to_string())
            }
            Action::Delete { .. } => ("-", String::new()),
        };
        let _ = writeln!(
            out,
            "  {sign} {} {}{note}",
            step.action.verb(),
            step.resource
        );
        for c in step.action.changes() {
            let _ = writeln!(out, "      {}", change_line(c));
        }
    }
    for c in &plan.conflicts {
        let _ = writeln!(
            out,
            "  ! in the way: {} exists, {}",
            c.resource,
            owner_text(&c.owner)
        );
    }
    let _ = writeln!(
        out,
        "Plan: {} to create, {} to update, {} to replace, {} to delete; {} in sync.",
        plan.count("create"),
        plan.count("update"),
        plan.count("replace"),
        plan.count("delete"),
        plan.in_sync.len()
    );
    if plan.is_empty() && plan.conflicts.is_empty() {
        let _ = writeln!(out, "No changes.");
    }
    out
}
