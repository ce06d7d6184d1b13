//! What a run leaves for the next: the hints the deploy lock records when a run releases it (the
//! REST API's id, the mode deployed, the VPC's and the instance's ids), and how the next writing
//! run reads ahead with them. The lock's item only stores them (`crate::aws::lock::Left`).

use super::lock::Seen;
use super::ApplyReport;
use crate::aws::lock::Left;
use crate::aws::read::Ahead;
use crate::desired::Desired;
use crate::model::Mode;
use crate::plan::{Action, Plan};
use crate::resource::refs::id_key;
use crate::resource::Kind;

/// What a run that applied `plan` (wanting `desired`) leaves: the API's id (none when the run
/// deleted it), the mode now deployed (none after a teardown that kept the tables: only they are
/// left), and the VPC's and instance's ids when the desired state has them.
pub fn left_by(plan: &Plan, desired: &[Desired], report: &ApplyReport) -> Left {
    let deleted = plan.steps.iter().any(|s| {
        s.resource.kind == Kind::RestApi
            && s.resource.copy.is_none()
            && matches!(s.action, Action::Delete { .. })
    });
    let id_of = |kind: Kind| {
        let wanted = desired.iter().find(|d| d.id.kind == kind)?;
        report.refs.get(&id_key(kind, &wanted.id.name)).cloned()
    };
    Left {
        api_id: report.api_id.clone().filter(|_| !deleted),
        mode: (!desired.is_empty()).then(|| plan.mode.as_str().to_string()),
        vpc_id: id_of(Kind::Vpc),
        instance_id: id_of(Kind::Instance),
    }
}

/// What the last run left, as what this one reads ahead with. A lock with no mode recorded (a
/// teardown that kept the tables, `baken unlock`, an older baken) expects nothing; `names`
/// gives what a mode's stack is made of.
pub fn ahead_of(seen: &Seen, names: impl FnOnce(Mode) -> Vec<Desired>) -> Ahead {
    let left_mode = seen.left.mode.as_deref().and_then(Mode::parse);
    Ahead {
        deployed: seen.deployed() && left_mode.is_some(),
        api_id: seen.left.api_id.clone(),
        vpc_id: seen.left.vpc_id.clone(),
        instance_id: seen.left.instance_id.clone(),
        expected: left_mode.map(names),
        adopting: Vec::new(),
    }
}
