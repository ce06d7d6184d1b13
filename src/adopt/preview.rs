//! The deploy that follows an adoption, planned before the adoption starts: what baken will
//! change on what it keeps, read from the resources as they are (not from their templates), so
//! a table that drifted from its template, or a name another owner holds, is seen before any
//! stack is touched. Nothing is written: the read counts the kept resources as the stack's own.

use super::{Adoption, Fate, Refusal};
use crate::bootstrap::GatewaySoftware;
use crate::desired::Code;
use crate::engine::{Ahead, EngineError, Planned, Session};
use crate::model::Mode;

/// The plan of the deploy after `adoption`, in `mode`; in jravan mode with the functions held on
/// the gateway they use (as the adoption's own deploy holds them).
pub async fn deploy_after(
    session: &Session,
    adoption: &Adoption,
    mode: Mode,
    software: Option<GatewaySoftware>,
) -> Result<Planned, EngineError> {
    let adopting = adoption
        .resources
        .iter()
        .filter(|d| d.fate == Fate::Adopted)
        .filter_map(|d| d.becomes.clone())
        .collect();
    let seeing = Session {
        clients: session.clients.clone(),
        stack: session.stack.clone(),
        account: session.account.clone(),
        ahead: Ahead {
            adopting,
            ..Ahead::default()
        },
    };
    let hold = mode == Mode::Jravan;
    seeing
        .plan_deploy_with(mode, true, &Code::Unknown, software, |d, live| {
            if hold {
                super::hold::hold_gateway(d, live)
            }
        })
        .await
}

/// What in the deploy after the adoption refuses the adoption now: a kept resource it would
/// replace or delete, a name still held by another owner, a prerequisite missing.
pub fn refusals(planned: &Planned) -> Vec<Refusal> {
    let plan = &planned.plan;
    let refusal = |problem: String, hint: &str| Refusal {
        stack: plan.stack.clone(),
        problem,
        hint: hint.to_string(),
    };
    let mut out = Vec::new();
    for g in &plan.guarded_replacements {
        out.push(refusal(
            format!("the deploy after the adoption would replace {} ({})", g.resource, g.reason),
            "the resource differs from its template in a way baken cannot change in place: bring it back to what the manifest wants, or keep it out of the adoption",
        ));
    }
    for d in &plan.destructive {
        out.push(refusal(
            format!(
                "the deploy after the adoption would delete {} ({})",
                d.resource, d.loses
            ),
            "bring the manifest in line with what is adopted",
        ));
    }
    for c in &plan.conflicts {
        out.push(refusal(
            format!(
                "{} is {}, and not part of the adoption",
                c.resource,
                crate::plan::render::owner_text(&c.owner)
            ),
            "adopt the stack that holds it too, or remove or rename it",
        ));
    }
    for m in &plan.missing {
        out.push(refusal(
            format!("{} {} does not exist", m.what, m.name),
            &format!("create it first: {}", m.create_with),
        ));
    }
    out
}
