//! Systems Manager: the public parameter that names the latest Windows image, the gateway's
//! install document, Run Command on the instance, and the bootstrap's progress report.

use aws_sdk_ssm::types::{
    CommandInvocationStatus, DocumentFormat, DocumentType, ParameterStringFilter,
    ResourceTypeForTagging, Tag,
};

use super::client::error::{absent_if, on};
use super::client::retry::{retry_while, wait_until, Poll};
use super::read::{part, ReadContext, Reader};
use super::seam::{Seam, StepContext};
use super::{AwsError, Clients};
use crate::desired::gateway::content_sha256;
use crate::desired::gateway::DocumentAttr;
use crate::desired::DocumentSpec;
use crate::live::LiveState;
use crate::live::{LiveResource, Owner};
use crate::model::names::gateway_document_name;
use crate::resource::{Attrs, Kind, ResourceId};

/// The Windows Server 2022 Japanese Full Base image, as AWS publishes it.
pub const WINDOWS_AMI_PARAMETER: &str =
    "/aws/service/ami-windows-latest/Windows_Server-2022-Japanese-Full-Base";

pub async fn latest_windows_ami(clients: &Clients) -> Result<String, AwsError> {
    let out = clients
        .ssm
        .get_parameter()
        .name(WINDOWS_AMI_PARAMETER)
        .send()
        .await
        .map_err(on("GetParameter", WINDOWS_AMI_PARAMETER))?;
    out.parameter()
        .and_then(|p| p.value())
        .map(str::to_string)
        .ok_or_else(|| {
            AwsError::new(
                "GetParameter",
                WINDOWS_AMI_PARAMETER,
                "the parameter has no value",
            )
        })
}

/// Whether a parameter exists, from its metadata (DescribeParameters): a SecureString's value is
/// never read, so no decrypt permission is needed.
pub async fn parameter_exists(clients: &Clients, name: &str) -> Result<bool, AwsError> {
    let filter = ParameterStringFilter::builder()
        .key("Name")
        .option("Equals")
        .values(name)
        .build()
        .map_err(|e| AwsError::new("DescribeParameters", name, e.to_string()))?;
    let out = clients
        .ssm
        .describe_parameters()
        .parameter_filters(filter)
        .send()
        .await
        .map_err(on("DescribeParameters", name))?;
    Ok(out.parameters().iter().any(|p| p.name() == Some(name)))
}

/// A parameter's text and when Systems Manager last saw it written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub text: String,
    pub modified_millis: Option<i64>,
}

/// Several plain parameters in one call (GetParameters); the ones that do not exist are left out.
pub async fn parameters(
    clients: &Clients,
    names: &[String],
) -> Result<std::collections::BTreeMap<String, Reported>, AwsError> {
    let out = clients
        .ssm
        .get_parameters()
        .set_names(Some(names.to_vec()))
        .send()
        .await
        .map_err(on("GetParameters", names.join(", ")))?;
    Ok(out
        .parameters()
        .iter()
        .filter_map(|p| {
            let reported = Reported {
                text: p.value()?.to_string(),
                modified_millis: p.last_modified_date().and_then(|d| d.to_millis().ok()),
            };
            Some((p.name()?.to_string(), reported))
        })
        .collect())
}

fn res(name: &str) -> String {
    format!("document {name}")
}

/// The gateway's document and its tags (whose it is). `expected` (read ahead: the last run left
/// it) asks for both at once; otherwise the tags only once the document is found, so a stack
/// without one costs a single request.
pub async fn read_document(
    clients: &Clients,
    stack: &str,
    name: &str,
    expected: bool,
) -> Result<Option<LiveResource>, AwsError> {
    let doc = async {
        absent_if(
            clients
                .ssm
                .get_document()
                .name(name)
                .send()
                .await
                .map_err(on("GetDocument", res(name))),
            &["InvalidDocument"],
        )
    };
    let tags = || async {
        clients
            .ssm
            .list_tags_for_resource()
            .resource_type(ResourceTypeForTagging::Document)
            .resource_id(name)
            .send()
            .await
            .map_err(on("ListTagsForResource", res(name)))
    };
    let (doc, tags) = match expected {
        true => {
            let (doc, tags) = futures::future::join(doc, tags()).await;
            // The tags of a document that is not there are an error (InvalidResourceId):
            // only the document's answer counts then.
            let Some(doc) = doc? else { return Ok(None) };
            (doc, tags?)
        }
        false => {
            let Some(doc) = doc.await? else {
                return Ok(None);
            };
            (doc, tags().await?)
        }
    };
    let owner = Owner::from_tags(stack, tags.tag_list().iter().map(|t| (t.key(), t.value())));
    let mut attrs = Attrs::from([(
        DocumentAttr::Type.key(),
        doc.document_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
    )]);
    if let Some(content) = doc.content() {
        attrs.insert(DocumentAttr::ContentSha256.key(), content_sha256(content));
    }
    Ok(Some(LiveResource::new(
        ResourceId::new(Kind::GatewayDocument, name),
        attrs,
        owner,
    )))
}

fn content(spec: &DocumentSpec) -> Result<&str, AwsError> {
    spec.content.as_deref().ok_or_else(|| {
        AwsError::new(
            "CreateDocument",
            res(&spec.name),
            "the gateway document was not rendered",
        )
    })
}

pub async fn create_document(clients: &Clients, spec: &DocumentSpec) -> Result<(), AwsError> {
    let tags: Vec<Tag> = spec
        .tags
        .iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value set")
        })
        .collect();
    clients
        .ssm
        .create_document()
        .name(&spec.name)
        .content(content(spec)?)
        .document_type(DocumentType::Command)
        .document_format(DocumentFormat::Json)
        .set_tags(Some(tags))
        .send()
        .await
        .map_err(on("CreateDocument", res(&spec.name)))?;
    Ok(())
}

/// A new version of the document, made the default so Run Command and the bootstrap use it.
pub async fn update_document(clients: &Clients, spec: &DocumentSpec) -> Result<(), AwsError> {
    let out = clients
        .ssm
        .update_document()
        .name(&spec.name)
        .content(content(spec)?)
        .document_format(DocumentFormat::Json)
        .document_version("$LATEST")
        .send()
        .await
        .map_err(on("UpdateDocument", res(&spec.name)))?;
    if let Some(version) = out
        .document_description()
        .and_then(|d| d.document_version())
    {
        clients
            .ssm
            .update_document_default_version()
            .name(&spec.name)
            .document_version(version)
            .send()
            .await
            .map_err(on("UpdateDocumentDefaultVersion", res(&spec.name)))?;
    }
    Ok(())
}

pub async fn delete_document(clients: &Clients, name: &str) -> Result<(), AwsError> {
    absent_if(
        clients
            .ssm
            .delete_document()
            .name(name)
            .send()
            .await
            .map_err(on("DeleteDocument", res(name))),
        &["InvalidDocument"],
    )?;
    Ok(())
}

/// Runs the document on the instance with Run Command and waits for the result. The instance must
/// be registered with Systems Manager (its agent starts a few minutes after the first boot); AWS
/// answers InvalidInstanceId until then. moto accepts any instance and reports Success at once,
/// so the waiting and failure paths here are AWS's behaviour, not exercised against moto.
pub async fn run_document(
    clients: &Clients,
    document: &str,
    instance: &str,
    name: &str,
) -> Result<(), AwsError> {
    let what = format!("instance {name} ({instance})");
    let sent = clients
        .ssm
        .send_command()
        .document_name(document)
        .instance_ids(instance)
        .comment("baken: install the JV-Link gateway code")
        .send()
        .await
        .map_err(|e| {
            let err = AwsError::from_sdk("SendCommand", &what, e);
            if err.code_is("InvalidInstanceId") {
                err.with_hint("the instance is not registered with Systems Manager yet (a first boot takes several minutes): run the deploy again later")
            } else {
                err
            }
        })?;
    let command = sent
        .command()
        .and_then(|c| c.command_id())
        .unwrap_or_default()
        .to_string();
    wait_until("GetCommandInvocation", &what, &clients.timing, clients.timing.command, || async {
        // Right after SendCommand the invocation may not exist yet.
        let inv = retry_while(&clients.timing, clients.timing.iam_propagation, |e| e.code_is("InvocationDoesNotExist"), || async {
            clients
                .ssm
                .get_command_invocation()
                .command_id(&command)
                .instance_id(instance)
                .send()
                .await
                .map_err(on("GetCommandInvocation", &what))
        })
        .await?;
        match inv.status() {
            Some(CommandInvocationStatus::Success) => Ok(Poll::Done(())),
            Some(
                s @ (CommandInvocationStatus::Failed
                | CommandInvocationStatus::Cancelled
                | CommandInvocationStatus::TimedOut),
            ) => Err(AwsError::new(
                "SendCommand",
                &what,
                format!(
                    "the gateway install {}: {}",
                    s.as_str(),
                    inv.standard_error_content().unwrap_or("no output").trim()
                ),
            )
            .with_hint(format!("see command {command} in Systems Manager Run Command, fix the cause, and deploy again"))),
            s => Ok(Poll::Waiting(format!(
                "Run Command {command} to install the gateway (now {})",
                s.map(|s| s.as_str()).unwrap_or("unknown")
            ))),
        }
    })
    .await
}

/// Reading the public Windows image parameter and the bootstrap report; in jravan mode the
/// install document and running it on the stack's instance.
pub fn permissions(scope: &super::permissions::Scope) -> Vec<super::permissions::Statement> {
    use super::permissions::allow;
    use crate::model::names::gateway_document_name;
    let stack = &scope.stack.name;
    let document = scope.arn("ssm", &format!("document/{}", gateway_document_name(stack)));
    let mut out = vec![
        allow(
            "SsmParameters",
            "ssm",
            &["GetParameter", "GetParameters"],
            vec![
                // Public parameters have no account in their ARN.
                format!(
                    "arn:aws:ssm:{}::parameter/aws/service/ami-windows-latest/*",
                    scope.region
                ),
                scope.arn("ssm", &format!("parameter/baken/{stack}/*")),
            ],
        ),
        allow(
            "SsmDocumentRead",
            "ssm",
            &["GetDocument", "ListTagsForResource"],
            vec![document.clone()],
        ),
    ];
    if scope.jravan() {
        out.push(allow(
            "SsmDocumentWrite",
            "ssm",
            &[
                "CreateDocument",
                "UpdateDocument",
                "UpdateDocumentDefaultVersion",
                "DeleteDocument",
                "AddTagsToResource",
                "SendCommand",
            ],
            vec![document],
        ));
        out.push(
            allow(
                "SsmRunOnTheGateway",
                "ssm",
                &["SendCommand"],
                vec![scope.arn("ec2", "instance/*")],
            )
            .when(serde_json::json!({"StringEquals": {"aws:ResourceTag/baken:stack": stack}})),
        );
        out.push(allow(
            "SsmCommandResults",
            "ssm",
            &["GetCommandInvocation"],
            vec!["*".into()],
        ));
        // Finding the service-key parameter: DescribeParameters has no resource-level permissions.
        out.push(allow(
            "SsmServiceKeyExists",
            "ssm",
            &["DescribeParameters"],
            vec!["*".into()],
        ));
    }
    out
}

/// The gateway's install document.
pub const READER: Reader = Reader {
    name: "gateway-document",
    read: |cx| Box::pin(read_part(cx)),
};

async fn read_part(cx: &ReadContext<'_>) -> Result<LiveState, AwsError> {
    let stack = &cx.stack.name;
    let expected = !cx.ahead(Kind::GatewayDocument).is_empty();
    let found = read_document(cx.clients, stack, &gateway_document_name(stack), expected).await?;
    Ok(part(found))
}

impl Seam for DocumentSpec {
    const READ_BY: Reader = READER;
    async fn create(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        create_document(cx.clients, self).await
    }
    async fn update(&self, cx: &StepContext<'_>) -> Result<(), AwsError> {
        update_document(cx.clients, self).await
    }
    async fn delete(cx: &StepContext<'_>) -> Result<(), AwsError> {
        delete_document(cx.clients, cx.name()).await
    }
}
