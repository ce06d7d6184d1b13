//! AWS behaviours moto does not reproduce, replayed with aws-smithy-mocks sequences: IAM
//! propagation delay on CreateFunction, update conflicts, asynchronous state changes, and waits
//! that never end.

use std::time::Duration;

use aws_sdk_dynamodb::operation::describe_table::{DescribeTableError, DescribeTableOutput};
use aws_sdk_dynamodb::types::error::ResourceNotFoundException;
use aws_sdk_dynamodb::types::{TableDescription, TableStatus};
use aws_sdk_lambda::operation::create_function::{CreateFunctionError, CreateFunctionOutput};
use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
use aws_sdk_lambda::operation::update_function_configuration::{
    UpdateFunctionConfigurationError, UpdateFunctionConfigurationOutput,
};
use aws_sdk_lambda::types::error::{InvalidParameterValueException, ResourceConflictException};
use aws_sdk_lambda::types::FunctionConfiguration;
use aws_sdk_lambda::types::{LastUpdateStatus, State};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use baken::aws::{dynamodb, lambda, Clients, Timing};
use baken::desired::{Code, FunctionSpec};

/// Millisecond bounds, so a wait that never ends fails the test quickly.
fn timing() -> Timing {
    Timing {
        poll: Duration::from_millis(5),
        function_update: Duration::from_millis(300),
        table: Duration::from_millis(300),
        iam_propagation: Duration::from_millis(300),
        conflict: Duration::from_millis(300),
        instance: Duration::from_millis(300),
        eni_release: Duration::from_millis(300),
        command: Duration::from_millis(300),
        stack: Duration::from_millis(300),
    }
}

/// Clients for aws-smithy-mocks: each test replaces the service client it scripts.
pub fn clients() -> Clients {
    let config = aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("ap-northeast-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build();
    Clients::from_config(&config, timing())
}

fn spec(dir: &std::path::Path) -> FunctionSpec {
    let zip = dir.join("f.zip");
    std::fs::write(
        &zip,
        b"PK\x03\x04 not really a zip; the mock never reads it",
    )
    .unwrap();
    FunctionSpec {
        name: "s-get-races".into(),
        role_arn: "arn:aws:iam::123456789012:role/baken/s/s-get-races".into(),
        runtime: "provided.al2023",
        handler: "bootstrap",
        memory_mb: 128,
        timeout_s: 30,
        architecture: "x86_64",
        environment: Default::default(),
        code: Code::Zip {
            path: zip,
            sha256_base64: "x".into(),
        },
        vpc: None,
        tags: Default::default(),
    }
}

fn role_not_ready() -> CreateFunctionError {
    let message = "The role defined for the function cannot be assumed by Lambda.";
    CreateFunctionError::InvalidParameterValueException(
        InvalidParameterValueException::builder()
            .message(message)
            .meta(
                ErrorMetadata::builder()
                    .code("InvalidParameterValueException")
                    .message(message)
                    .build(),
            )
            .build(),
    )
}

/// What GetFunction answers, which the waits poll (outside Lambda's control-plane quota).
fn configuration(state: State, update: LastUpdateStatus) -> GetFunctionOutput {
    GetFunctionOutput::builder()
        .configuration(
            FunctionConfiguration::builder()
                .state(state)
                .last_update_status(update)
                .build(),
        )
        .build()
}

#[tokio::test]
async fn create_function_retries_while_the_new_role_is_not_yet_assumable() {
    let dir = tempfile::tempdir().unwrap();
    let create = mock!(aws_sdk_lambda::Client::create_function)
        .sequence()
        .error(role_not_ready)
        .times(2)
        .output(|| CreateFunctionOutput::builder().build())
        .build();
    // AWS answers Pending after CreateFunction; the wait polls until Active.
    let config = mock!(aws_sdk_lambda::Client::get_function)
        .sequence()
        .output(|| configuration(State::Pending, LastUpdateStatus::InProgress))
        .times(2)
        .output(|| configuration(State::Active, LastUpdateStatus::Successful))
        .build();
    let mut c = clients();
    c.lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&create, &config]);
    lambda::create(&c, &spec(dir.path()))
        .await
        .expect("created after the role propagated");
    assert_eq!(create.num_calls(), 3);
    assert_eq!(config.num_calls(), 3);
}

#[tokio::test]
async fn role_propagation_retry_is_bounded_and_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let create = mock!(aws_sdk_lambda::Client::create_function)
        .sequence()
        .error(role_not_ready)
        .repeatedly()
        .build();
    let mut c = clients();
    c.lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&create]);
    let err = lambda::create(&c, &spec(dir.path())).await.unwrap_err();
    assert_eq!(err.code.as_deref(), Some("InvalidParameterValueException"));
    assert_eq!(err.operation, "CreateFunction");
    assert!(err.resource.contains("s-get-races"));
    assert!(
        err.hint
            .as_deref()
            .unwrap_or("")
            .contains("run the deploy again"),
        "{err}"
    );
    assert!(create.num_calls() > 2, "it retried before giving up");
}

#[tokio::test]
async fn an_update_conflict_is_retried_and_each_update_waits_for_the_last_to_finish() {
    let dir = tempfile::tempdir().unwrap();
    let conflict = || {
        let message =
            "The operation cannot be performed at this time. An update is in progress for resource";
        UpdateFunctionConfigurationError::ResourceConflictException(
            ResourceConflictException::builder()
                .message(message)
                .meta(
                    ErrorMetadata::builder()
                        .code("ResourceConflictException")
                        .message(message)
                        .build(),
                )
                .build(),
        )
    };
    let update = mock!(aws_sdk_lambda::Client::update_function_configuration)
        .sequence()
        .error(conflict)
        .times(2)
        .output(|| UpdateFunctionConfigurationOutput::builder().build())
        .build();
    let config = mock!(aws_sdk_lambda::Client::get_function)
        .sequence()
        .output(|| configuration(State::Active, LastUpdateStatus::InProgress))
        .output(|| configuration(State::Active, LastUpdateStatus::Successful))
        .build();
    let mut c = clients();
    c.lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&update, &config]);
    lambda::update(&c, &spec(dir.path()), &["memory".to_string()])
        .await
        .expect("updated after the conflict");
    assert_eq!(update.num_calls(), 3);
    assert_eq!(config.num_calls(), 2, "waited through InProgress");
}

#[tokio::test]
async fn a_function_that_never_settles_ends_the_wait_with_what_was_awaited() {
    let config = mock!(aws_sdk_lambda::Client::get_function)
        .sequence()
        .output(|| configuration(State::Pending, LastUpdateStatus::InProgress))
        .repeatedly()
        .build();
    let mut c = clients();
    c.lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&config]);
    let err = lambda::wait_settled(&c, "s-get-races").await.unwrap_err();
    assert!(
        err.message
            .contains("waiting for function s-get-races to leave state Pending"),
        "{err}"
    );
}

#[tokio::test]
async fn a_failed_function_ends_the_wait_with_lambdas_reason() {
    let config = mock!(aws_sdk_lambda::Client::get_function).then_output(|| {
        GetFunctionOutput::builder()
            .configuration(
                FunctionConfiguration::builder()
                    .state(State::Failed)
                    .state_reason(
                        "The role is not authorized to perform ec2:CreateNetworkInterface",
                    )
                    .build(),
            )
            .build()
    });
    let mut c = clients();
    c.lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&config]);
    let err = lambda::wait_settled(&c, "s-get-races").await.unwrap_err();
    assert!(err.message.contains("ec2:CreateNetworkInterface"), "{err}");
}

#[tokio::test]
async fn table_writes_wait_for_active() {
    let table = |status: TableStatus| {
        DescribeTableOutput::builder()
            .table(TableDescription::builder().table_status(status).build())
            .build()
    };
    let describe = mock!(aws_sdk_dynamodb::Client::describe_table)
        .sequence()
        .output(move || table(TableStatus::Creating))
        .times(3)
        .output(move || table(TableStatus::Active))
        .build();
    let mut c = clients();
    c.dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&describe]);
    dynamodb::wait_active(&c, "s-cart")
        .await
        .expect("active after CREATING");
    assert_eq!(describe.num_calls(), 4);
}

/// AWS answers DeleteTable with the table DELETING and refuses CreateTable with its name until it
/// is gone (moto deletes at once): a table replacement waits in between.
#[tokio::test]
async fn a_replaced_table_is_created_only_once_the_old_one_is_gone() {
    let deleting = || {
        DescribeTableOutput::builder()
            .table(
                TableDescription::builder()
                    .table_status(TableStatus::Deleting)
                    .build(),
            )
            .build()
    };
    let describe = mock!(aws_sdk_dynamodb::Client::describe_table)
        .sequence()
        .output(deleting)
        .times(2)
        .error(|| {
            DescribeTableError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Requested resource not found")
                    .meta(
                        ErrorMetadata::builder()
                            .code("ResourceNotFoundException")
                            .build(),
                    )
                    .build(),
            )
        })
        .build();
    let mut c = clients();
    c.dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&describe]);
    dynamodb::wait_gone(&c, "s-cart")
        .await
        .expect("gone after DELETING");
    assert_eq!(describe.num_calls(), 3);
}

/// An emulator's HTML 500 (no AWS error document in it) is one line: the operation, the
/// resource, the HTTP status and the first bytes of the body, not the SDK's parse-failure dump.
#[tokio::test]
async fn regression_an_answer_without_an_aws_error_document_is_one_line() {
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_types::body::SdkBody;
    let html = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n";
    let page =
        mock!(aws_sdk_cloudformation::Client::describe_stacks).then_http_response(move || {
            HttpResponse::new(500.try_into().unwrap(), SdkBody::from(html))
        });
    let mut c = clients();
    c.cloudformation = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, [&page]);
    let e = c
        .cloudformation
        .describe_stacks()
        .stack_name("Api")
        .send()
        .await
        .map_err(baken::aws::client::error::on(
            "DescribeStacks",
            "CloudFormation stack Api",
        ))
        .unwrap_err();
    let text = e.to_string();
    let first = text.lines().next().unwrap();
    assert!(
        first.starts_with("DescribeStacks on CloudFormation stack Api failed: HTTP 500, not an AWS answer: <!doctype html> <html lang=en> <title>500 Internal Server Error</title>"),
        "{text}"
    );
    assert!(first.len() < 220, "{first}");
    assert!(!text.contains("ServiceError"), "{text}");
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .contains("hint: the answer was not AWS's"),
        "{text}"
    );
}

/// AWS creates an interface endpoint `pending` and places its interfaces in a minute or two;
/// moto answers `available` at once. The create waits through `pending`, stops at `failed` with
/// the state, and gives up at its bound.
#[tokio::test]
async fn an_interface_endpoint_is_waited_for_until_available_and_a_failed_one_says_so() {
    use aws_sdk_ec2::operation::describe_vpc_endpoints::DescribeVpcEndpointsOutput;
    use aws_sdk_ec2::types::{State as EndpointState, VpcEndpoint};
    let answer = |state: EndpointState| {
        DescribeVpcEndpointsOutput::builder()
            .vpc_endpoints(
                VpcEndpoint::builder()
                    .vpc_endpoint_id("vpce-1")
                    .state(state)
                    .build(),
            )
            .build()
    };
    use EndpointState::{Available, Failed, Pending};

    let placed = mock!(aws_sdk_ec2::Client::describe_vpc_endpoints)
        .sequence()
        .output(move || answer(Pending))
        .times(2)
        .output(move || answer(Available))
        .build();
    let mut c = clients();
    c.ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&placed]);
    baken::aws::ec2::wait_available(&c, "vpce-1", "s-bedrock-endpoint")
        .await
        .unwrap();
    assert_eq!(placed.num_calls(), 3);

    let failed = mock!(aws_sdk_ec2::Client::describe_vpc_endpoints)
        .sequence()
        .output(move || answer(Pending))
        .output(move || answer(Failed))
        .build();
    c.ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&failed]);
    let e = baken::aws::ec2::wait_available(&c, "vpce-1", "s-bedrock-endpoint")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("the endpoint is failed"), "{e}");

    let stuck = mock!(aws_sdk_ec2::Client::describe_vpc_endpoints)
        .sequence()
        .output(move || answer(Pending))
        .repeatedly()
        .build();
    c.ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&stuck]);
    let e = baken::aws::ec2::wait_available(&c, "vpce-1", "s-bedrock-endpoint")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("gave up"), "{e}");
}
