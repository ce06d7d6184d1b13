//! The DynamoDB gateway endpoint: its writes, its live mapping and its seam. (The
//! bedrock-runtime interface endpoint is `interface_endpoint.rs`; the EC2 read hands each
//! listed endpoint to its kind's mapping by type.)

use aws_sdk_ec2::types::{ResourceType, VpcEndpoint, VpcEndpointType};

use super::network::GONE;
use super::tag_spec;
use crate::aws::client::error::{absent_if, on};
use crate::aws::read::Reader;
use crate::aws::seam::{Seam, StepContext};
use crate::aws::{AwsError, Clients};
use crate::desired::network::EndpointAttr;
use crate::desired::EndpointSpec;
use crate::resource::json::canonical_json;
use crate::resource::{Attrs, PRESENT};

pub async fn create_endpoint(
    clients: &Clients,
    spec: &EndpointSpec,
    vpc: &str,
    route_tables: &[String],
) -> Result<String, AwsError> {
    let out = clients
        .ec2
        .create_vpc_endpoint()
        .vpc_id(vpc)
        .client_token(super::client_token(&spec.name))
        .service_name(&spec.service)
        .vpc_endpoint_type(VpcEndpointType::Gateway)
        .set_route_table_ids(Some(route_tables.to_vec()))
        .policy_document(spec.policy.to_string())
        .tag_specifications(tag_spec(ResourceType::VpcEndpoint, &spec.name, &spec.tags))
        .send()
        .await
        .map_err(on("CreateVpcEndpoint", format!("endpoint {}", spec.name)))?;
    Ok(out
        .vpc_endpoint()
        .and_then(|e| e.vpc_endpoint_id())
        .unwrap_or_default()
        .to_string())
}

pub async fn update_endpoint(
    clients: &Clients,
    id: &str,
    spec: &EndpointSpec,
    route_tables: &[String],
    changed: &[String],
) -> Result<(), AwsError> {
    let mut call = clients.ec2.modify_vpc_endpoint().vpc_endpoint_id(id);
    for attr in changed.iter().filter_map(|a| EndpointAttr::parse(a)) {
        if let EndpointAttr::RouteTable(rt) = attr {
            call = if route_tables.iter().any(|r| r == rt) {
                call.add_route_table_ids(rt)
            } else {
                call.remove_route_table_ids(rt)
            };
        } else if attr == EndpointAttr::Policy {
            call = call.policy_document(spec.policy.to_string());
        }
    }
    call.send().await.map_err(on(
        "ModifyVpcEndpoint",
        format!("endpoint {} ({id})", spec.name),
    ))?;
    Ok(())
}

pub async fn delete_endpoint(clients: &Clients, id: &str, name: &str) -> Result<(), AwsError> {
    absent_if(
        clients
            .ec2
            .delete_vpc_endpoints()
            .vpc_endpoint_ids(id)
            .send()
            .await
            .map_err(on("DeleteVpcEndpoints", format!("endpoint {name} ({id})"))),
        GONE,
    )?;
    Ok(())
}

/// A VPC endpoint's live attributes; None for one being deleted or gone (EC2 lists those for a
/// while).
pub(super) fn endpoint_attrs(e: &VpcEndpoint) -> Option<Attrs> {
    let state = e
        .state()
        .map(|s| s.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    if state == "deleted" || state == "deleting" {
        return None;
    }
    let policy = e
        .policy_document()
        .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .map(|v| canonical_json(&v))
        .unwrap_or_default();
    let kind = e.vpc_endpoint_type().map(|t| t.as_str().to_string());
    let mut attrs = Attrs::from([
        (
            EndpointAttr::Vpc.key(),
            e.vpc_id().unwrap_or_default().to_string(),
        ),
        (
            EndpointAttr::Service.key(),
            e.service_name().unwrap_or_default().to_string(),
        ),
        (EndpointAttr::Type.key(), kind.unwrap_or_default()),
        (EndpointAttr::Policy.key(), policy),
    ]);
    for rt in e.route_table_ids() {
        attrs.insert(EndpointAttr::RouteTable(rt).key(), PRESENT.into());
    }
    Some(attrs)
}

impl Seam for EndpointSpec {
    const READ_BY: Reader = super::READER;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let tables = cx.fill_all(&self.route_tables)?;
        let id = create_endpoint(cx.clients, self, &cx.fill(&self.vpc)?, &tables).await?;
        cx.learn_own_id(id);
        Ok(())
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let tables = cx.fill_all(&self.route_tables)?;
        update_endpoint(cx.clients, &cx.existing_id()?, self, &tables, &cx.changed()).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        cx.delete_known(|id| async move { delete_endpoint(cx.clients, &id, cx.name()).await })
            .await
    }
}
