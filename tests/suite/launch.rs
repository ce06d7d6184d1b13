//! Launching the gateway instance as AWS behaves, which moto does not reproduce: a new instance
//! profile EC2 does not accept yet, and an instance that stays pending for a while. Every attempt
//! carries the same client token, so a retried launch cannot start a second instance.

use std::sync::{Arc, Mutex};

use aws_sdk_ec2::operation::describe_instance_attribute::DescribeInstanceAttributeOutput;
use aws_sdk_ec2::operation::describe_instances::DescribeInstancesOutput;
use aws_sdk_ec2::operation::run_instances::{RunInstancesError, RunInstancesOutput};
use aws_sdk_ec2::types::AttributeBooleanValue;
use aws_sdk_ec2::types::{Instance, InstanceState, InstanceStateName, Reservation};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use baken::aws::ec2;
use baken::desired::InstanceSpec;

use crate::retries::clients;

fn spec() -> InstanceSpec {
    let stack = baken::manifest::parse(
        std::path::Path::new("t.yaml"),
        "stack: s\njravan:\n  gateway:\n    python_sha256: 6f0e6a6ad8b9b1f1ac8d1d8f3e1c9a7b5d4c3b2a1908f7e6d5c4b3a29180f7e6\n",
    )
    .unwrap();
    let software = baken::bootstrap::render(
        &crate::harness::checkout().join("windows-bootstrap"),
        &stack,
    )
    .unwrap();
    InstanceSpec {
        name: "s-gateway".into(),
        ami: "ami-0baken2022ja0001".into(),
        instance_type: "t3.small".into(),
        subnet: "subnet-0public".into(),
        security_group: "sg-0gateway".into(),
        disk_gb: 50,
        instance_profile: "s-gateway".into(),
        key_pair: None,
        protected: true,
        document: "s-gateway-install".into(),
        software: Some(software),
        tags: Default::default(),
    }
}

fn described(state: InstanceStateName) -> DescribeInstancesOutput {
    described_with(Instance::builder().state(InstanceState::builder().name(state).build()))
}

fn described_with(
    instance: aws_sdk_ec2::types::builders::InstanceBuilder,
) -> DescribeInstancesOutput {
    DescribeInstancesOutput::builder()
        .reservations(
            Reservation::builder()
                .instances(
                    instance
                        .instance_id("i-0gateway")
                        .private_ip_address("10.0.0.12")
                        .build(),
                )
                .build(),
        )
        .build()
}

#[tokio::test]
async fn a_profile_not_yet_usable_and_a_slow_start_are_waited_for_with_one_client_token() {
    let tokens = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = tokens.clone();
    let not_ready = || {
        RunInstancesError::generic(
            ErrorMetadata::builder()
                .code("InvalidParameterValue")
                .message("Value (s-gateway) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name")
                .build(),
        )
    };
    let run = mock!(aws_sdk_ec2::Client::run_instances)
        .match_requests(move |r| {
            seen.lock()
                .unwrap()
                .push(r.client_token().unwrap_or_default().to_string());
            r.metadata_options()
                .and_then(|m| m.http_tokens())
                .map(|t| t.as_str())
                == Some("required")
                && r.disable_api_termination() == Some(true)
                && r.tag_specifications()
                    .iter()
                    .any(|t| t.tags().iter().any(|t| t.key() == Some("Name")))
        })
        .sequence()
        .error(not_ready)
        .times(2)
        .output(|| {
            RunInstancesOutput::builder()
                .instances(Instance::builder().instance_id("i-0gateway").build())
                .build()
        })
        .build();
    let describe = mock!(aws_sdk_ec2::Client::describe_instances)
        .sequence()
        .output(|| described(InstanceStateName::Pending))
        .times(3)
        .output(|| described(InstanceStateName::Running))
        .build();
    // AWS honours DisableApiTermination at launch, so the check finds it set and nothing is modified.
    let protected = mock!(aws_sdk_ec2::Client::describe_instance_attribute).then_output(|| {
        DescribeInstanceAttributeOutput::builder()
            .disable_api_termination(AttributeBooleanValue::builder().value(true).build())
            .build()
    });
    let mut c = clients();
    c.ec2 = mock_client!(
        aws_sdk_ec2,
        RuleMode::MatchAny,
        [&run, &describe, &protected]
    );
    let (id, ip) = ec2::launch_instance(
        &c,
        &spec(),
        ec2::Launch {
            subnet: "subnet-0public",
            security_group: "sg-0gateway",
            client_token: "s-gateway-18c2f0",
        },
    )
    .await
    .unwrap();
    assert_eq!((id.as_str(), ip.as_str()), ("i-0gateway", "10.0.0.12"));
    assert_eq!(run.num_calls(), 3);
    assert_eq!(describe.num_calls(), 4, "waited through pending");
    assert_eq!(protected.num_calls(), 1);
    let tokens = tokens.lock().unwrap();
    assert!(
        tokens.len() >= 3 && tokens.iter().all(|t| t == "s-gateway-18c2f0"),
        "{tokens:?}"
    );
}

#[tokio::test]
async fn an_instance_that_terminates_while_starting_fails_with_its_reason() {
    let run = mock!(aws_sdk_ec2::Client::run_instances).then_output(|| {
        RunInstancesOutput::builder()
            .instances(Instance::builder().instance_id("i-0gateway").build())
            .build()
    });
    let describe = mock!(aws_sdk_ec2::Client::describe_instances).then_output(|| {
        described_with(
            Instance::builder()
                .state(
                    InstanceState::builder()
                        .name(InstanceStateName::Terminated)
                        .build(),
                )
                .state_reason(
                    aws_sdk_ec2::types::StateReason::builder()
                        .message("Client.InstanceInitiatedShutdown")
                        .build(),
                ),
        )
    });
    let mut c = clients();
    c.ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&run, &describe]);
    let err = ec2::launch_instance(
        &c,
        &spec(),
        ec2::Launch {
            subnet: "subnet-0public",
            security_group: "sg-0gateway",
            client_token: "t",
        },
    )
    .await
    .unwrap_err();
    assert!(
        err.message.contains("terminated") && err.message.contains("InstanceInitiatedShutdown"),
        "{err}"
    );
}
