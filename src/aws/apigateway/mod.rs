//! API Gateway (REST): the API, its resource tree with Lambda proxy integrations and CORS
//! preflights, the default gateway responses, deployments and the stage.
//!
//! A new API's tree is put in one call (`definition.rs`); an existing one is changed call by call.
//!
//! AWS quirks handled here:
//! - Tag calls on a REST API ARN do not work on moto, so tags are written in CreateRestApi and read
//!   back from GetRestApis (which AWS also answers with tags), never through the tagging API.
//! - A stage serves a deployment, a snapshot of the API: changing methods changes nothing for
//!   callers until a new deployment. Each deployment's description carries a hash of the desired
//!   API (`StageSpec::fingerprint`), so a stale stage is visible as drift.
//! - GetGatewayResponses lists every response type with `defaultResponse: true` when nobody set
//!   it; those count as absent.

mod definition;
mod read;
mod write;

pub use read::{read, LiveApi};
pub use write::{
    adopt_api, apply_stage, create_api, create_resource, delete_api, delete_gateway_response,
    delete_resource, delete_stage, put_gateway_response, update_api, update_resource,
};

use super::read::{part, ReadContext, Reader};
use super::AwsError;
use crate::live::LiveState;
use crate::resource::Kind;

pub const GATEWAY_RESPONSE_TYPES: [&str; 2] = ["DEFAULT_4XX", "DEFAULT_5XX"];

fn api_res(api: &str) -> String {
    format!("rest-api {api}")
}

/// API Gateway's management actions are HTTP verbs on resource paths. A REST API's id is not
/// known before it exists, so the scope is the region's REST APIs (and their tags).
pub fn permissions(
    scope: &crate::aws::permissions::Scope,
) -> Vec<crate::aws::permissions::Statement> {
    use crate::aws::permissions::allow;
    let path = |p: &str| format!("arn:aws:apigateway:{}::{p}", scope.region);
    vec![allow(
        "ApiGatewayRestApis",
        "apigateway",
        &["GET", "POST", "PUT", "PATCH", "DELETE"],
        vec![path("/restapis"), path("/restapis/*"), path("/tags/*")],
    )]
}

/// The REST API and everything in it.
pub const READER: Reader = Reader {
    name: "api",
    read: |cx| Box::pin(read_part(cx)),
};

async fn read_part(cx: &ReadContext<'_>) -> Result<LiveState, AwsError> {
    let api = &cx.stack.api;
    let found = read(
        cx.clients,
        &cx.stack.name,
        &api.name,
        &api.stage,
        cx.api_id(),
        cx.adopting(Kind::RestApi),
    )
    .await?;
    let mut part = part(found.resources);
    part.api_id = found.api_id;
    part.api_resource_ids = found.resource_ids;
    Ok(part)
}
