//! Creating, changing and deleting the REST API and everything under it.

use aws_sdk_apigateway::types::{
    EndpointConfiguration, EndpointType, IntegrationType, Op, PatchOperation,
};

use super::api_res;
use super::definition::import_tree;
use crate::aws::client::error::{absent_if, on};
use crate::aws::read::Reader;
use crate::aws::seam::{Seam, StepContext};
use crate::aws::{AwsError, Clients};
use crate::desired::api::{format_rate, ApiResourceAttr, RestApiAttr, StageAttr, REGIONAL};
use crate::desired::{ApiResourceSpec, GatewayResponseSpec, RestApiSpec, StageSpec};

pub async fn create_api(
    clients: &Clients,
    spec: &RestApiSpec,
) -> Result<(String, String), AwsError> {
    let out = clients
        .apigateway
        .create_rest_api()
        .name(&spec.name)
        .description(&spec.description)
        .endpoint_configuration(
            EndpointConfiguration::builder()
                .types(EndpointType::Regional)
                .build(),
        )
        .set_tags(Some(spec.tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(on("CreateRestApi", api_res(&spec.name)))?;
    let id = out.id().unwrap_or_default().to_string();
    let root = match out.root_resource_id() {
        Some(r) => r.to_string(),
        None => {
            let resources = clients
                .apigateway
                .get_resources()
                .rest_api_id(&id)
                .send()
                .await
                .map_err(on("GetResources", api_res(&spec.name)))?;
            resources
                .items()
                .iter()
                .find(|r| r.path() == Some("/"))
                .and_then(|r| r.id())
                .unwrap_or_default()
                .to_string()
        }
    };
    Ok((id, root))
}

/// The description, and the endpoint type when `endpoint_from` (the live one) is given: an
/// edge-optimised API a CloudFormation stack made becomes regional in place, keeping its id and
/// so its invoke URL (AWS switches the type with a replace of `/endpointConfiguration/types/<old>`).
pub async fn update_api(
    clients: &Clients,
    api_id: &str,
    spec: &RestApiSpec,
    endpoint_from: Option<&str>,
) -> Result<(), AwsError> {
    let mut call = clients
        .apigateway
        .update_rest_api()
        .rest_api_id(api_id)
        .patch_operations(patch("/description", &spec.description));
    if let Some(old) = endpoint_from.filter(|o| !o.is_empty()) {
        call = call.patch_operations(patch(
            &format!("/endpointConfiguration/types/{old}"),
            REGIONAL,
        ));
    }
    call.send()
        .await
        .map_err(on("UpdateRestApi", api_res(&spec.name)))?;
    Ok(())
}

/// Tags a REST API a CloudFormation stack made as this stack's (`baken adopt`).
pub async fn adopt_api(
    clients: &Clients,
    api_id: &str,
    name: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<(), AwsError> {
    clients
        .apigateway
        .tag_resource()
        .resource_arn(format!(
            "arn:aws:apigateway:{}::/restapis/{api_id}",
            clients.region
        ))
        .set_tags(Some(tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(on("TagResource", api_res(name)))?;
    Ok(())
}

pub async fn delete_api(clients: &Clients, api_id: &str, name: &str) -> Result<(), AwsError> {
    absent_if(
        clients
            .apigateway
            .delete_rest_api()
            .rest_api_id(api_id)
            .send()
            .await
            .map_err(on("DeleteRestApi", api_res(name))),
        &["NotFoundException"],
    )?;
    Ok(())
}

fn patch(path: &str, value: &str) -> PatchOperation {
    PatchOperation::builder()
        .op(Op::Replace)
        .path(path)
        .value(value)
        .build()
}

/// Creates the resource under its parent; returns its id.
pub async fn create_resource(
    clients: &Clients,
    api_id: &str,
    parent_id: &str,
    spec: &ApiResourceSpec,
) -> Result<String, AwsError> {
    let out = clients
        .apigateway
        .create_resource()
        .rest_api_id(api_id)
        .parent_id(parent_id)
        .path_part(spec.path_part())
        .send()
        .await
        .map_err(on("CreateResource", format!("api-resource {}", spec.path)))?;
    Ok(out.id().unwrap_or_default().to_string())
}

/// Puts every method of a new resource and its preflight, side by side: they are independent
/// of each other (each method's integration follows its method).
pub async fn put_methods(
    clients: &Clients,
    api_id: &str,
    id: &str,
    spec: &ApiResourceSpec,
) -> Result<(), AwsError> {
    let methods = spec.methods.iter().map(|m| {
        put_lambda_method(
            clients,
            api_id,
            id,
            spec,
            &m.http_method,
            &m.integration_uri,
        )
    });
    let (methods, preflight) = futures::future::join(
        futures::future::try_join_all(methods),
        put_preflight(clients, api_id, id, spec),
    )
    .await;
    methods?;
    preflight
}

/// Re-puts each method named in `changed` (`GET integration`, `OPTIONS header ...`), deleting
/// the live one first; a live method the spec does not have is deleted.
pub async fn update_resource(
    clients: &Clients,
    api_id: &str,
    resource_id: &str,
    spec: &ApiResourceSpec,
    changed: &[String],
) -> Result<(), AwsError> {
    let mut verbs: Vec<&str> = changed
        .iter()
        .filter_map(|a| ApiResourceAttr::parse(a).map(ApiResourceAttr::verb))
        .collect();
    verbs.sort();
    verbs.dedup();
    for verb in verbs {
        absent_if(
            clients
                .apigateway
                .delete_method()
                .rest_api_id(api_id)
                .resource_id(resource_id)
                .http_method(verb)
                .send()
                .await
                .map_err(on(
                    "DeleteMethod",
                    format!("api-resource {} {verb}", spec.path),
                )),
            &["NotFoundException"],
        )?;
        if verb == "OPTIONS" {
            put_preflight(clients, api_id, resource_id, spec).await?;
        } else if let Some(m) = spec.methods.iter().find(|m| m.http_method == verb) {
            put_lambda_method(clients, api_id, resource_id, spec, verb, &m.integration_uri).await?;
        }
    }
    Ok(())
}

pub async fn delete_resource(
    clients: &Clients,
    api_id: &str,
    resource_id: &str,
    path: &str,
) -> Result<(), AwsError> {
    absent_if(
        clients
            .apigateway
            .delete_resource()
            .rest_api_id(api_id)
            .resource_id(resource_id)
            .send()
            .await
            .map_err(on("DeleteResource", format!("api-resource {path}"))),
        &["NotFoundException"],
    )?;
    Ok(())
}

async fn put_lambda_method(
    clients: &Clients,
    api_id: &str,
    resource_id: &str,
    spec: &ApiResourceSpec,
    verb: &str,
    uri: &str,
) -> Result<(), AwsError> {
    let res = format!("api-resource {} {verb}", spec.path);
    let gw = &clients.apigateway;
    put_open_method(clients, api_id, resource_id, verb, &res).await?;
    gw.put_integration()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method(verb)
        .r#type(IntegrationType::AwsProxy)
        .integration_http_method("POST")
        .uri(uri)
        .send()
        .await
        .map_err(on("PutIntegration", res))?;
    Ok(())
}

/// A method without authorisation (the API is public, as in the original).
async fn put_open_method(
    clients: &Clients,
    api_id: &str,
    resource_id: &str,
    verb: &str,
    res: &str,
) -> Result<(), AwsError> {
    clients
        .apigateway
        .put_method()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method(verb)
        .authorization_type("NONE")
        .send()
        .await
        .map_err(on("PutMethod", res))?;
    Ok(())
}

/// OPTIONS answered by API Gateway itself (MOCK integration) with the CORS headers.
async fn put_preflight(
    clients: &Clients,
    api_id: &str,
    resource_id: &str,
    spec: &ApiResourceSpec,
) -> Result<(), AwsError> {
    let res = format!("api-resource {} OPTIONS", spec.path);
    let gw = &clients.apigateway;
    put_open_method(clients, api_id, resource_id, "OPTIONS", &res).await?;
    gw.put_integration()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method("OPTIONS")
        .r#type(IntegrationType::Mock)
        .request_templates("application/json", r#"{"statusCode": 200}"#)
        .send()
        .await
        .map_err(on("PutIntegration", res.clone()))?;
    let mut method_response = gw
        .put_method_response()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method("OPTIONS")
        .status_code("200");
    let mut integration_response = gw
        .put_integration_response()
        .rest_api_id(api_id)
        .resource_id(resource_id)
        .http_method("OPTIONS")
        .status_code("200");
    for (header, value) in &spec.cors_headers {
        let param = format!("method.response.header.{header}");
        method_response = method_response.response_parameters(&param, true);
        integration_response = integration_response.response_parameters(&param, value);
    }
    method_response
        .send()
        .await
        .map_err(on("PutMethodResponse", res.clone()))?;
    integration_response
        .send()
        .await
        .map_err(on("PutIntegrationResponse", res))?;
    Ok(())
}

pub async fn put_gateway_response(
    clients: &Clients,
    api_id: &str,
    spec: &GatewayResponseSpec,
) -> Result<(), AwsError> {
    let mut call = clients
        .apigateway
        .put_gateway_response()
        .rest_api_id(api_id)
        .response_type(aws_sdk_apigateway::types::GatewayResponseType::from(
            spec.response_type.as_str(),
        ));
    for (header, value) in &spec.headers {
        call = call.response_parameters(format!("gatewayresponse.header.{header}"), value);
    }
    call.send().await.map_err(on(
        "PutGatewayResponse",
        format!("gateway-response {}", spec.response_type),
    ))?;
    Ok(())
}

pub async fn delete_gateway_response(
    clients: &Clients,
    api_id: &str,
    response_type: &str,
) -> Result<(), AwsError> {
    absent_if(
        clients
            .apigateway
            .delete_gateway_response()
            .rest_api_id(api_id)
            .response_type(aws_sdk_apigateway::types::GatewayResponseType::from(
                response_type,
            ))
            .send()
            .await
            .map_err(on(
                "DeleteGatewayResponse",
                format!("gateway-response {response_type}"),
            )),
        &["NotFoundException"],
    )?;
    Ok(())
}

/// Brings the stage to `spec`: a new deployment when the API changed (or the stage is new), then
/// the stage's deployment and throttling.
pub async fn apply_stage(
    clients: &Clients,
    api_id: &str,
    spec: &StageSpec,
    exists: bool,
    new_deployment: bool,
) -> Result<(), AwsError> {
    let res = format!("stage {}", spec.name);
    let gw = &clients.apigateway;
    // A new stage is made by the deployment call itself (CreateDeployment's stageName creates
    // the stage pointing at it): one request fewer than CreateStage after it.
    let deployment_id = if new_deployment || !exists {
        let d = gw
            .create_deployment()
            .rest_api_id(api_id)
            .description(spec.deployment_description())
            .set_stage_name((!exists).then(|| spec.name.clone()))
            .send()
            .await
            .map_err(on("CreateDeployment", res.clone()))?;
        d.id().map(str::to_string)
    } else {
        None
    };
    let mut ops = vec![
        patch("/*/*/throttling/rateLimit", &format_rate(spec.rate_limit)),
        patch("/*/*/throttling/burstLimit", &spec.burst_limit.to_string()),
    ];
    if let (true, Some(d)) = (exists, &deployment_id) {
        ops.push(patch("/deploymentId", d));
    }
    gw.update_stage()
        .rest_api_id(api_id)
        .stage_name(&spec.name)
        .set_patch_operations(Some(ops))
        .send()
        .await
        .map_err(on("UpdateStage", res))?;
    Ok(())
}

pub async fn delete_stage(clients: &Clients, api_id: &str, stage: &str) -> Result<(), AwsError> {
    absent_if(
        clients
            .apigateway
            .delete_stage()
            .rest_api_id(api_id)
            .stage_name(stage)
            .send()
            .await
            .map_err(on("DeleteStage", format!("stage {stage}"))),
        &["NotFoundException"],
    )?;
    Ok(())
}

impl Seam for RestApiSpec {
    const READ_BY: Reader = super::READER;
    /// A new API gets its resource tree in the same step: the executor then counts the plan's
    /// api-resource creates under it done (`learn_api_imported`).
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let (id, root) = create_api(cx.clients, self).await?;
        cx.learn_api(id.clone(), root);
        if !self.tree.is_empty() {
            import_tree(cx.clients, &id, self).await?;
            cx.learn_api_imported();
        }
        Ok(())
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let endpoint = cx.live_value(RestApiAttr::EndpointType.name());
        update_api(cx.clients, &cx.api_id()?, self, endpoint.as_deref()).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        let id = match &cx.resource.copy {
            Some(copy) => copy.clone(),
            None => cx.api_id()?,
        };
        delete_api(cx.clients, &id, cx.name()).await
    }
}

impl Seam for ApiResourceSpec {
    const READ_BY: Reader = super::READER;
    const ROUNDS: u32 = 4;
    /// Under a new API this is not called: the API's step makes the tree (`engine::apply`).
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let parent = self.parent_path().unwrap_or("/");
        let parent_id = cx
            .api_resource_id(parent)
            .ok_or_else(|| cx.missing(&format!("id of the parent resource {parent}")))?;
        let api_id = cx.api_id()?;
        let id = create_resource(cx.clients, &api_id, &parent_id, self).await?;
        // Children may start now: they need this id, not these methods.
        cx.learn_api_resource(self.path.clone(), id.clone());
        put_methods(cx.clients, &api_id, &id, self).await
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let id = cx
            .api_resource_id(&self.path)
            .ok_or_else(|| cx.missing(&format!("id of resource {}", self.path)))?;
        update_resource(cx.clients, &cx.api_id()?, &id, self, &cx.changed()).await
    }
    /// DeleteResource removes the subtree; a resource whose id is not known is already gone.
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        match cx.api_resource_id(cx.name()) {
            Some(id) => delete_resource(cx.clients, &cx.api_id()?, &id, cx.name()).await,
            None => Ok(()),
        }
    }
}

impl Seam for GatewayResponseSpec {
    const READ_BY: Reader = super::READER;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        put_gateway_response(cx.clients, &cx.api_id()?, self).await
    }
    /// PutGatewayResponse replaces the whole response.
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        put_gateway_response(cx.clients, &cx.api_id()?, self).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        delete_gateway_response(cx.clients, &cx.api_id()?, cx.name()).await
    }
}

impl Seam for StageSpec {
    const READ_BY: Reader = super::READER;
    const ROUNDS: u32 = 3;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        apply_stage(cx.clients, &cx.api_id()?, self, false, true).await
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        let new_deployment = cx
            .changes
            .iter()
            .any(|c| c.attribute == StageAttr::Deployment.name());
        apply_stage(cx.clients, &cx.api_id()?, self, true, new_deployment).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        delete_stage(cx.clients, &cx.api_id()?, cx.name()).await
    }
}
