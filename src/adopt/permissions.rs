//! What `baken adopt` and `baken adopt --cleanup` need beyond a deploy's policy
//! (`baken iam-policy --adopt STACK…`), scoped to the stacks taken over. A CloudFormation stack's
//! EC2 resources carry CloudFormation's own `aws:cloudformation:stack-name` tag (which no one can
//! remove), so the cleanup's EC2 deletions are limited to those tags; CDK names a stack's roles
//! and instance profiles after the stack. As everywhere in baken, the conditions follow AWS's
//! documented condition keys but are not evaluated by the emulator the tests run on.

use crate::aws::permissions::{allow, Scope, Statement};

pub fn permissions(scope: &Scope, stacks: &[String]) -> Vec<Statement> {
    let stack_arns: Vec<String> = stacks
        .iter()
        .map(|s| scope.arn("cloudformation", &format!("stack/{s}/*")))
        .collect();
    let named = |kind: &str| -> Vec<String> {
        stacks
            .iter()
            .map(|s| format!("arn:aws:iam::{}:{kind}/{s}-*", scope.account))
            .collect()
    };
    let tables: Vec<String> = [&scope.stack.cart_table, &scope.stack.session_table]
        .iter()
        .flat_map(|t| {
            let arn = scope.arn("dynamodb", &format!("table/{t}"));
            [arn.clone(), format!("{arn}/backup/*")]
        })
        .collect();
    let mut out = vec![
        allow(
            "AdoptReadStacks",
            "cloudformation",
            &["ListImports", "ListStacks", "DescribeStacks"],
            vec!["*".into()],
        ),
        allow(
            "AdoptTheStacks",
            "cloudformation",
            &[
                "GetTemplate",
                "ListStackResources",
                "CreateChangeSet",
                "DescribeChangeSet",
                "ExecuteChangeSet",
                "DeleteChangeSet",
                "UpdateStack",
                "DeleteStack",
            ],
            stack_arns,
        ),
        allow(
            "AdoptBackUpTables",
            "dynamodb",
            &["CreateBackup", "DescribeBackup", "TagResource"],
            tables,
        ),
        // ListBackups takes no resource (IAM's action table): "*" or nothing.
        allow(
            "AdoptListBackups",
            "dynamodb",
            &["ListBackups"],
            vec!["*".into()],
        ),
        allow(
            "AdoptTagLogGroups",
            "logs",
            &["TagLogGroup", "ListTagsLogGroup"],
            vec![scope.arn(
                "logs",
                &format!("log-group:/aws/lambda/{}-*", scope.stack.name),
            )],
        ),
        allow(
            "AdoptTagTheRestApi",
            "apigateway",
            &["PUT", "GET"],
            vec![format!("arn:aws:apigateway:{}::/tags/*", scope.region)],
        ),
        allow(
            "AdoptCleanUpRoles",
            "iam",
            &[
                "GetRole",
                "ListRolePolicies",
                "ListAttachedRolePolicies",
                "ListInstanceProfilesForRole",
                "DeleteRolePolicy",
                "DetachRolePolicy",
                "RemoveRoleFromInstanceProfile",
                "DeleteRole",
                "GetInstanceProfile",
                "DeleteInstanceProfile",
            ],
            [named("role"), named("instance-profile")].concat(),
        ),
        allow(
            "AdoptCleanUpGrants",
            "lambda",
            &["RemovePermission", "GetPolicy", "TagResource"],
            vec![scope.arn("lambda", &format!("function:{}-*", scope.stack.name))],
        ),
        // CDK names a layer after its construct, not the stack: any layer version of the
        // account and region.
        allow(
            "AdoptCleanUpLayers",
            "lambda",
            &["DeleteLayerVersion"],
            vec![scope.arn("lambda", "layer:*:*")],
        ),
        // A retain template over 51,200 bytes goes through the CDK bootstrap bucket (whatever
        // its name), under baken's own prefix; CloudFormation reads it with the caller's
        // credentials, so GetObject too.
        allow(
            "AdoptTemplatesInTheBootstrapBucket",
            "s3",
            &["PutObject", "GetObject", "DeleteObject"],
            vec![format!("arn:aws:s3:::*/baken/{}/*", scope.stack.name)],
        ),
    ];
    out.push(
        allow(
            "AdoptCleanUpNetwork",
            "ec2",
            &[
                "TerminateInstances",
                "ModifyInstanceAttribute",
                "ReleaseAddress",
                "DeleteKeyPair",
                "DeleteVpcEndpoints",
                "RevokeSecurityGroupIngress",
                "RevokeSecurityGroupEgress",
                "DeleteSecurityGroup",
                "DeleteSubnet",
                "DeleteRouteTable",
                "DeleteInternetGateway",
                "DeleteVpc",
            ],
            vec!["*".into()],
        )
        .when(serde_json::json!({
            "StringEquals": {"aws:ResourceTag/aws:cloudformation:stack-name": stacks}
        })),
    );
    out.push(allow(
        "AdoptCleanUpConnections",
        "ec2",
        &[
            "DescribeInstances",
            "DescribeAddresses",
            "DescribeSecurityGroups",
            "DescribeNetworkInterfaces",
            "DescribeRouteTables",
            "DescribeInternetGateways",
            "DisassociateAddress",
            "DisassociateRouteTable",
            "DetachInternetGateway",
            "DeleteNetworkInterface",
        ],
        vec!["*".into()],
    ));
    out
}
