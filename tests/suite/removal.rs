//! Safe removal as AWS behaves, which moto does not reproduce (it deletes instantly and lets a
//! security group go while interfaces use it): aws-smithy-mocks sequences for Lambda's lingering
//! network interfaces, `DependencyViolation` and a function update in progress.

use aws_sdk_ec2::operation::delete_network_interface::DeleteNetworkInterfaceOutput;
use aws_sdk_ec2::operation::delete_security_group::{
    DeleteSecurityGroupError, DeleteSecurityGroupOutput,
};
use aws_sdk_ec2::operation::delete_subnet::{DeleteSubnetError, DeleteSubnetOutput};
use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
use aws_sdk_ec2::types::{NetworkInterface, NetworkInterfaceStatus};
use aws_sdk_lambda::operation::delete_function::DeleteFunctionOutput;
use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
use aws_sdk_lambda::operation::update_function_configuration::{
    UpdateFunctionConfigurationError, UpdateFunctionConfigurationOutput,
};
use aws_sdk_lambda::types::FunctionConfiguration;
use aws_sdk_lambda::types::{LastUpdateStatus, State, VpcConfigResponse};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_types::error::ErrorMetadata;
use baken::aws::{ec2, lambda};

use crate::retries::clients;

fn lambda_eni(status: NetworkInterfaceStatus) -> DescribeNetworkInterfacesOutput {
    DescribeNetworkInterfacesOutput::builder()
        .network_interfaces(
            NetworkInterface::builder()
                .network_interface_id("eni-0lambda")
                .description("AWS Lambda VPC ENI-s-get-races-0a1b2c3d")
                .requester_id("AROAEXAMPLE:awslambda_123")
                .status(status)
                .build(),
        )
        .build()
}

fn dependency_violation() -> ErrorMetadata {
    ErrorMetadata::builder()
        .code("DependencyViolation")
        .message("resource sg-0lambda has a dependent object")
        .build()
}

#[tokio::test]
async fn a_security_group_waits_for_lambdas_interfaces_deletes_them_and_retries_dependency_violation(
) {
    let describe = mock!(aws_sdk_ec2::Client::describe_network_interfaces)
        .sequence()
        .output(|| lambda_eni(NetworkInterfaceStatus::InUse))
        .times(2)
        .output(|| lambda_eni(NetworkInterfaceStatus::Available))
        .output(|| DescribeNetworkInterfacesOutput::builder().build())
        .repeatedly()
        .build();
    // Each DependencyViolation is explained: the interfaces in the group, the groups naming it.
    let referring = mock!(aws_sdk_ec2::Client::describe_security_groups)
        .then_output(|| DescribeSecurityGroupsOutput::builder().build());
    let delete_eni = mock!(aws_sdk_ec2::Client::delete_network_interface)
        .match_requests(|r| r.network_interface_id() == Some("eni-0lambda"))
        .then_output(|| DeleteNetworkInterfaceOutput::builder().build());
    // AWS keeps refusing for a while after the interface is gone.
    let delete_sg = mock!(aws_sdk_ec2::Client::delete_security_group)
        .sequence()
        .error(|| DeleteSecurityGroupError::generic(dependency_violation()))
        .times(2)
        .output(|| DeleteSecurityGroupOutput::builder().build())
        .build();
    let mut c = clients();
    c.ec2 = mock_client!(
        aws_sdk_ec2,
        RuleMode::MatchAny,
        [&describe, &delete_eni, &delete_sg, &referring]
    );
    ec2::delete_security_group(&c, "sg-0lambda", "s-lambda-sg")
        .await
        .expect("deleted once Lambda let go");
    assert_eq!(
        describe.num_calls(),
        3 + 2,
        "waited while the interface was in use, then looked twice for what AWS still saw"
    );
    assert_eq!(
        referring.num_calls(),
        2 * 2,
        "ingress and egress references, twice"
    );
    assert_eq!(
        delete_eni.num_calls(),
        1,
        "the released interface was deleted"
    );
    assert_eq!(
        delete_sg.num_calls(),
        3,
        "DependencyViolation twice, then success"
    );
}

#[tokio::test]
async fn an_interface_never_released_ends_the_wait_naming_it() {
    let describe = mock!(aws_sdk_ec2::Client::describe_network_interfaces)
        .sequence()
        .output(|| lambda_eni(NetworkInterfaceStatus::InUse))
        .repeatedly()
        .build();
    let delete_sg = mock!(aws_sdk_ec2::Client::delete_security_group)
        .then_output(|| DeleteSecurityGroupOutput::builder().build());
    let mut c = clients();
    c.ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&describe, &delete_sg]);
    let err = ec2::delete_security_group(&c, "sg-0lambda", "s-lambda-sg")
        .await
        .unwrap_err();
    assert!(err.message.contains("eni-0lambda (in-use)"), "{err}");
    assert!(err.message.contains("Lambda to release"), "{err}");
    assert_eq!(
        delete_sg.num_calls(),
        0,
        "the group is not deleted while in use"
    );
}

#[tokio::test]
async fn a_subnet_delete_is_retried_while_aws_says_it_is_in_use() {
    let delete = mock!(aws_sdk_ec2::Client::delete_subnet)
        .sequence()
        .error(|| DeleteSubnetError::generic(dependency_violation()))
        .times(2)
        .output(|| DeleteSubnetOutput::builder().build())
        .build();
    let interfaces = mock!(aws_sdk_ec2::Client::describe_network_interfaces)
        .match_requests(|r| r.filters().iter().any(|f| f.name() == Some("subnet-id")))
        .then_output(|| lambda_eni(NetworkInterfaceStatus::InUse));
    let mut c = clients();
    c.ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&delete, &interfaces]);
    ec2::delete_subnet(&c, "subnet-0private", "s-private-1")
        .await
        .unwrap();
    assert_eq!(delete.num_calls(), 3);
    assert_eq!(interfaces.num_calls(), 2, "each refusal was explained");
}

#[tokio::test]
async fn a_persistent_dependency_violation_is_bounded_and_reported() {
    let delete = mock!(aws_sdk_ec2::Client::delete_subnet)
        .sequence()
        .error(|| DeleteSubnetError::generic(dependency_violation()))
        .repeatedly()
        .build();
    let interfaces = mock!(aws_sdk_ec2::Client::describe_network_interfaces)
        .then_output(|| lambda_eni(NetworkInterfaceStatus::InUse));
    let mut c = clients();
    c.ec2 = mock_client!(aws_sdk_ec2, RuleMode::MatchAny, [&delete, &interfaces]);
    let err = ec2::delete_subnet(&c, "subnet-0private", "s-private-1")
        .await
        .unwrap_err();
    assert_eq!(err.code.as_deref(), Some("DependencyViolation"));
    assert!(err.resource.contains("s-private-1"), "{err}");
    // The error names the blocker, not only AWS's "has dependencies".
    assert!(
        err.message
            .contains("still using it: network interface eni-0lambda (AWS Lambda VPC ENI-s-get-races-0a1b2c3d)"),
        "{err}"
    );
    assert!(delete.num_calls() > 2);
}

/// What GetFunction answers (the delete's look and the waits poll it).
fn config(vpc: bool, update: LastUpdateStatus) -> GetFunctionOutput {
    let mut b = FunctionConfiguration::builder()
        .state(State::Active)
        .last_update_status(update);
    if vpc {
        b = b.vpc_config(
            VpcConfigResponse::builder()
                .subnet_ids("subnet-0private")
                .security_group_ids("sg-0lambda")
                .build(),
        );
    }
    GetFunctionOutput::builder()
        .configuration(b.build())
        .build()
}

#[tokio::test]
async fn a_function_in_a_vpc_is_detached_and_settled_before_it_is_deleted() {
    let get = mock!(aws_sdk_lambda::Client::get_function)
        .sequence()
        .output(|| config(true, LastUpdateStatus::Successful))
        .output(|| config(false, LastUpdateStatus::InProgress))
        .times(2)
        .output(|| config(false, LastUpdateStatus::Successful))
        .build();
    let conflict = || {
        UpdateFunctionConfigurationError::generic(
            ErrorMetadata::builder()
                .code("ResourceConflictException")
                .message("An update is in progress for resource")
                .build(),
        )
    };
    let detach = mock!(aws_sdk_lambda::Client::update_function_configuration)
        .match_requests(|r| r.vpc_config().is_some_and(|v| v.subnet_ids().is_empty()))
        .sequence()
        .error(conflict)
        .output(|| UpdateFunctionConfigurationOutput::builder().build())
        .build();
    let delete = mock!(aws_sdk_lambda::Client::delete_function)
        .then_output(|| DeleteFunctionOutput::builder().build());
    let mut c = clients();
    c.lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&get, &detach, &delete]);
    lambda::delete(&c, "s-get-races", None).await.unwrap();
    assert_eq!(
        detach.num_calls(),
        2,
        "a conflicting update, then the detach"
    );
    assert_eq!(
        get.num_calls(),
        4,
        "checked, then waited through InProgress"
    );
    assert_eq!(delete.num_calls(), 1);
}

/// Teardown's read already saw each function's VPC configuration: the delete acts on it, with no
/// look at the function first (9 Lambda requests fewer a teardown).
#[tokio::test]
async fn a_function_the_plan_saw_outside_a_vpc_is_deleted_without_reading_it_again() {
    let get = mock!(aws_sdk_lambda::Client::get_function)
        .then_output(|| config(true, LastUpdateStatus::Successful));
    let detach = mock!(aws_sdk_lambda::Client::update_function_configuration)
        .then_output(|| UpdateFunctionConfigurationOutput::builder().build());
    let delete = mock!(aws_sdk_lambda::Client::delete_function)
        .then_output(|| DeleteFunctionOutput::builder().build());
    let mut c = clients();
    c.lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&get, &detach, &delete]);
    lambda::delete(&c, "s-get-races", Some(false))
        .await
        .unwrap();
    assert_eq!(
        (get.num_calls(), detach.num_calls(), delete.num_calls()),
        (0, 0, 1)
    );
}

/// Seen in a VPC: detached at once, then waited for (the only configuration reads), then deleted.
#[tokio::test]
async fn a_function_the_plan_saw_in_a_vpc_is_detached_without_reading_it_first() {
    let get = mock!(aws_sdk_lambda::Client::get_function)
        .then_output(|| config(false, LastUpdateStatus::Successful));
    let detach = mock!(aws_sdk_lambda::Client::update_function_configuration)
        .match_requests(|r| r.vpc_config().is_some_and(|v| v.subnet_ids().is_empty()))
        .then_output(|| UpdateFunctionConfigurationOutput::builder().build());
    let delete = mock!(aws_sdk_lambda::Client::delete_function)
        .then_output(|| DeleteFunctionOutput::builder().build());
    let mut c = clients();
    c.lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&get, &detach, &delete]);
    lambda::delete(&c, "s-get-races", Some(true)).await.unwrap();
    assert_eq!(detach.num_calls(), 1);
    assert_eq!(get.num_calls(), 1, "only the wait for the detach to settle");
    assert_eq!(delete.num_calls(), 1);
}

/// The plan's read saw the gateway attached: it is detached from that VPC with no look first;
/// detached meanwhile (EC2's Gateway.NotAttached) it is deleted all the same.
#[tokio::test]
async fn an_internet_gateway_the_plan_saw_attached_is_detached_without_reading_it_again() {
    use aws_sdk_ec2::operation::delete_internet_gateway::DeleteInternetGatewayOutput;
    use aws_sdk_ec2::operation::describe_internet_gateways::DescribeInternetGatewaysOutput;
    use aws_sdk_ec2::operation::detach_internet_gateway::DetachInternetGatewayError;
    let describe = mock!(aws_sdk_ec2::Client::describe_internet_gateways)
        .then_output(|| DescribeInternetGatewaysOutput::builder().build());
    let detach = mock!(aws_sdk_ec2::Client::detach_internet_gateway)
        .match_requests(|r| r.vpc_id() == Some("vpc-0seen"))
        .then_error(|| {
            DetachInternetGatewayError::generic(
                ErrorMetadata::builder()
                    .code("Gateway.NotAttached")
                    .message("resource igw-0 is not attached to network vpc-0seen")
                    .build(),
            )
        });
    let delete = mock!(aws_sdk_ec2::Client::delete_internet_gateway)
        .then_output(|| DeleteInternetGatewayOutput::builder().build());
    let mut c = clients();
    c.ec2 = mock_client!(
        aws_sdk_ec2,
        RuleMode::MatchAny,
        [&describe, &detach, &delete]
    );
    ec2::delete_internet_gateway(&c, "igw-0", "s-igw", Some(Some("vpc-0seen".into())))
        .await
        .unwrap();
    assert_eq!(
        (describe.num_calls(), detach.num_calls(), delete.num_calls()),
        (0, 1, 1)
    );
}
