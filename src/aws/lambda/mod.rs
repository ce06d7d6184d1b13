//! Lambda: the nine functions; the permissions that let API Gateway invoke them are in
//! `permission.rs`.
//!
//! AWS quirks handled here:
//! - A role created seconds ago may not be assumable yet: CreateFunction then fails with
//!   InvalidParameterValueException "The role defined for the function cannot be assumed by
//!   Lambda". We retry that one error, bounded (`Timing::iam_propagation`).
//! - Function changes are asynchronous: after CreateFunction the state is Pending, after an update
//!   LastUpdateStatus is InProgress, and a second change meanwhile fails with
//!   ResourceConflictException. We wait for each change to finish before the next, and retry the
//!   conflict (bounded) in case someone else is changing the function. moto finishes at once.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Architecture, Environment, FunctionCode, LastUpdateStatus, Runtime, State, VpcConfig,
};

mod permission;

pub use permission::{add_permission, remove_permission};
mod read;
use read::find;
pub use read::{read, LiveFunctions};

use crate::aws::client::error::{absent_if, on};
use crate::aws::client::retry::{retry_while, wait_until, Poll};
use crate::aws::read::{part, ReadContext, Reader};
use crate::aws::seam::{Seam, StepContext};
use crate::aws::{AwsError, Clients};
use crate::desired::PERMISSION_STATEMENT_ID;
use crate::desired::{Code, FunctionAttr, FunctionSpec};
use crate::live::LiveState;
use crate::resource::Kind;

fn res(name: &str) -> String {
    format!("function {name}")
}

pub fn is_role_not_ready(e: &AwsError) -> bool {
    e.code_is("InvalidParameterValueException") && e.message.contains("cannot be assumed")
}

pub fn is_conflict(e: &AwsError) -> bool {
    e.code_is("ResourceConflictException")
}

fn zip_bytes(spec: &FunctionSpec) -> Result<Blob, AwsError> {
    match &spec.code {
        Code::Zip { path, .. } => std::fs::read(path).map(Blob::new).map_err(|e| {
            AwsError::new(
                "read package",
                res(&spec.name),
                format!("{}: {e}", path.display()),
            )
        }),
        Code::Unknown => Err(AwsError::new(
            "read package",
            res(&spec.name),
            "no deployment package was built",
        )),
    }
}

/// Sets what CreateFunction and UpdateFunctionConfiguration both set, on either builder, from
/// one mapping of the spec (`Configuration`): a field added to one is added to both.
macro_rules! configured {
    ($builder:expr, $c:expr) => {
        $builder
            .role(&$c.role)
            .runtime($c.runtime.clone())
            .handler(&$c.handler)
            .memory_size($c.memory)
            .timeout($c.timeout)
            .environment($c.environment.clone())
            .vpc_config($c.vpc.clone())
            .set_layers(Some($c.layers.clone()))
    };
}

/// A function's configuration as Lambda takes it.
struct Configuration {
    role: String,
    runtime: Runtime,
    handler: String,
    memory: i32,
    timeout: i32,
    environment: Environment,
    /// Empty lists when the function is in no VPC: on an update they take it out of its VPC.
    vpc: VpcConfig,
    /// baken's functions use no layers: a layer a function was adopted with (the CDK app's
    /// Python dependencies) is let go.
    layers: Vec<String>,
}

/// The spec's configuration; its references must have been filled in.
fn configuration(spec: &FunctionSpec) -> Configuration {
    let (subnets, groups) = match &spec.vpc {
        Some(v) => (v.subnets.clone(), v.security_groups.clone()),
        None => (Vec::new(), Vec::new()),
    };
    Configuration {
        role: spec.role_arn.clone(),
        runtime: Runtime::from(spec.runtime),
        handler: spec.handler.to_string(),
        memory: spec.memory_mb,
        timeout: spec.timeout_s,
        environment: Environment::builder()
            .set_variables(Some(spec.environment.clone().into_iter().collect()))
            .build(),
        vpc: VpcConfig::builder()
            .set_subnet_ids(Some(subnets))
            .set_security_group_ids(Some(groups))
            .build(),
        layers: Vec::new(),
    }
}

pub async fn create(clients: &Clients, spec: &FunctionSpec) -> Result<(), AwsError> {
    let code = FunctionCode::builder().zip_file(zip_bytes(spec)?).build();
    let config = configuration(spec);
    let timing = clients.timing;
    retry_while(&timing, timing.iam_propagation, is_role_not_ready, || async {
        configured!(clients.lambda.create_function(), config)
            .function_name(&spec.name)
            .architectures(Architecture::from(spec.architecture))
            .code(code.clone())
            .set_tags(Some(spec.tags.clone().into_iter().collect()))
            .send()
            .await
            .map_err(on("CreateFunction", res(&spec.name)))
    })
    .await
    .map_err(|e| {
        if is_role_not_ready(&e) {
            e.with_hint("IAM has not yet made the new role usable by Lambda; run the deploy again in a minute")
        } else {
            e
        }
    })?;
    wait_settled(clients, &spec.name).await
}

pub async fn update(
    clients: &Clients,
    spec: &FunctionSpec,
    changed: &[String],
) -> Result<(), AwsError> {
    use FunctionAttr as A;
    let changed: Vec<A> = changed.iter().filter_map(|a| A::parse(a)).collect();
    let config_changed = changed.iter().any(|a| {
        matches!(
            a,
            A::Role
                | A::Runtime
                | A::Handler
                | A::Memory
                | A::Timeout
                | A::Environment(_)
                | A::VpcSubnet(_)
                | A::VpcSecurityGroup(_)
                | A::Layer(_)
        )
    });
    // The architecture is set with the code (UpdateFunctionCode), and a failed function is
    // repaired by uploading its code again.
    let code_changed = changed
        .iter()
        .any(|a| matches!(a, A::CodeSha256 | A::Architecture | A::Health));
    let timing = clients.timing;
    if config_changed {
        let config = configuration(spec);
        retry_while(
            &timing,
            timing.conflict,
            |e| is_conflict(e) || is_role_not_ready(e),
            || async {
                configured!(clients.lambda.update_function_configuration(), config)
                    .function_name(&spec.name)
                    .send()
                    .await
                    .map_err(on("UpdateFunctionConfiguration", res(&spec.name)))
            },
        )
        .await?;
        wait_settled(clients, &spec.name).await?;
    }
    if code_changed {
        let zip = zip_bytes(spec)?;
        retry_while(&timing, timing.conflict, is_conflict, || async {
            clients
                .lambda
                .update_function_code()
                .function_name(&spec.name)
                .zip_file(zip.clone())
                .architectures(Architecture::from(spec.architecture))
                .send()
                .await
                .map_err(on("UpdateFunctionCode", res(&spec.name)))
        })
        .await?;
        wait_settled(clients, &spec.name).await?;
    }
    Ok(())
}

/// Waits until the function is Active and its last update finished. A Failed state ends the wait
/// with Lambda's reason. Polled with GetFunction, which answers the same configuration and is
/// outside Lambda's 15/s control-plane quota (GetFunctionConfiguration is inside it): a
/// teardown detaching nine functions no longer holds back their deletions.
pub async fn wait_settled(clients: &Clients, name: &str) -> Result<(), AwsError> {
    wait_until(
        "GetFunction",
        &res(name),
        &clients.timing,
        clients.timing.function_update,
        || async {
            let got = clients
                .lambda
                .get_function()
                .function_name(name)
                .send()
                .await
                .map_err(on("GetFunction", res(name)))?;
            let Some(c) = got.configuration() else {
                return Ok(Poll::Waiting(format!(
                    "function {name} to have a configuration"
                )));
            };
            let failed = |what: &str, reason: Option<&str>| {
                Err(AwsError::new(
                    "GetFunction",
                    res(name),
                    format!("{what}: {}", reason.unwrap_or("no reason given")),
                )
                .with_hint(
                    "fix the cause Lambda names (role, package, settings), then deploy again",
                ))
            };
            match (c.state(), c.last_update_status()) {
                (Some(State::Failed), _) => {
                    failed("the function failed to become active", c.state_reason())
                }
                (_, Some(LastUpdateStatus::Failed)) => {
                    failed("the function update failed", c.last_update_status_reason())
                }
                (Some(State::Pending), _) => Ok(Poll::Waiting(format!(
                    "function {name} to leave state Pending"
                ))),
                (_, Some(LastUpdateStatus::InProgress)) => Ok(Poll::Waiting(format!(
                    "the update of function {name} to finish"
                ))),
                _ => Ok(Poll::Done(())),
            }
        },
    )
    .await
}

/// Tags a function a CloudFormation stack made as this stack's (`baken adopt`).
pub async fn adopt(
    clients: &Clients,
    arn: &str,
    name: &str,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<(), AwsError> {
    clients
        .lambda
        .tag_resource()
        .resource(arn)
        .set_tags(Some(tags.clone().into_iter().collect()))
        .send()
        .await
        .map_err(on("TagResource", res(name)))?;
    Ok(())
}

/// Deletes the function. One in a VPC is first taken out of it (an empty VPC configuration,
/// waited for): Lambda then starts releasing its network interfaces at once, which the
/// security-group and subnet deletions later in the plan wait for. `in_vpc`: what the plan's
/// read saw (the deploy lock keeps it true); None reads the configuration first.
pub async fn delete(clients: &Clients, name: &str, in_vpc: Option<bool>) -> Result<(), AwsError> {
    let in_vpc = match in_vpc {
        Some(known) => known,
        None => {
            let Some(got) = find(clients, name).await? else {
                return Ok(());
            };
            got.configuration()
                .and_then(|c| c.vpc_config())
                .is_some_and(|v| !v.subnet_ids().is_empty())
        }
    };
    if in_vpc {
        let timing = clients.timing;
        let detach = retry_while(&timing, timing.conflict, is_conflict, || async {
            clients
                .lambda
                .update_function_configuration()
                .function_name(name)
                .vpc_config(
                    VpcConfig::builder()
                        .set_subnet_ids(Some(vec![]))
                        .set_security_group_ids(Some(vec![]))
                        .build(),
                )
                .send()
                .await
                .map_err(on("UpdateFunctionConfiguration", res(name)))
        });
        // Already gone: nothing left to delete.
        if absent_if(detach.await, &["ResourceNotFoundException"])?.is_none() {
            return Ok(());
        }
        wait_settled(clients, name).await?;
    }
    absent_if(
        clients
            .lambda
            .delete_function()
            .function_name(name)
            .send()
            .await
            .map_err(on("DeleteFunction", res(name))),
        &["ResourceNotFoundException"],
    )?;
    Ok(())
}

/// Deletes one version of a layer by its ARN (`arn:aws:lambda:…:layer:NAME:VERSION`). Functions
/// that still name it keep running: Lambda keeps a copy for them (its documented behaviour).
pub async fn delete_layer_version(clients: &Clients, arn: &str) -> Result<(), AwsError> {
    let parsed = arn
        .rsplit_once(':')
        .and_then(|(layer, v)| Some((layer.rsplit(':').next()?, v.parse::<i64>().ok()?)));
    let Some((name, version)) = parsed else {
        return Err(AwsError::new(
            "DeleteLayerVersion",
            format!("layer version {arn}"),
            "not a layer version ARN",
        ));
    };
    clients
        .lambda
        .delete_layer_version()
        .layer_name(name)
        .version_number(version)
        .send()
        .await
        .map_err(on("DeleteLayerVersion", format!("layer version {arn}")))?;
    Ok(())
}

/// The nine functions by name, and handing them their roles (PassRole to Lambda only). A
/// function in a VPC also needs the caller to be able to describe the network (Lambda checks).
pub fn permissions(
    scope: &crate::aws::permissions::Scope,
) -> Vec<crate::aws::permissions::Statement> {
    use crate::aws::permissions::allow;
    let functions: Vec<String> = scope
        .stack
        .functions
        .iter()
        .map(|f| scope.arn("lambda", &format!("function:{}", f.name)))
        .collect();
    let mut out = vec![
        allow("LambdaList", "lambda", &["ListFunctions"], vec!["*".into()]),
        allow(
            "LambdaFunctions",
            "lambda",
            &[
                "CreateFunction",
                "DeleteFunction",
                "GetFunction",
                "UpdateFunctionCode",
                "UpdateFunctionConfiguration",
                "GetPolicy",
                "AddPermission",
                "RemovePermission",
                "ListTags",
                "TagResource",
            ],
            functions,
        ),
        allow(
            "LambdaPassRoles",
            "iam",
            &["PassRole"],
            vec![format!(
                "arn:aws:iam::{}:role{}*",
                scope.account,
                crate::model::names::role_path(&scope.stack.name)
            )],
        )
        .when(serde_json::json!({"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})),
    ];
    if scope.jravan() {
        out.push(allow(
            "LambdaVpcChecks",
            "ec2",
            &["DescribeSecurityGroups", "DescribeSubnets", "DescribeVpcs"],
            vec!["*".into()],
        ));
    }
    out
}

/// The function spec with its references (subnets, security group, gateway address) filled in.
fn resolved(s: &FunctionSpec, cx: &StepContext<'_>) -> Result<FunctionSpec, AwsError> {
    let mut out = s.clone();
    for v in out.environment.values_mut() {
        *v = cx.fill(v)?;
    }
    if let Some(vpc) = &mut out.vpc {
        for x in vpc.subnets.iter_mut().chain(vpc.security_groups.iter_mut()) {
            *x = cx.fill(x)?;
        }
    }
    Ok(out)
}

/// The functions and their invoke permissions.
pub const READER: Reader = Reader {
    name: "functions",
    read: |cx| Box::pin(read_part(cx)),
};

async fn read_part(cx: &ReadContext<'_>) -> Result<LiveState, AwsError> {
    let functions = cx.wanted(Kind::Function);
    let ahead = cx.ahead(Kind::Function);
    let found = read(
        cx.clients,
        &cx.stack.name,
        &functions,
        PERMISSION_STATEMENT_ID,
        &ahead,
    )
    .await?;
    let mut part = part(found.functions.into_iter().chain(found.permissions));
    part.function_modes = found.modes;
    Ok(part)
}

impl Seam for FunctionSpec {
    const READ_BY: Reader = READER;
    const ROUNDS: u32 = 2;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        create(cx.clients, &resolved(self, cx)?).await
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        update(cx.clients, &resolved(self, cx)?, &cx.changed()).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        let in_vpc = cx.live.map(|attrs| {
            attrs
                .keys()
                .any(|k| matches!(FunctionAttr::parse(k), Some(FunctionAttr::VpcSubnet(_))))
        });
        delete(cx.clients, cx.name(), in_vpc).await
    }
}
