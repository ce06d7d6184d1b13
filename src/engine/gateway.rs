//! `baken gateway start|stop`: the gateway instance run or stopped by hand, for a holiday
//! meeting or maintenance. The schedule, when there is one, takes over again at its next event.

use serde::Serialize;

use super::Session;
use crate::aws::{ec2, AwsError};
use crate::live::gateway::ScheduleView;
use crate::model::names::gateway_instance_name;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Switch {
    Start,
    Stop,
}

impl Switch {
    /// The state the instance is in once switched.
    pub fn wanted(self) -> &'static str {
        match self {
            Switch::Start => "running",
            Switch::Stop => "stopped",
        }
    }
}

/// The gateway instance as found: its id and EC2 state.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub instance_id: String,
    pub state: String,
}

/// The stack's gateway instance, or None (mock mode, or not deployed).
pub async fn find(session: &Session) -> Result<Option<Found>, AwsError> {
    let name = gateway_instance_name(&session.stack.name);
    Ok(
        ec2::gateway_addresses(&session.clients, &session.stack.name, &name)
            .await?
            .map(|g| Found {
                instance_id: g.instance_id,
                state: g.state,
            }),
    )
}

/// Starts or stops it and waits for the state.
pub async fn switch(session: &Session, found: &Found, to: Switch) -> Result<(), AwsError> {
    let name = gateway_instance_name(&session.stack.name);
    ec2::switch_instance(
        &session.clients,
        &found.instance_id,
        &name,
        to == Switch::Start,
    )
    .await
}

/// What the manifest's schedule says now, for the command's closing line.
pub fn schedule_now(session: &Session) -> Option<ScheduleView> {
    session
        .stack
        .jravan
        .schedule
        .as_ref()
        .map(ScheduleView::now)
}
