//! What `baken adopt` and `baken adopt --cleanup` need beyond a deploy's policy
//! (`baken iam-policy --adopt STACK…`), scoped to the stacks taken over. A CloudFormation stack's
//! EC2 resources carry CloudFormation's own `aws:cloudformation:stack-name` tag (which no one can
//! remove), so the cleanup's EC2 deletions are limited to those tags; CDK names a stack's roles
//! and instance profiles after the stack, except those its templates name outright (the JRA-VAN
//! server's `jravan-api-ec2-role`), which are read from the templates (`declared`). As everywhere
//! in baken, the conditions follow AWS's documented condition keys but are not evaluated by the
//! emulator the tests run on.

use crate::aws::cloudformation as cfn;
use crate::aws::permissions::{allow, Scope, Statement};
use crate::aws::{AwsError, Clients};

/// An IAM name a stack's template gives outright: `role` or `instance-profile`, and the name.
pub type Declared = (&'static str, String);

/// The roles and instance profiles `template` names outright (`RoleName`,
/// `InstanceProfileName`): CloudFormation makes the others `<stack>-<logical id>-<suffix>`.
pub fn declared_in(template: &serde_json::Value) -> Vec<Declared> {
    let resources = template.get("Resources").and_then(|r| r.as_object());
    resources
        .into_iter()
        .flatten()
        .filter_map(|(_, r)| {
            let (kind, property) = match r.get("Type")?.as_str()? {
                "AWS::IAM::Role" => ("role", "RoleName"),
                "AWS::IAM::InstanceProfile" => ("instance-profile", "InstanceProfileName"),
                _ => return None,
            };
            let name = r.get("Properties")?.get(property)?.as_str()?;
            Some((kind, name.to_string()))
        })
        .collect()
}

/// The IAM names the live `stacks` name outright, read from their templates. A stack that does
/// not exist (adopted already) names none.
pub async fn declared(clients: &Clients, stacks: &[String]) -> Result<Vec<Declared>, AwsError> {
    let reads = stacks.iter().map(|s| cfn::status_and_template(clients, s));
    let found = futures::future::try_join_all(reads).await?;
    Ok(found
        .into_iter()
        .flatten()
        .filter_map(|(_, t)| serde_json::from_str(&t).ok())
        .flat_map(|t: serde_json::Value| declared_in(&t))
        .collect())
}

/// What `baken adopt` needs to take `stacks` over, and its cleanup to remove what they held;
/// `declared`: the IAM names their templates give outright.
pub fn permissions(scope: &Scope, stacks: &[String], declared: &[Declared]) -> Vec<Statement> {
    let stack_arns: Vec<String> = stacks
        .iter()
        .map(|s| scope.arn("cloudformation", &format!("stack/{s}/*")))
        .collect();
    let named = |kind: &str| -> Vec<String> {
        let generated = stacks.iter().map(|s| format!("{s}-*"));
        let outright = declared
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, n)| n.clone());
        generated
            .chain(outright)
            .map(|n| format!("arn:aws:iam::{}:{kind}/{n}", scope.account))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The JRA-VAN server stack's role, as `cdk synth` writes it, and a profile CDK names.
    #[test]
    fn roles_and_profiles_named_outright_are_found_and_generated_names_are_not() {
        let t = serde_json::json!({"Resources": {
            "JraVanApiRoleD8DCEC8E": {"Type": "AWS::IAM::Role",
                "Properties": {"RoleName": "jravan-api-ec2-role", "AssumeRolePolicyDocument": {}}},
            "Profile": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "JraVanApiRoleD8DCEC8E"}]}},
            "Fn": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}}
        }});
        assert_eq!(
            declared_in(&t),
            vec![("role", "jravan-api-ec2-role".to_string())]
        );
    }
}
