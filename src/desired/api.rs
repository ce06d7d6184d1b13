use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{ownership_tags, Account, Desired, Spec, Wanted};

use crate::model::catalog::api_paths;
use crate::model::names::log_group_name;
use crate::model::{Cors, Stack};
use crate::resource::{Attrs, Kind, ResourceId};

/// Stands for the REST API's id in specs written before the API exists; replaced with the real id
/// when attributes are compared or a call is made.
pub const API_ID: &str = "{api_id}";

/// The endpoint type baken's REST API has.
pub const REGIONAL: &str = "REGIONAL";

#[derive(Debug, Clone, Serialize)]
pub struct RestApiSpec {
    pub name: String,
    pub description: String,
    pub tags: BTreeMap<String, String>,
    /// The resources under it (each also a resource of its own): a new API is made with all of
    /// them in one PutRestApi.
    #[serde(skip)]
    pub tree: Vec<ApiResourceSpec>,
}

crate::attribute_keys! {
    pub enum RestApiAttr {
        Description = "description",
        EndpointType = "endpoint_type",
    }
}

impl Wanted for RestApiSpec {
    // A permission names the API's ARN, nothing more: it may outlive the API by a moment.
    const DELETED_AFTER: &'static [Kind] = &[Kind::ApiResource, Kind::GatewayResponse, Kind::Stage];
    fn attrs(&self) -> Attrs {
        Attrs::from([
            (RestApiAttr::Description.key(), self.description.clone()),
            (RestApiAttr::EndpointType.key(), REGIONAL.into()),
        ])
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MethodSpec {
    pub http_method: String,
    pub function_name: String,
    pub integration_uri: String,
}

/// One resource path with its routed methods and its CORS preflight.
#[derive(Debug, Clone, Serialize)]
pub struct ApiResourceSpec {
    pub path: String,
    pub methods: Vec<MethodSpec>,
    /// Header name → value as API Gateway wants it, quoted: `'*'`.
    pub cors_headers: BTreeMap<String, String>,
}

impl ApiResourceSpec {
    pub fn parent_path(&self) -> Option<&str> {
        match self.path.rsplit_once('/') {
            Some(("", _)) | None => None,
            Some((parent, _)) => Some(parent),
        }
    }

    pub fn path_part(&self) -> &str {
        self.path
            .rsplit_once('/')
            .map(|(_, p)| p)
            .unwrap_or(&self.path)
    }
}

/// An API resource's attributes, per method: its integration, its authorization, each header
/// its response sets (`GET integration`, `OPTIONS header Access-Control-Allow-Origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiResourceAttr<'a> {
    Integration(&'a str),
    Authorization(&'a str),
    Header(&'a str, &'a str),
}

impl<'a> ApiResourceAttr<'a> {
    pub fn key(self) -> String {
        match self {
            ApiResourceAttr::Integration(verb) => format!("{verb} integration"),
            ApiResourceAttr::Authorization(verb) => format!("{verb} authorization"),
            ApiResourceAttr::Header(verb, h) => format!("{verb} header {h}"),
        }
    }

    pub fn parse(key: &'a str) -> Option<ApiResourceAttr<'a>> {
        let (verb, rest) = key.split_once(' ')?;
        match rest {
            "integration" => Some(ApiResourceAttr::Integration(verb)),
            "authorization" => Some(ApiResourceAttr::Authorization(verb)),
            _ => rest
                .strip_prefix("header ")
                .map(|h| ApiResourceAttr::Header(verb, h)),
        }
    }

    /// The method the attribute belongs to.
    pub fn verb(self) -> &'a str {
        match self {
            ApiResourceAttr::Integration(v)
            | ApiResourceAttr::Authorization(v)
            | ApiResourceAttr::Header(v, _) => v,
        }
    }
}

impl Wanted for ApiResourceSpec {
    const DELETED_AFTER: &'static [Kind] = &[Kind::Stage];
    fn attrs(&self) -> Attrs {
        let mut a = Attrs::new();
        use ApiResourceAttr as A;
        for m in &self.methods {
            a.insert(
                A::Integration(&m.http_method).key(),
                format!("AWS_PROXY {}", m.integration_uri),
            );
            a.insert(A::Authorization(&m.http_method).key(), "NONE".into());
        }
        a.insert(A::Integration("OPTIONS").key(), "MOCK".into());
        a.insert(A::Authorization("OPTIONS").key(), "NONE".into());
        for (h, v) in &self.cors_headers {
            a.insert(A::Header("OPTIONS", h).key(), v.clone());
        }
        a
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GatewayResponseSpec {
    pub response_type: String,
    pub headers: BTreeMap<String, String>,
}

crate::attribute_keys! {
    /// A gateway response's headers, by name.
    pub enum GatewayResponseAttr<'a> {
        ;
        Header = "header ",
    }
}

impl Wanted for GatewayResponseSpec {
    fn attrs(&self) -> Attrs {
        self.headers
            .iter()
            .map(|(h, v)| (GatewayResponseAttr::Header(h).key(), v.clone()))
            .collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StageSpec {
    pub name: String,
    pub rate_limit: f64,
    pub burst_limit: i32,
    /// Hash of the API's desired configuration, written as the deployment's description: a stage
    /// whose deployment carries another hash serves an older API and gets a new deployment.
    pub fingerprint: String,
}

impl StageSpec {
    pub fn deployment_description(&self) -> String {
        format!("baken {}", self.fingerprint)
    }
}

crate::attribute_keys! {
    /// The stage's deployment (by the description carrying the API's hash) and its throttling.
    pub enum StageAttr {
        Deployment = "deployment",
        RateLimit = "throttling.rate_limit",
        BurstLimit = "throttling.burst_limit",
    }
}

impl Wanted for StageSpec {
    fn attrs(&self) -> Attrs {
        Attrs::from([
            (StageAttr::Deployment.key(), self.deployment_description()),
            (StageAttr::RateLimit.key(), format_rate(self.rate_limit)),
            (StageAttr::BurstLimit.key(), self.burst_limit.to_string()),
        ])
    }
}

/// `50.0` → `50`, `12.5` → `12.5`: the same text whatever form AWS answers in.
pub fn format_rate(rate: f64) -> String {
    format!("{rate}")
}

#[derive(Debug, Clone, Serialize)]
pub struct PermissionSpec {
    pub function_name: String,
    pub statement_id: String,
    /// With `{api_id}` in place of the REST API's id.
    pub source_arn_template: String,
}

pub const PERMISSION_STATEMENT_ID: &str = "baken-apigateway-invoke";

impl PermissionSpec {
    pub fn source_arn(&self, api_id: &str) -> String {
        self.source_arn_template.replace(API_ID, api_id)
    }
}

crate::attribute_keys! {
    /// The invoke permission statement's fields, and every other statement of the function's
    /// resource policy by its id (none is wanted: one added by hand is drift).
    pub enum PermissionAttr<'a> {
        Principal = "principal",
        Action = "action",
        SourceArn = "source_arn";
        OtherStatement = "statement ",
    }
}

impl Wanted for PermissionSpec {
    fn attrs(&self) -> Attrs {
        Attrs::from([
            (
                PermissionAttr::Principal.key(),
                "apigateway.amazonaws.com".into(),
            ),
            (PermissionAttr::Action.key(), "lambda:InvokeFunction".into()),
            (
                PermissionAttr::SourceArn.key(),
                self.source_arn_template.clone(),
            ),
        ])
    }
}

fn quoted(v: &str) -> String {
    format!("'{v}'")
}

pub fn cors_headers(cors: &Cors) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "Access-Control-Allow-Origin".into(),
            quoted(&cors.allow_origin),
        ),
        (
            "Access-Control-Allow-Headers".into(),
            quoted(&cors.allow_headers.join(",")),
        ),
        (
            "Access-Control-Allow-Methods".into(),
            quoted(&cors.allow_methods.join(",")),
        ),
    ])
}

pub fn integration_uri(account: &Account, function: &str) -> String {
    format!(
        "arn:aws:apigateway:{}:lambda:path/2015-03-31/functions/{}/invocations",
        account.region,
        account.function_arn(function)
    )
}

/// `/races/{race_id}` → `/races/*`, the form a source ARN takes for path parameters.
fn arn_path(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "*" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

pub(super) fn add(out: &mut Vec<Desired>, stack: &Stack, account: &Account) {
    let api_id = ResourceId::new(Kind::RestApi, stack.api.name.clone());
    let cors = cors_headers(&stack.api.cors);
    let tree: Vec<ApiResourceSpec> = api_paths()
        .into_iter()
        .map(|path| ApiResourceSpec {
            methods: stack
                .functions
                .iter()
                .filter(|f| f.def.path == path)
                .map(|f| MethodSpec {
                    http_method: f.def.method.into(),
                    function_name: f.name.clone(),
                    integration_uri: integration_uri(account, &f.name),
                })
                .collect(),
            path,
            cors_headers: cors.clone(),
        })
        .collect();
    out.push(Desired {
        id: api_id.clone(),
        spec: Spec::RestApi(RestApiSpec {
            name: stack.api.name.clone(),
            description: format!("Baken Kaigi API ({} stack, managed by baken)", stack.name),
            tags: ownership_tags(&stack.name),
            tree: tree.clone(),
        }),
        depends_on: vec![],
    });

    let mut api_children = Vec::new();
    for spec in tree {
        let path = spec.path.clone();
        // Not on the functions: the integration URI is computed from the function's name, and
        // API Gateway resolves it only when a request comes (the stage, deployed after, and the
        // invoke permissions are what make it callable).
        let mut depends_on = vec![api_id.clone()];
        if let Some(parent) = spec.parent_path() {
            depends_on.push(ResourceId::new(Kind::ApiResource, parent));
        }
        let id = ResourceId::new(Kind::ApiResource, path);
        api_children.push(id.clone());
        out.push(Desired {
            id,
            spec: Spec::ApiResource(spec),
            depends_on,
        });
    }

    // The gateway's own errors carry the same CORS headers, so a browser can read them.
    let gateway_headers = cors.clone();
    for response_type in ["DEFAULT_4XX", "DEFAULT_5XX"] {
        let id = ResourceId::new(Kind::GatewayResponse, response_type);
        api_children.push(id.clone());
        out.push(Desired {
            id,
            spec: Spec::GatewayResponse(GatewayResponseSpec {
                response_type: response_type.into(),
                headers: gateway_headers.clone(),
            }),
            depends_on: vec![api_id.clone()],
        });
    }

    let mut hasher = Sha256::new();
    for d in out.iter().filter(|d| api_children.contains(&d.id)) {
        hasher.update(d.id.to_string());
        for (k, v) in d.spec.attrs() {
            hasher.update(format!("\n{k}={v}"));
        }
        hasher.update("\n\n");
    }
    let fingerprint = crate::resource::hash::hex(&hasher.finalize()[..8]);
    let mut stage_deps = vec![api_id.clone()];
    stage_deps.extend(api_children);
    out.push(Desired {
        id: ResourceId::new(Kind::Stage, stack.api.stage.clone()),
        spec: Spec::Stage(StageSpec {
            name: stack.api.stage.clone(),
            rate_limit: stack.api.rate_limit,
            burst_limit: stack.api.burst_limit,
            fingerprint,
        }),
        depends_on: stage_deps,
    });

    for f in &stack.functions {
        let template = format!(
            "arn:aws:execute-api:{}:{}:{API_ID}/*/{}{}",
            account.region,
            account.id,
            f.def.method,
            arn_path(f.def.path)
        );
        out.push(Desired {
            id: ResourceId::new(Kind::Permission, f.name.clone()),
            spec: Spec::Permission(PermissionSpec {
                function_name: f.name.clone(),
                statement_id: PERMISSION_STATEMENT_ID.into(),
                source_arn_template: template,
            }),
            // Callable once the function's log group is there (`functions.rs`).
            depends_on: vec![
                ResourceId::new(Kind::Function, f.name.clone()),
                ResourceId::new(Kind::LogGroup, log_group_name(&f.name)),
                api_id.clone(),
            ],
        });
    }
}
