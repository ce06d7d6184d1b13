//! Plans for people (text) and for pipelines (JSON, stable field names).

use std::fmt::Write;

use super::{Action, Change, Plan};
use crate::live::{Duplicate, Owner};

/// A value in full: a plan never cuts what it shows.
fn value(v: &Option<String>) -> String {
    match v {
        None => "(absent)".into(),
        Some(s) => s.clone(),
    }
}

/// One change: `attribute: live → wanted`; a policy document statement by statement, one line
/// each under the attribute (`\n` then four spaces, for the caller to indent further).
pub fn change_line(c: &Change) -> String {
    if let Some(lines) =
        super::policy_diff::diff(c.live.as_deref(), c.wanted.as_deref()).filter(|l| !l.is_empty())
    {
        let what = match (&c.live, &c.wanted) {
            (None, _) => "added",
            (_, None) => "removed",
            _ => "statements changed",
        };
        return format!(
            "{}: {what}\n    {}",
            known_after_apply(&c.attribute),
            lines.join("\n    ")
        );
    }
    format!(
        "{}: {} → {}",
        known_after_apply(&c.attribute),
        value(&c.live),
        known_after_apply(&value(&c.wanted))
    )
}

/// `text` with every line after the first indented by `indent` more.
pub fn indented(text: &str, indent: &str) -> String {
    text.replace('\n', &format!("\n{indent}"))
}

/// A reference to something not created yet, as Terraform shows it: `(known after apply: …)`.
fn known_after_apply(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{ref:") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 5..];
        let end = after.find('}').unwrap_or(after.len());
        out.push_str(&format!(
            "(known after apply: {})",
            after[..end].replace('/', " ")
        ));
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

pub fn owner_text(owner: &Owner) -> String {
    match owner {
        Owner::Ours => "owned by this stack".into(),
        Owner::OtherStack(s) => format!("owned by baken stack `{s}`"),
        Owner::CloudFormation { stack, logical_id } => format!(
            "part of CloudFormation stack {stack} as {logical_id}; take it over with `{}`",
            crate::live::adopt_command(stack)
        ),
        Owner::Unmanaged => "not managed by baken".into(),
    }
}

/// Terraform-like text: one line per step, attribute lines under updates, a summary line.
/// `place` is where the plan acts: `account 123456789012, ap-northeast-1`.
pub fn text(plan: &Plan, place: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan for stack {} ({} mode) in {place}:",
        plan.stack,
        plan.mode.as_str()
    );
    for step in &plan.steps {
        let note = note(&step.action)
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let sign = sign(&step.action);
        let note = match guard_line(plan, step) {
            Some(g) => format!("{note}\n      ! {g}"),
            None => note,
        };
        let _ = writeln!(
            out,
            "  {sign} {} {}{note}",
            step.action.verb(),
            step.resource
        );
        for c in step.action.changes() {
            let _ = writeln!(out, "      {}", indented(&change_line(c), "      "));
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
    for d in &plan.duplicates {
        let _ = writeln!(out, "  ! {}", duplicate_line(d));
    }
    for d in &plan.destructive {
        let _ = writeln!(out, "  ! destroys: {}", destructive_line(d));
    }
    for m in &plan.missing {
        let _ = writeln!(out, "  ! {}", missing_line(m));
    }
    let _ = writeln!(out, "{}", summary(plan));
    if plan.is_empty() && plan.conflicts.is_empty() {
        let _ = writeln!(out, "No changes.");
    }
    out
}

pub fn missing_line(m: &super::Missing) -> String {
    format!(
        "missing: {} {} does not exist; deploy refuses until it does\n      create it: {}",
        m.what, m.name, m.create_with
    )
}

/// What keeps deploy from a replacement: the flag it needs, or that it refuses.
fn guard_line(plan: &Plan, step: &super::Step) -> Option<String> {
    let g = plan
        .guarded_replacements
        .iter()
        .find(|g| g.resource == step.resource)?;
    Some(match g.flag {
        Some(flag) => format!("{}; deploy needs {flag}", g.reason),
        None => format!("{}; deploy refuses this replacement", g.reason),
    })
}

/// What a destructive step loses, with the table's item count when AWS gave one.
pub fn destructive_line(d: &super::Destructive) -> String {
    let items = match d.items {
        Some(n) => format!(" (about {n} items)"),
        None => String::new(),
    };
    format!("{}{items}: {} is lost", d.resource, d.loses)
}

/// Both ids of a resource found twice, and which one stays.
pub fn duplicate_line(d: &Duplicate) -> String {
    format!(
        "{} exists {} times: {} is in use and kept, {} {} deleted",
        d.resource,
        d.extra.len() + 1,
        d.kept,
        d.extra.join(", "),
        if d.extra.len() == 1 { "is" } else { "are" }
    )
}

/// Terraform's marks: `+` create, `~` update, `-/+` replace, `-` delete.
fn sign(action: &Action) -> &'static str {
    match action {
        Action::Create => "+",
        Action::Update { .. } => "~",
        Action::Replace { .. } => "-/+",
        Action::Delete { .. } => "-",
    }
}

/// What a step needs said beside it: why it replaces, or that it deletes data.
fn note(action: &Action) -> Option<String> {
    match action {
        Action::Replace { reason, .. } => Some(reason.clone()),
        Action::Delete { holds_data: true } => Some("its data is deleted with it".into()),
        _ => None,
    }
}

fn summary(plan: &Plan) -> String {
    format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete; {} in sync.",
        plan.count("create"),
        plan.count("update"),
        plan.count("replace"),
        plan.count("delete"),
        plan.in_sync.len()
    )
}

/// Text for a Markdown table cell: pipes escaped, lines joined.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', "<br>")
}

/// For a pull request's job summary (`$GITHUB_STEP_SUMMARY`): a heading, the summary line, one
/// table row per step with its changes, and the conflicts.
pub fn markdown(plan: &Plan, place: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### baken plan: stack `{}` ({} mode, {place})\n",
        plan.stack,
        plan.mode.as_str()
    );
    let _ = writeln!(out, "**{}**\n", summary(plan));
    if !plan.steps.is_empty() {
        let _ = writeln!(out, "| | Action | Resource | Changes |\n|---|---|---|---|");
        for step in &plan.steps {
            let mut changes: Vec<String> = step
                .action
                .changes()
                .iter()
                .map(|c| format!("`{}`", change_line(c).replace('`', "'")))
                .collect();
            if let Some(g) = guard_line(plan, step) {
                changes.insert(0, format!("**{g}**"));
            }
            if let Some(note) = note(&step.action) {
                changes.insert(0, note);
            }
            let _ = writeln!(
                out,
                "| `{}` | {} | `{}` | {} |",
                sign(&step.action),
                step.action.verb(),
                step.resource,
                cell(&changes.join("\n"))
            );
        }
        out.push('\n');
    }
    for d in &plan.duplicates {
        let _ = writeln!(out, "> **Duplicate:** {}\n", duplicate_line(d));
    }
    for d in &plan.destructive {
        let _ = writeln!(out, "> **Destroys:** {}\n", destructive_line(d));
    }
    for c in &plan.conflicts {
        let _ = writeln!(
            out,
            "> **In the way:** `{}` exists, {}; deploy refuses until it is moved.\n",
            c.resource,
            owner_text(&c.owner)
        );
    }
    for m in &plan.missing {
        let _ = writeln!(
            out,
            "> **Missing:** {} `{}` does not exist; deploy refuses until it does. Create it with `{}`\n",
            m.what, m.name, m.create_with
        );
    }
    if plan.is_empty() && plan.conflicts.is_empty() {
        let _ = writeln!(out, "No changes.");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Kind;

    #[test]
    fn markdown_plans_escape_pipes_and_keep_one_row_per_step() {
        use crate::resource::ResourceId;
        let plan = Plan {
            stack: "t".into(),
            mode: crate::model::Mode::Mock,
            steps: vec![
                super::super::Step {
                    resource: ResourceId::new(Kind::Function, "t-get-races"),
                    action: Action::Update {
                        changes: vec![
                            Change {
                                attribute: "memory".into(),
                                live: Some("512".into()),
                                wanted: Some("128".into()),
                            },
                            Change {
                                attribute: "env A".into(),
                                live: None,
                                wanted: Some("x|y".into()),
                            },
                        ],
                    },
                    after: vec![],
                },
                super::super::Step {
                    resource: ResourceId::new(Kind::Table, "t-cart"),
                    action: Action::Delete { holds_data: true },
                    after: vec![],
                },
            ],
            in_sync: vec![],
            conflicts: vec![],
            unhealthy: vec![],
            duplicates: vec![],
            guarded_replacements: vec![],
            destructive: vec![],
            missing: vec![],
        };
        let md = markdown(&plan, "ap-northeast-1");
        let rows: Vec<&str> = md
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| |"))
            .collect();
        assert_eq!(rows.len(), 2, "{md}");
        assert!(
            rows[0].contains("`memory: 512 → 128`<br>`env A: (absent) → x\\|y`"),
            "{md}"
        );
        assert!(rows[1].contains("its data is deleted with it"), "{md}");
        assert!(
            md.contains(
                "**Plan: 0 to create, 1 to update, 0 to replace, 1 to delete; 0 in sync.**"
            ),
            "{md}"
        );
    }

    #[test]
    fn references_to_resources_not_yet_created_read_as_known_after_apply() {
        let c = Change {
            attribute: "vpc subnet {ref:subnet/s-private-1}".into(),
            live: None,
            wanted: Some("http://{ref:private-ip/s-gateway}:8000".into()),
        };
        assert_eq!(
            change_line(&c),
            "vpc subnet (known after apply: subnet s-private-1): (absent) → http://(known after apply: private-ip s-gateway):8000"
        );
    }
}
