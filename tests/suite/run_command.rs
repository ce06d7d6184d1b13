//! Installing gateway code with Run Command as AWS behaves (moto reports Success at once for any
//! instance): an instance not yet registered with Systems Manager, a command that takes a while,
//! and one that fails with the script's error output.

use aws_sdk_ssm::operation::get_command_invocation::{
    GetCommandInvocationError, GetCommandInvocationOutput,
};
use aws_sdk_ssm::operation::send_command::{SendCommandError, SendCommandOutput};
use aws_sdk_ssm::types::{Command, CommandInvocationStatus};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use baken::aws::ssm;

use crate::retries::clients;

fn sent() -> SendCommandOutput {
    SendCommandOutput::builder()
        .command(Command::builder().command_id("cmd-1").build())
        .build()
}

fn invocation(status: CommandInvocationStatus) -> GetCommandInvocationOutput {
    GetCommandInvocationOutput::builder()
        .status(status)
        .standard_error_content("pip install exited with 1")
        .build()
}

#[tokio::test]
async fn the_install_is_waited_for_through_a_missing_invocation_and_in_progress() {
    let send = mock!(aws_sdk_ssm::Client::send_command)
        .match_requests(|r| {
            r.document_name() == Some("s-gateway-install") && r.instance_ids() == ["i-0gateway"]
        })
        .then_output(sent);
    let get = mock!(aws_sdk_ssm::Client::get_command_invocation)
        .sequence()
        .error(|| {
            GetCommandInvocationError::generic(
                ErrorMetadata::builder()
                    .code("InvocationDoesNotExist")
                    .build(),
            )
        })
        .output(|| invocation(CommandInvocationStatus::InProgress))
        .times(2)
        .output(|| invocation(CommandInvocationStatus::Success))
        .build();
    let mut c = clients();
    c.ssm = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&send, &get]);
    ssm::run_document(&c, "s-gateway-install", "i-0gateway", "s-gateway")
        .await
        .unwrap();
    assert_eq!(send.num_calls(), 1);
    assert_eq!(get.num_calls(), 4);
}

#[tokio::test]
async fn a_failed_install_reports_the_scripts_error_and_the_command() {
    let send = mock!(aws_sdk_ssm::Client::send_command).then_output(sent);
    let get = mock!(aws_sdk_ssm::Client::get_command_invocation)
        .then_output(|| invocation(CommandInvocationStatus::Failed));
    let mut c = clients();
    c.ssm = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&send, &get]);
    let err = ssm::run_document(&c, "s-gateway-install", "i-0gateway", "s-gateway")
        .await
        .unwrap_err();
    assert!(err.message.contains("pip install exited with 1"), "{err}");
    assert!(err.hint.as_deref().unwrap_or("").contains("cmd-1"), "{err}");
}

#[tokio::test]
async fn an_instance_not_yet_registered_says_to_deploy_again_later() {
    let send = mock!(aws_sdk_ssm::Client::send_command).then_error(|| {
        SendCommandError::generic(
            ErrorMetadata::builder()
                .code("InvalidInstanceId")
                .message("Instances [[i-0gateway]] not in a valid state for account")
                .build(),
        )
    });
    let mut c = clients();
    c.ssm = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&send]);
    let err = ssm::run_document(&c, "s-gateway-install", "i-0gateway", "s-gateway")
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("InvalidInstanceId"));
    assert!(
        err.hint
            .as_deref()
            .unwrap_or("")
            .contains("not registered with Systems Manager"),
        "{err}"
    );
}
