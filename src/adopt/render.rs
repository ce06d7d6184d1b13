//! The adoption plan and a receipt's progress for people; the JSON form is `Adoption` itself.

use std::fmt::Write;

use super::receipt::{Receipt, Step};
use super::{Adoption, Disposition, Fate};
use crate::aws::cloudformation::TEMPLATE_BODY_MAX;
use crate::model::Mode;

fn sign(f: Fate) -> char {
    match f {
        Fate::Adopted => '=',
        Fate::Replaced => '~',
        Fate::Left => '.',
    }
}

fn what(d: &Disposition) -> String {
    match &d.becomes {
        Some(b) => b.to_string(),
        None => format!(
            "{} {}",
            d.resource_type,
            d.physical_id.as_deref().unwrap_or("(no physical id)")
        ),
    }
}

/// One resource: its fate, what it is, its logical id when it is in a stack, and why.
fn line(d: &Disposition) -> String {
    let logical = match d.logical_id.as_str() {
        "" => String::new(),
        l => format!(" [{l}]"),
    };
    format!(
        "    {} {:<7} {}{logical}: {}",
        sign(d.fate),
        d.fate.label(),
        what(d),
        d.why
    )
}

/// What the person is told the adoption will do; `place` as the plan says it.
pub fn plan_text(a: &Adoption, stack: &str, mode: Mode, place: &str, receipt: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Adoption into baken stack {stack} ({} mode) in {place}:",
        mode.as_str()
    );
    for (i, s) in a.stacks.iter().enumerate() {
        let _ = writeln!(
            out,
            "  CloudFormation stack {} ({}, {} resources), deleted {}:",
            s.name,
            s.status,
            s.resources,
            if i == 0 {
                "first".to_string()
            } else {
                format!("after {}", a.stacks[i - 1].name)
            }
        );
        for d in a.resources.iter().filter(|d| d.stack == s.name) {
            let _ = writeln!(out, "{}", line(d));
        }
        let _ = writeln!(
            out,
            "    retain template: {} bytes{}{}",
            s.retain_template_bytes,
            match s.retain_template_via.as_str() {
                "inline" => String::new(),
                via => format!(", through {via} (over the {TEMPLATE_BODY_MAX} bytes CloudFormation takes inline; removed with the stack)"),
            },
            s.retain_notes
                .iter()
                .map(|n| format!("; {n}"))
                .collect::<String>()
        );
    }
    let loose: Vec<&Disposition> = a.resources.iter().filter(|d| d.stack.is_empty()).collect();
    if !loose.is_empty() {
        let _ = writeln!(out, "  In no stack:");
        for d in loose {
            let _ = writeln!(out, "{}", line(d));
        }
    }
    let count = |f: Fate| a.resources.iter().filter(|d| d.fate == f).count();
    let _ = writeln!(
        out,
        "Summary: {} kept, {} replaced by baken's own, {} left as they are.",
        count(Fate::Adopted),
        count(Fate::Replaced),
        count(Fate::Left)
    );
    let names: Vec<&str> = a.stacks.iter().map(|s| s.name.as_str()).collect();
    let _ = writeln!(
        out,
        "With --yes, each step recorded in {receipt} before the next, so a re-run continues:"
    );
    let steps = steps_text(&a.backups, &names, stack, mode);
    for (i, s) in steps.iter().enumerate() {
        let _ = writeln!(out, "  {}. {s}", i + 1);
    }
    for r in &a.refusals {
        let _ = writeln!(
            out,
            "  ! refused: stack {}: {}\n      hint: {}",
            r.stack, r.problem, r.hint
        );
    }
    out
}

fn steps_text(backups: &[String], stacks: &[&str], stack: &str, mode: Mode) -> Vec<String> {
    let mut out = vec![
        if backups.is_empty() {
            "back up the kept tables (none)".to_string()
        } else {
            format!("back up table{} {} (DynamoDB on-demand backups)", plural(backups.len()), backups.join(", "))
        },
        format!(
            "set DeletionPolicy and UpdateReplacePolicy Retain on every resource of {} (a change set, refused if it would replace or remove anything)",
            stacks.join(", ")
        ),
        format!("delete stack{} {}, in that order: every resource stays, owned by no stack", plural(stacks.len()), stacks.join(", ")),
        format!("tag the kept resources as baken stack `{stack}`"),
        "deploy: baken reconciles the kept resources in place; the REST API keeps its id, so its invoke URL does not change".to_string(),
    ];
    if mode == Mode::Jravan {
        out.push("the functions keep using the CDK app's gateway until baken's gateway reports healthy; `baken adopt` run again then moves them in one update".into());
    }
    out.push("`baken adopt --cleanup` removes what baken replaced, from the receipt".into());
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// A receipt's steps, done or not, for a re-run to say where it continues.
pub fn progress_text(r: &Receipt) -> String {
    let mut all = vec![Step::BackedUp];
    all.extend(r.stacks.iter().map(|s| Step::Retained(s.name.clone())));
    all.extend(r.stacks.iter().map(|s| Step::Deleted(s.name.clone())));
    all.extend([Step::Tagged, Step::Deployed]);
    if r.mode == Mode::Jravan {
        all.push(Step::CutOver);
    }
    let mut out = String::new();
    for s in all {
        let mark = if r.is_done(&s) { "done" } else { "to do" };
        let _ = writeln!(out, "  {mark:<6} {}", step_text(&s));
    }
    out
}

pub fn step_text(s: &Step) -> String {
    match s {
        Step::BackedUp => "back up the kept tables".into(),
        Step::Retained(n) => format!("retain every resource of stack {n}"),
        Step::Deleted(n) => format!("delete stack {n}, leaving its resources"),
        Step::Tagged => "tag the kept resources as baken's".into(),
        Step::Deployed => "deploy".into(),
        Step::CutOver => "move the functions to baken's gateway".into(),
        Step::CleanedUp => "remove what baken replaced".into(),
    }
}
