//! Status: the plan read as a health and drift report, one entry per resource.

use serde::Serialize;

use std::fmt::Write;

use crate::desired::FunctionAttr;
use crate::live::Owner;
use crate::plan::render::{change_line, indented, owner_text};
use crate::plan::{Action, Change, Plan};
use crate::resource::ResourceId;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum State {
    InSync,
    Drifted {
        changes: Vec<Change>,
    },
    Missing,
    /// Owned by the stack but no longer wanted: deploy deletes it.
    Unwanted,
    /// A second copy of a resource (`ResourceId::copy`): deploy deletes it and keeps `kept`.
    Duplicate {
        kept: String,
    },
    InTheWay {
        #[serde(flatten)]
        owner: Owner,
    },
    Unhealthy {
        reason: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub resource: ResourceId,
    #[serde(flatten)]
    pub state: State,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub stack: String,
    pub entries: Vec<Entry>,
}

impl Report {
    pub fn in_sync(&self) -> bool {
        self.entries
            .iter()
            .all(|e| matches!(e.state, State::InSync))
    }
}

pub fn report(plan: &Plan) -> Report {
    let mut entries: Vec<Entry> = Vec::new();
    let unhealthy = |id: &ResourceId| {
        plan.unhealthy
            .iter()
            .find(|u| &u.resource == id)
            .map(|u| u.reason.clone())
    };
    for id in &plan.in_sync {
        let state = match unhealthy(id) {
            Some(reason) => State::Unhealthy { reason },
            None => State::InSync,
        };
        entries.push(Entry {
            resource: id.clone(),
            state,
        });
    }
    for step in &plan.steps {
        let state = match &step.action {
            Action::Create => State::Missing,
            Action::Delete { .. } => match &step.resource.copy {
                Some(_) => State::Duplicate {
                    kept: plan
                        .duplicates
                        .iter()
                        .find(|d| {
                            d.resource.kind == step.resource.kind
                                && d.resource.name == step.resource.name
                        })
                        .map(|d| d.kept.clone())
                        .unwrap_or_default(),
                },
                None => State::Unwanted,
            },
            Action::Update { changes } | Action::Replace { changes, .. } => {
                match unhealthy(&step.resource) {
                    Some(reason)
                        if changes
                            .iter()
                            .all(|c| c.attribute == FunctionAttr::Health.name()) =>
                    {
                        State::Unhealthy { reason }
                    }
                    _ => State::Drifted {
                        changes: changes
                            .iter()
                            .filter(|c| c.attribute != FunctionAttr::Health.name())
                            .cloned()
                            .collect(),
                    },
                }
            }
        };
        entries.push(Entry {
            resource: step.resource.clone(),
            state,
        });
    }
    for c in &plan.conflicts {
        entries.push(Entry {
            resource: c.resource.clone(),
            state: State::InTheWay {
                owner: c.owner.clone(),
            },
        });
    }
    entries.sort_by(|a, b| a.resource.cmp(&b.resource));
    Report {
        stack: plan.stack.clone(),
        entries,
    }
}

/// One line per resource, drift with its attribute lines: the body of `baken status`.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    for e in &report.entries {
        let r = &e.resource;
        let _ = match &e.state {
            State::InSync => writeln!(out, "  ok          {r}"),
            State::Missing => writeln!(out, "  missing     {r}"),
            State::Unwanted => writeln!(
                out,
                "  unwanted    {r} (owned by the stack, no longer in the manifest)"
            ),
            State::Duplicate { kept } => writeln!(
                out,
                "  duplicate   {r}: {kept} is the one in use and kept; deploy deletes this copy"
            ),
            State::InTheWay { owner } => {
                writeln!(out, "  in the way  {r} ({})", owner_text(owner))
            }
            State::Unhealthy { reason } => writeln!(out, "  unhealthy   {r}: {reason}"),
            State::Drifted { changes } => {
                let _ = writeln!(out, "  drifted     {r}");
                for c in changes {
                    let line = indented(&change_line(c), "                ");
                    let _ = writeln!(out, "                {line}");
                }
                Ok(())
            }
        };
    }
    out
}

/// Whether each live table has deletion protection and the gateway instance termination
/// protection, by resource name: what keeps data from a delete baken did not plan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Protection {
    pub tables: Vec<TableProtection>,
    pub gateway: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TableProtection {
    pub name: String,
    pub deletion_protection: bool,
}

impl Protection {
    pub fn of(live: &crate::live::LiveState) -> Protection {
        use crate::resource::Kind;
        let mut out = Protection::default();
        for r in live
            .resources
            .values()
            .filter(|r| r.owner == Owner::Ours && r.id.copy.is_none())
        {
            // The kinds that can be protected say by which attribute (`Wanted::PROTECTED_BY`).
            let Some(attribute) = r.id.kind.protected_by() else {
                continue;
            };
            let on = r.attrs.get(attribute).is_some_and(|v| v == "enabled");
            match r.id.kind {
                Kind::Instance => out.gateway = Some(on),
                _ => out.tables.push(TableProtection {
                    name: r.id.name.clone(),
                    deletion_protection: on,
                }),
            }
        }
        out
    }

    /// `Protection: tables t-cart, t-session deletion-protected; gateway termination-protected`.
    pub fn line(&self) -> Option<String> {
        let mut parts = Vec::new();
        for t in &self.tables {
            parts.push(format!(
                "table {} {}",
                t.name,
                if t.deletion_protection {
                    "deletion-protected"
                } else {
                    "NOT deletion-protected"
                }
            ));
        }
        if let Some(on) = self.gateway {
            parts.push(format!(
                "gateway {}",
                if on {
                    "termination-protected"
                } else {
                    "NOT termination-protected"
                }
            ));
        }
        (!parts.is_empty()).then(|| format!("Protection: {}", parts.join("; ")))
    }
}
