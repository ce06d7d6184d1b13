//! Reads the live state of everything a stack owns or wants, one service at a time in parallel.

use std::collections::BTreeSet;

pub use crate::aws::read::Ahead;
use crate::aws::read::{ReadContext, Reader};
use crate::aws::seam;
use crate::aws::sts::AccountId;
use crate::aws::{ssm, AwsError, Clients};
use crate::desired::Desired;
use crate::live::gateway::Awaited;
use crate::live::{BootstrapReport, GatewayHealth, Health, LiveState};
use crate::model::names::{bootstrap_status_parameter, gateway_health_parameter};
use crate::model::Stack;
use crate::resource::Kind;

/// Whether to read the gateway's reports (status shows them; deploy and teardown do not need
/// them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reports {
    Read,
    Skip,
}

/// Reads what the stack has in either mode, whatever `desired` holds (teardown wants nothing,
/// a mock deploy must still find the jravan resources it removes). Every service read some kind
/// names (`seam::reader`) runs, in parallel.
pub async fn read_live(
    clients: &Clients,
    account: &AccountId,
    stack: &Stack,
    desired: &[Desired],
    reports: Reports,
    ahead: &Ahead,
) -> Result<LiveState, AwsError> {
    let readers: BTreeSet<Reader> = Kind::ALL.iter().map(|k| seam::reader(*k)).collect();
    let cx = ReadContext {
        clients,
        account,
        stack,
        desired,
        ahead,
    };
    let names = [
        bootstrap_status_parameter(&stack.name),
        gateway_health_parameter(&stack.name),
    ];
    // When the desired state has a gateway, its reports are read alongside everything else
    // rather than after the instance is found: one round fewer, at the cost of a request when
    // the instance turns out not to exist yet.
    let early = reports == Reports::Read && desired.iter().any(|d| d.id.kind == Kind::Instance);
    let (parts, early) = futures::future::try_join(
        futures::future::try_join_all(readers.into_iter().map(|r| (r.read)(&cx))),
        async {
            if early {
                ssm::parameters(clients, &names).await.map(Some)
            } else {
                Ok(None)
            }
        },
    )
    .await?;
    let mut live = LiveState::default();
    for mut part in parts {
        // What an adoption takes over is seen as the stack's own.
        part.own(&ahead.adopting);
        live.merge(part);
    }
    live.settle_duplicates();
    live.decide_mode();
    // The gateway reports only once there is an instance to report: both parameters in one read.
    if reports == Reports::Read && live.resources.keys().any(|id| id.kind == Kind::Instance) {
        let [bootstrap, health] = &names;
        let mut found = match early {
            Some(found) => found,
            None => ssm::parameters(clients, &names).await?,
        };
        live.bootstrap_report = found.remove(bootstrap).map(|r| r.text);
        live.gateway_health = found.remove(health).and_then(|r| {
            GatewayHealth::parse(&r.text).map(|h| h.view(r.modified_millis, now_millis()))
        });
        let report = BootstrapReport::parse(live.bootstrap_report.as_deref());
        let problem = crate::live::gateway::problem(report.as_ref(), live.gateway_health.as_ref());
        let instances = live
            .resources
            .values_mut()
            .filter(|r| r.id.kind == Kind::Instance);
        if let Some(reason) = problem {
            for instance in instances {
                instance.health = Health::Unhealthy(reason.clone());
            }
        } else if live.bootstrap_report.is_none() && live.gateway_health.is_none() {
            // Silence is judged only on an instance that is otherwise well: a stopped one says so.
            let launched = live.gateway.as_ref().and_then(|g| g.launched_millis);
            let awaited = Awaited::of(launched, now_millis());
            if let Some(reason) = awaited.as_ref().and_then(Awaited::problem) {
                for instance in instances.filter(|r| r.health == Health::Ok) {
                    instance.health = Health::Unhealthy(reason.clone());
                }
            }
            live.first_report_awaited = awaited;
        }
    }
    Ok(live)
}

/// This machine's clock, which a health report's age is judged by.
fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
