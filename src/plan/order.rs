//! Ordering edges the kinds' dependencies and their `Wanted::DELETED_AFTER` alone do not give.

use super::{spec_of, Action, Step};
use crate::desired::{Desired, RoleAttr, Spec};
use crate::resource::{Kind, ResourceId};

/// Leaving jravan mode, a role loses its network-interface permissions only after the functions
/// have left the VPC and the security groups and subnets (whose deletion waits for Lambda to
/// release the interfaces) are gone: Lambda uses the role to clean the interfaces up. The edge is
/// typed: a role update whose spec grants no VPC access (`RoleSpec::vpc_access`), in a plan that
/// deletes network, waits for that network. (It was found by searching the rendered policy for
/// a statement id, which missed a live policy that names the statement differently.)
pub(super) fn defer_vpc_revocations(steps: &mut Vec<Step>, desired: &[Desired]) {
    let network: Vec<ResourceId> = steps
        .iter()
        .filter(|s| {
            matches!(s.action, Action::Delete { .. })
                && matches!(s.resource.kind, Kind::SecurityGroup | Kind::Subnet)
        })
        .map(|s| s.resource.clone())
        .collect();
    if network.is_empty() {
        return;
    }
    let revokes = |s: &Step| {
        matches!(s.action, Action::Update { .. })
            && s.action
                .changes()
                .iter()
                .any(|c| matches!(RoleAttr::parse(&c.attribute), Some(RoleAttr::Policy(_))))
            && matches!(spec_of(desired, &s.resource), Some(Spec::Role(r)) if !r.vpc_access)
    };
    let deferred: Vec<ResourceId> = steps
        .iter()
        .filter(|s| revokes(s))
        .map(|s| s.resource.clone())
        .collect();
    if deferred.is_empty() {
        return;
    }
    let functions: Vec<ResourceId> = steps
        .iter()
        .filter(|s| s.resource.kind == Kind::Function)
        .map(|s| s.resource.clone())
        .collect();
    for s in steps.iter_mut() {
        if deferred.contains(&s.resource) {
            s.after = network.iter().chain(functions.iter()).cloned().collect();
        } else {
            s.after.retain(|a| !deferred.contains(a));
        }
    }
    // Listed where they run: after the deletions.
    let (late, mut rest): (Vec<Step>, Vec<Step>) = std::mem::take(steps)
        .into_iter()
        .partition(|s| deferred.contains(&s.resource));
    rest.extend(late);
    *steps = rest;
}
