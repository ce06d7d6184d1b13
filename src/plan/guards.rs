//! What a plan must say before it is carried out: the replacements deploy does not do unasked,
//! and the deletions that lose data.

use super::{spec_of, Action, Destructive, Guarded, Step};
use crate::desired::{Desired, ReplaceRisk};
use crate::live::LiveState;

/// The deletions of kinds that lose something (`Wanted::DELETION_LOSES`: the tables, the gateway
/// instance). (Their replacements are guarded by their own flags, `--replace-table` and
/// `--replace-instance`.)
pub(super) fn destructive(steps: &[Step], live: &LiveState) -> Vec<Destructive> {
    steps
        .iter()
        .filter(|s| matches!(s.action, Action::Delete { .. }))
        .filter_map(|s| {
            let loses = s.resource.kind.deletion_loses()?;
            Some(Destructive {
                resource: s.resource.clone(),
                loses,
                items: live.get(&s.resource).and_then(|l| l.item_count),
            })
        })
        .collect()
}

/// The replacements of `steps` that lose something or that AWS would refuse: a VPC, subnet, route
/// table or security group is never deleted while something still uses it (its delete would sit
/// in DependencyViolation retries for the whole interface-release bound).
pub(super) fn guarded(steps: &[Step], desired: &[Desired], live: &LiveState) -> Vec<Guarded> {
    let mut out = Vec::new();
    for step in steps {
        let (Action::Replace { .. }, Some(spec)) = (&step.action, spec_of(desired, &step.resource))
        else {
            continue;
        };
        match spec.replace_risk() {
            ReplaceRisk::None => {}
            ReplaceRisk::Loses { flag, what } => out.push(Guarded {
                resource: step.resource.clone(),
                reason: what.to_string(),
                flag: Some(flag),
            }),
            ReplaceRisk::InUse => {
                let Some(aws_id) = live.get(&step.resource).and_then(|l| l.aws_id.as_deref())
                else {
                    continue;
                };
                let users: Vec<String> = live
                    .resources
                    .values()
                    .filter(|r| r.id.name != step.resource.name && r.refers_to(aws_id))
                    .map(|r| r.id.to_string())
                    .collect();
                if !users.is_empty() {
                    out.push(Guarded {
                        resource: step.resource.clone(),
                        reason: format!(
                            "AWS refuses to delete it while {} use{} it",
                            users.join(", "),
                            if users.len() == 1 { "s" } else { "" }
                        ),
                        flag: None,
                    });
                }
            }
        }
    }
    out
}
