//! The EC2 permissions of the calls in this folder. Every command reads the stack's EC2
//! resources (a mock deploy must find what a switch would remove); only jravan mode writes.
//!
//! EC2 cannot scope Describe calls, and its creates touch resource types that carry no tag yet
//! (an image, a subnet for RunInstances), so those are allowed on any resource. Changes to what
//! exists are limited to resources tagged with the stack, where every resource the call touches
//! carries baken's tag. Attaching, associating and Lambda's network interfaces (which Lambda
//! creates untagged) cannot be limited that way. These conditions follow AWS's documented
//! condition keys; they have not been evaluated by IAM here (the emulator does not enforce IAM).

use crate::aws::permissions::{allow, Scope, Statement};

const READS: [&str; 15] = [
    "DescribeAddresses",
    "DescribeAvailabilityZones",
    "DescribeInstanceAttribute",
    "DescribeInstanceStatus",
    "DescribeInstances",
    "DescribeInternetGateways",
    "DescribeNetworkInterfaces",
    "DescribePrefixLists",
    "DescribeRouteTables",
    "DescribeSecurityGroups",
    "DescribeSubnets",
    "DescribeVolumes",
    "DescribeVpcAttribute",
    "DescribeVpcEndpoints",
    "DescribeVpcs",
];

pub fn permissions(scope: &Scope) -> Vec<Statement> {
    let mut out = vec![allow("Ec2Read", "ec2", &READS, vec!["*".into()])];
    if !scope.jravan() {
        return out;
    }
    out.push(allow(
        "Ec2Create",
        "ec2",
        &[
            "CreateVpc",
            "CreateSubnet",
            "CreateInternetGateway",
            "CreateRouteTable",
            "CreateRoute",
            "CreateSecurityGroup",
            "CreateVpcEndpoint",
            "AllocateAddress",
            "RunInstances",
            // Tags given in the create calls (TagSpecifications) need CreateTags too.
            "CreateTags",
        ],
        vec!["*".into()],
    ));
    out.push(
        allow(
            "Ec2ChangeTheStacksOwn",
            "ec2",
            &[
                "ModifyVpcAttribute",
                "ModifyVpcEndpoint",
                "ModifyInstanceAttribute",
                "ModifyInstanceMetadataOptions",
                "AuthorizeSecurityGroupIngress",
                "AuthorizeSecurityGroupEgress",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
                "ReplaceRoute",
                "DeleteRoute",
                "DeleteVpc",
                "DeleteSubnet",
                "DeleteRouteTable",
                "DeleteInternetGateway",
                "DeleteSecurityGroup",
                "DeleteVpcEndpoints",
                "ReleaseAddress",
                "TerminateInstances",
                // `baken gateway start|stop`.
                "StartInstances",
                "StopInstances",
            ],
            vec!["*".into()],
        )
        .when(
            serde_json::json!({"StringEquals": {"aws:ResourceTag/baken:stack": scope.stack.name}}),
        ),
    );
    out.push(allow(
        "Ec2Connect",
        "ec2",
        &[
            "AttachInternetGateway",
            "DetachInternetGateway",
            "AssociateRouteTable",
            "DisassociateRouteTable",
            "AssociateAddress",
            "DisassociateAddress",
            // Lambda's interfaces in the stack's subnets, left behind after a function leaves
            // the VPC; Lambda does not tag them.
            "DeleteNetworkInterface",
        ],
        vec!["*".into()],
    ));
    out.extend(super::interface_endpoint::permissions(scope));
    out
}
