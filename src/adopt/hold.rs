//! jravan adoption: the data feed must not stop while baken's gateway is new.

use crate::desired::{Desired, FunctionAttr, FunctionVpc, Spec};
use crate::live::LiveState;
use crate::resource::Kind;

/// Keeps each function on the gateway its live self uses (subnets, security groups and
/// `JRAVAN_API_URL`): `baken adopt` in jravan mode leaves the CDK app's functions on the CDK
/// gateway until baken's own reports healthy, so the data feed never stops. The functions then
/// wait for none of baken's network. A function not attached to a VPC is planned as usual.
pub fn hold_gateway(desired: &mut [Desired], live: &LiveState) {
    for d in desired.iter_mut() {
        let Spec::Function(f) = &mut d.spec else {
            continue;
        };
        let Some(l) = live.get(&d.id) else {
            continue;
        };
        let under = |prefix: String| -> Vec<String> {
            l.attrs
                .keys()
                .filter_map(|k| k.strip_prefix(prefix.as_str()))
                .map(str::to_string)
                .collect()
        };
        let subnets = under(FunctionAttr::VpcSubnet("").key());
        if subnets.is_empty() {
            continue;
        }
        f.vpc = Some(FunctionVpc {
            subnets,
            security_groups: under(FunctionAttr::VpcSecurityGroup("").key()),
        });
        let url = FunctionAttr::Environment("JRAVAN_API_URL").key();
        if let Some(v) = l.attrs.get(&url) {
            f.environment.insert("JRAVAN_API_URL".into(), v.clone());
        }
        d.depends_on.retain(|r| {
            !matches!(
                r.kind,
                Kind::Subnet | Kind::SecurityGroupRules | Kind::Instance
            )
        });
    }
}
