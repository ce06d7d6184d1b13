//! Reading a stack's REST API: the API, its resource tree, gateway responses and stage, in the
//! attribute form the plan compares.

use std::collections::BTreeMap;

use aws_sdk_apigateway::types::IntegrationType;

use super::{api_res, GATEWAY_RESPONSE_TYPES};
use crate::aws::client::error::{absent_if, on};
use crate::aws::{AwsError, Clients};
use crate::desired::api::{
    format_rate, ApiResourceAttr, GatewayResponseAttr, RestApiAttr, StageAttr,
};
use crate::live::{LiveResource, Owner};
use crate::resource::{Attrs, Kind, ResourceId};

pub struct LiveApi {
    pub api_id: Option<String>,
    pub resource_ids: BTreeMap<String, String>,
    pub resources: Vec<LiveResource>,
}

type Under = (
    (Vec<LiveResource>, BTreeMap<String, String>),
    Vec<LiveResource>,
    Option<LiveResource>,
);

/// Everything under the API with id `id`, in one round.
async fn read_under(
    clients: &Clients,
    id: &str,
    name: &str,
    stage: &str,
) -> Result<Under, AwsError> {
    futures::future::try_join3(
        read_tree(clients, id, name),
        read_gateway_responses(clients, id, name),
        read_stage(clients, id, name, stage),
    )
    .await
}

/// Finds the REST API called `name` (ours preferred) and reads everything under it. `ahead`:
/// the id the last run recorded, read alongside the list and used when the list confirms it
/// (`read_ahead`). `adopting`: an API of that name counts as ours whatever its tags (the plan of
/// the deploy after `baken adopt`, shown before the adoption).
pub async fn read(
    clients: &Clients,
    stack: &str,
    name: &str,
    stage: &str,
    ahead: Option<&str>,
    adopting: bool,
) -> Result<LiveApi, AwsError> {
    let list = async {
        let mut apis = Vec::new();
        let mut pages = clients
            .apigateway
            .get_rest_apis()
            .limit(500)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(on("GetRestApis", api_res(name)))?;
            apis.extend(
                page.items
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|a| a.name() == Some(name)),
            );
        }
        Ok::<_, AwsError>(apis)
    };
    let early = async {
        match ahead {
            Some(id) => Some(read_under(clients, id, name, stage).await),
            None => None,
        }
    };
    let (apis, early) = futures::future::join(list, early).await;
    let apis = apis?;
    let owner_of = |a: &aws_sdk_apigateway::types::RestApi| match adopting {
        true => Owner::Ours,
        false => Owner::from_tags(
            stack,
            a.tags()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        ),
    };
    let mut out = LiveApi {
        api_id: None,
        resource_ids: BTreeMap::new(),
        resources: Vec::new(),
    };
    // REST API names are not unique: every API of ours with the name is read (the oldest first,
    // the one whose URL has been handed out), so a second one shows as a duplicate. Another
    // owner's API with the name is reported only when we have none.
    let mut ours: Vec<&aws_sdk_apigateway::types::RestApi> =
        apis.iter().filter(|a| owner_of(a) == Owner::Ours).collect();
    ours.sort_by_key(|a| a.created_date().map(|d| (d.secs(), d.subsec_nanos())));
    let Some(api) = ours.first().copied().or(apis.first()) else {
        return Ok(out);
    };
    for extra in ours.iter().skip(1) {
        out.resources.push(api_resource(extra, name, Owner::Ours));
    }
    let owner = owner_of(api);
    let id = api.id().unwrap_or_default().to_string();
    out.resources
        .insert(0, api_resource(api, name, owner.clone()));
    if owner != Owner::Ours {
        return Ok(out);
    }
    // Everything under the API in one round. An API deleted since it was listed (a teardown
    // running alongside this read, before the lock) is gone, not an error; the run that takes
    // the lock after it plans again.
    let under = match early {
        Some(read) if ahead == Some(id.as_str()) => read,
        // No hint, or a stale one (its read's answer, even an error, is dropped).
        _ => read_under(clients, &id, name, stage).await,
    };
    let ((tree, ids), responses, stage) = match under {
        Err(e) if e.code.as_deref() == Some("NotFoundException") => {
            out.resources
                .retain(|r| r.aws_id.as_deref() != Some(id.as_str()));
            return Ok(out);
        }
        other => other?,
    };
    out.api_id = Some(id.clone());
    out.resources.extend(tree);
    out.resource_ids = ids;
    out.resources.extend(responses);
    out.resources.extend(stage);
    Ok(out)
}

fn api_resource(
    api: &aws_sdk_apigateway::types::RestApi,
    name: &str,
    owner: Owner,
) -> LiveResource {
    let endpoint_type = api
        .endpoint_configuration()
        .and_then(|e| e.types().first())
        .map(|t| t.as_str().to_string())
        .unwrap_or_default();
    let attrs = Attrs::from([
        (
            RestApiAttr::Description.key(),
            api.description().unwrap_or_default().to_string(),
        ),
        (RestApiAttr::EndpointType.key(), endpoint_type),
    ]);
    LiveResource::new(ResourceId::new(Kind::RestApi, name), attrs, owner)
        .with_aws_id(api.id().unwrap_or_default())
}

async fn read_tree(
    clients: &Clients,
    api_id: &str,
    name: &str,
) -> Result<(Vec<LiveResource>, BTreeMap<String, String>), AwsError> {
    let mut items = Vec::new();
    let mut pages = clients
        .apigateway
        .get_resources()
        .rest_api_id(api_id)
        .embed("methods")
        .limit(500)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        items.extend(
            page.map_err(on("GetResources", api_res(name)))?
                .items
                .unwrap_or_default(),
        );
    }
    let mut ids = BTreeMap::new();
    let mut live = Vec::new();
    for r in items {
        let path = r.path().unwrap_or_default().to_string();
        ids.insert(path.clone(), r.id().unwrap_or_default().to_string());
        if path == "/" {
            continue;
        }
        let mut attrs = Attrs::new();
        for (verb, m) in r.resource_methods().into_iter().flatten() {
            attrs.insert(
                ApiResourceAttr::Authorization(verb).key(),
                m.authorization_type().unwrap_or_default().to_string(),
            );
            let Some(i) = m.method_integration() else {
                attrs.insert(ApiResourceAttr::Integration(verb).key(), "none".into());
                continue;
            };
            let text = match i.r#type() {
                Some(IntegrationType::AwsProxy) => {
                    format!("AWS_PROXY {}", i.uri().unwrap_or_default())
                }
                Some(t) => t.as_str().to_string(),
                None => "none".into(),
            };
            attrs.insert(ApiResourceAttr::Integration(verb).key(), text);
            let ok = i.integration_responses().and_then(|r| r.get("200"));
            for (param, value) in ok
                .and_then(|r| r.response_parameters())
                .into_iter()
                .flatten()
            {
                if let Some(header) = param.strip_prefix("method.response.header.") {
                    attrs.insert(ApiResourceAttr::Header(verb, header).key(), value.clone());
                }
            }
        }
        live.push(LiveResource::new(
            ResourceId::new(Kind::ApiResource, path),
            attrs,
            Owner::Ours,
        ));
    }
    Ok((live, ids))
}

async fn read_gateway_responses(
    clients: &Clients,
    api_id: &str,
    name: &str,
) -> Result<Vec<LiveResource>, AwsError> {
    let out = clients
        .apigateway
        .get_gateway_responses()
        .rest_api_id(api_id)
        .limit(500)
        .send()
        .await
        .map_err(on("GetGatewayResponses", api_res(name)))?;
    Ok(out
        .items()
        .iter()
        .filter_map(|r| {
            let t = r.response_type()?.as_str();
            let params = r.response_parameters().cloned().unwrap_or_default();
            if !GATEWAY_RESPONSE_TYPES.contains(&t) || (r.default_response() && params.is_empty()) {
                return None;
            }
            let attrs = params
                .iter()
                .filter_map(|(p, v)| {
                    Some((
                        GatewayResponseAttr::Header(p.strip_prefix("gatewayresponse.header.")?)
                            .key(),
                        v.clone(),
                    ))
                })
                .collect();
            Some(LiveResource::new(
                ResourceId::new(Kind::GatewayResponse, t),
                attrs,
                Owner::Ours,
            ))
        })
        .collect())
}

async fn read_stage(
    clients: &Clients,
    api_id: &str,
    name: &str,
    stage: &str,
) -> Result<Option<LiveResource>, AwsError> {
    // The stage names its deployment; the deployments are listed alongside rather than after,
    // so the stage costs one round (GetDeployment only for one beyond the list's first page).
    let stage_read = async {
        absent_if(
            clients
                .apigateway
                .get_stage()
                .rest_api_id(api_id)
                .stage_name(stage)
                .send()
                .await
                .map_err(on("GetStage", format!("stage {stage}"))),
            &["NotFoundException"],
        )
    };
    let deployments = async {
        clients
            .apigateway
            .get_deployments()
            .rest_api_id(api_id)
            .limit(500)
            .send()
            .await
            .map_err(on("GetDeployments", api_res(name)))
    };
    let (got, deployments) = futures::future::try_join(stage_read, deployments).await?;
    let Some(got) = got else { return Ok(None) };
    let mut attrs = Attrs::new();
    if let Some(dep) = got.deployment_id() {
        let listed = deployments
            .items()
            .iter()
            .find(|d| d.id() == Some(dep))
            .map(|d| d.description().map(str::to_string));
        let description = match listed {
            Some(d) => d,
            None => absent_if(
                clients
                    .apigateway
                    .get_deployment()
                    .rest_api_id(api_id)
                    .deployment_id(dep)
                    .send()
                    .await
                    .map_err(on("GetDeployment", api_res(name))),
                &["NotFoundException"],
            )?
            .and_then(|d| d.description),
        };
        attrs.insert(
            StageAttr::Deployment.key(),
            description.unwrap_or_else(|| format!("deployment {dep}")),
        );
    }
    let all = got.method_settings().and_then(|m| m.get("*/*"));
    attrs.insert(
        StageAttr::RateLimit.key(),
        all.map(|s| format_rate(s.throttling_rate_limit()))
            .unwrap_or_else(|| "unset".into()),
    );
    attrs.insert(
        StageAttr::BurstLimit.key(),
        all.map(|s| s.throttling_burst_limit().to_string())
            .unwrap_or_else(|| "unset".into()),
    );
    Ok(Some(LiveResource::new(
        ResourceId::new(Kind::Stage, stage),
        attrs,
        Owner::Ours,
    )))
}
