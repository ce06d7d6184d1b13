//! The AWS CDK app baken replaces, as CloudFormation templates in the shape `cdk synth` gives
//! them (written here by hand from the original design, not by baken): the API stack (two tables
//! with `DeletionPolicy: Delete`, nine functions with their service roles and default policies,
//! an edge-optimised REST API with its resources, methods, invoke permissions, deployment and
//! stage, the CloudWatch role and account setting, CDK metadata and the bootstrap-version
//! parameter and rule) and, with `jravan`, the JRA-VAN server stack it imports from (a VPC,
//! subnets, gateway endpoint, security groups, the Windows instance on an SSM image parameter,
//! its role, profile, Elastic IP and key pair), whose exports the API stack's functions use.
//!
//! `prefix` stands for the CDK app's `baken-kaigi`: the tables, functions and API get baken's
//! default names for a baken stack of that name.

use serde_json::{json, Map, Value};

/// The nine routes: function suffix, logical name, method, path.
pub const ROUTES: [(&str, &str, &str, &str); 9] = [
    ("get-races", "GetRaces", "GET", "/races"),
    (
        "get-race-detail",
        "GetRaceDetail",
        "GET",
        "/races/{race_id}",
    ),
    ("add-to-cart", "AddToCart", "POST", "/cart/items"),
    ("get-cart", "GetCart", "GET", "/cart/{cart_id}"),
    (
        "remove-from-cart",
        "RemoveFromCart",
        "DELETE",
        "/cart/{cart_id}/items/{item_id}",
    ),
    ("clear-cart", "ClearCart", "DELETE", "/cart/{cart_id}"),
    (
        "start-consultation",
        "StartConsultation",
        "POST",
        "/consultations",
    ),
    (
        "send-message",
        "SendMessage",
        "POST",
        "/consultations/{session_id}/messages",
    ),
    (
        "get-consultation",
        "GetConsultation",
        "GET",
        "/consultations/{session_id}",
    ),
];

pub const API_STACK: &str = "ApiStack";
pub const JRAVAN_STACK: &str = "JraVanStack";

fn meta(stack: &str, path: &str) -> Value {
    json!({"aws:cdk:path": format!("{stack}/{path}")})
}

fn bootstrap() -> (Value, Value) {
    (
        json!({"BootstrapVersion": {
            "Type": "AWS::SSM::Parameter::Value<String>",
            "Default": "/cdk-bootstrap/hnb659fds/version",
            "Description": "Version of the CDK Bootstrap resources in this environment, automatically retrieved from SSM Parameter Store. [cdk:skip]"
        }}),
        json!({"CheckBootstrapVersion": {"Assertions": [{
            "Assert": {"Fn::Not": [{"Fn::Contains": [["1", "2", "3", "4", "5"], {"Ref": "BootstrapVersion"}]}]},
            "AssertDescription": "CDK bootstrap stack version 6 required. Please run 'cdk bootstrap' with a recent version of the CDK CLI."
        }]}}),
    )
}

fn logical(path: &str) -> String {
    path.split('/')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let p = p.trim_matches(|c| c == '{' || c == '}');
            p.split('_')
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<String>()
        })
        .collect::<String>()
}

fn table(name: &str, key: &str) -> Value {
    json!({
        "Type": "AWS::DynamoDB::Table",
        "Properties": {
            "TableName": name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": key, "AttributeType": "S"},
                {"AttributeName": "user_id", "AttributeType": "S"}
            ],
            "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{
                "IndexName": "user_id-index",
                "KeySchema": [{"AttributeName": "user_id", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}
            }],
            "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": true}
        },
        "UpdateReplacePolicy": "Delete",
        "DeletionPolicy": "Delete"
    })
}

/// The API stack; `jravan`: its functions run in the JRA-VAN stack's VPC and call its gateway.
pub fn api_stack(prefix: &str, jravan: bool) -> Value {
    let s = API_STACK;
    let mut r = Map::new();
    r.insert(
        "CartTable".into(),
        table(&format!("{prefix}-cart"), "cart_id"),
    );
    r.insert(
        "SessionTable".into(),
        table(&format!("{prefix}-consultation-session"), "session_id"),
    );
    let table_arns = json!([
        {"Fn::GetAtt": ["CartTable", "Arn"]},
        {"Fn::Join": ["", [{"Fn::GetAtt": ["CartTable", "Arn"]}, "/index/*"]]},
        {"Fn::GetAtt": ["SessionTable", "Arn"]},
        {"Fn::Join": ["", [{"Fn::GetAtt": ["SessionTable", "Arn"]}, "/index/*"]]}
    ]);
    for (suffix, name, _, _) in ROUTES {
        let role = format!("{name}FunctionServiceRole");
        let mut managed = vec![
            json!({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]]}),
        ];
        if jravan {
            managed.push(json!({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"]]}));
        }
        r.insert(role.clone(), json!({
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}], "Version": "2012-10-17"},
                "ManagedPolicyArns": managed
            },
            "Metadata": meta(s, &format!("{name}Function/ServiceRole/Resource"))
        }));
        r.insert(format!("{role}DefaultPolicy"), json!({
            "Type": "AWS::IAM::Policy",
            "Properties": {
                "PolicyDocument": {"Statement": [{"Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"], "Effect": "Allow", "Resource": table_arns}], "Version": "2012-10-17"},
                "PolicyName": format!("{role}DefaultPolicy"),
                "Roles": [{"Ref": role}]
            },
            "Metadata": meta(s, &format!("{name}Function/ServiceRole/DefaultPolicy/Resource"))
        }));
        let mut env = json!({
            "CART_TABLE_NAME": {"Ref": "CartTable"},
            "SESSION_TABLE_NAME": {"Ref": "SessionTable"},
            "RACE_DATA_PROVIDER": if jravan { "jravan" } else { "mock" }
        });
        let mut props = json!({
            "FunctionName": format!("{prefix}-{suffix}"),
            "Code": {"ZipFile": "def handler(event, context):\n    return {'statusCode': 200}\n"},
            "Handler": format!("src.api.handlers.{}.handler", suffix.replace('-', "_")),
            "Role": {"Fn::GetAtt": [role, "Arn"]},
            "Runtime": "python3.12",
            "MemorySize": 256,
            "Timeout": 30
        });
        if jravan {
            env["JRAVAN_API_URL"] = json!({"Fn::Join": ["", ["http://", {"Fn::ImportValue": format!("{prefix}-GatewayPrivateIp")}, ":8000"]]});
            props["VpcConfig"] = json!({
                "SecurityGroupIds": [{"Fn::ImportValue": format!("{prefix}-LambdaSg")}],
                "SubnetIds": [{"Fn::ImportValue": format!("{prefix}-PrivateSubnet1")}, {"Fn::ImportValue": format!("{prefix}-PrivateSubnet2")}]
            });
        }
        props["Environment"] = json!({"Variables": env});
        r.insert(
            format!("{name}Function"),
            json!({
                "Type": "AWS::Lambda::Function",
                "Properties": props,
                "DependsOn": [format!("{role}DefaultPolicy"), role],
                "Metadata": meta(s, &format!("{name}Function/Resource"))
            }),
        );
    }
    r.insert("Api".into(), json!({
        "Type": "AWS::ApiGateway::RestApi",
        "Properties": {"Name": format!("{prefix}-api"), "Description": "Baken Kaigi API", "EndpointConfiguration": {"Types": ["EDGE"]}},
        "Metadata": meta(s, "Api/Resource")
    }));
    r.insert("ApiCloudWatchRole".into(), json!({
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}}], "Version": "2012-10-17"},
            "ManagedPolicyArns": [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"]]}]
        },
        "UpdateReplacePolicy": "Retain",
        "DeletionPolicy": "Retain"
    }));
    r.insert(
        "ApiAccount".into(),
        json!({
            "Type": "AWS::ApiGateway::Account",
            "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["ApiCloudWatchRole", "Arn"]}},
            "DependsOn": ["Api"],
            "UpdateReplacePolicy": "Retain",
            "DeletionPolicy": "Retain"
        }),
    );
    let mut paths: Vec<String> = Vec::new();
    for (_, _, _, path) in ROUTES {
        let mut p = String::new();
        for part in path.split('/').filter(|x| !x.is_empty()) {
            p = format!("{p}/{part}");
            if !paths.contains(&p) {
                paths.push(p.clone());
            }
        }
    }
    paths.sort_by_key(|p| p.matches('/').count());
    for p in &paths {
        let (parent, part) = p.rsplit_once('/').unwrap();
        let parent_id = if parent.is_empty() {
            json!({"Fn::GetAtt": ["Api", "RootResourceId"]})
        } else {
            json!({"Ref": format!("Api{}", logical(parent))})
        };
        r.insert(format!("Api{}", logical(p)), json!({
            "Type": "AWS::ApiGateway::Resource",
            "Properties": {"ParentId": parent_id, "PathPart": part, "RestApiId": {"Ref": "Api"}},
            "Metadata": meta(s, &format!("Api/Default{p}/Resource"))
        }));
    }
    let mut methods = Vec::new();
    for (_, name, method, path) in ROUTES {
        let res = format!("Api{}", logical(path));
        let m = format!("{res}{method}");
        methods.push(m.clone());
        r.insert(m.clone(), json!({
            "Type": "AWS::ApiGateway::Method",
            "Properties": {
                "AuthorizationType": "NONE",
                "HttpMethod": method,
                "Integration": {
                    "IntegrationHttpMethod": "POST",
                    "Type": "AWS_PROXY",
                    "Uri": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":apigateway:", {"Ref": "AWS::Region"}, ":lambda:path/2015-03-31/functions/", {"Fn::GetAtt": [format!("{name}Function"), "Arn"]}, "/invocations"]]}
                },
                "ResourceId": {"Ref": res},
                "RestApiId": {"Ref": "Api"}
            },
            "Metadata": meta(s, &format!("Api/Default{path}/{method}/Resource"))
        }));
        r.insert(format!("{m}ApiPermission"), json!({
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Fn::GetAtt": [format!("{name}Function"), "Arn"]},
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":execute-api:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":", {"Ref": "Api"}, "/", {"Ref": "ApiDeploymentStageprod"}, "/", method, path]]}
            },
            "Metadata": meta(s, &format!("Api/Default{path}/{method}/ApiPermission"))
        }));
    }
    r.insert("ApiDeployment".into(), json!({
        "Type": "AWS::ApiGateway::Deployment",
        "Properties": {"Description": "Automatically created by the RestApi construct", "RestApiId": {"Ref": "Api"}},
        "DependsOn": methods
    }));
    r.insert("ApiDeploymentStageprod".into(), json!({
        "Type": "AWS::ApiGateway::Stage",
        "Properties": {"DeploymentId": {"Ref": "ApiDeployment"}, "RestApiId": {"Ref": "Api"}, "StageName": "prod"},
        "DependsOn": ["ApiAccount"]
    }));
    r.insert(
        "CDKMetadata".into(),
        json!({
            "Type": "AWS::CDK::Metadata",
            "Properties": {"Analytics": "v2:deflate64:H4sIAAAAAAAA/1WOy"},
            "Metadata": meta(s, "CDKMetadata/Default")
        }),
    );
    let (parameters, rules) = bootstrap();
    json!({
        "Parameters": parameters,
        "Resources": r,
        "Outputs": {
            "ApiEndpoint": {"Value": {"Fn::Join": ["", ["https://", {"Ref": "Api"}, ".execute-api.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"}, "/", {"Ref": "ApiDeploymentStageprod"}, "/"]]}}
        },
        "Rules": rules
    })
}

/// The JRA-VAN server stack, exporting what the API stack's functions import.
pub fn jravan_stack(prefix: &str) -> Value {
    let s = JRAVAN_STACK;
    let image = "SsmParameterValueawsserviceamiwindowslatestWindowsServer2022JapaneseFullBaseC96584B6F00A464EAD1953AFF4B05118Parameter";
    let tag = |n: &str| json!([{"Key": "Name", "Value": format!("{s}/{n}")}]);
    let mut r = Map::new();
    r.insert("Vpc".into(), json!({"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": true, "EnableDnsSupport": true, "Tags": tag("Vpc")}, "Metadata": meta(s, "Vpc/Resource")}));
    let subnets = [
        ("PublicSubnet1", "10.0.0.0/24", 0, true),
        ("PublicSubnet2", "10.0.1.0/24", 1, true),
        ("PrivateSubnet1", "10.0.10.0/24", 0, false),
        ("PrivateSubnet2", "10.0.11.0/24", 1, false),
    ];
    for (name, cidr, az, public) in subnets {
        r.insert(
            name.into(),
            json!({"Type": "AWS::EC2::Subnet", "Properties": {
            "VpcId": {"Ref": "Vpc"}, "CidrBlock": cidr,
            "AvailabilityZone": {"Fn::Select": [az, {"Fn::GetAZs": ""}]},
            "MapPublicIpOnLaunch": public, "Tags": tag(name)}}),
        );
        r.insert(format!("{name}RouteTable"), json!({"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}, "Tags": tag(name)}}));
        r.insert(format!("{name}RouteTableAssociation"), json!({"Type": "AWS::EC2::SubnetRouteTableAssociation", "Properties": {"RouteTableId": {"Ref": format!("{name}RouteTable")}, "SubnetId": {"Ref": name}}}));
        if public {
            r.insert(format!("{name}DefaultRoute"), json!({"Type": "AWS::EC2::Route", "Properties": {"RouteTableId": {"Ref": format!("{name}RouteTable")}, "DestinationCidrBlock": "0.0.0.0/0", "GatewayId": {"Ref": "VpcIGW"}}, "DependsOn": ["VpcGatewayAttachment"]}));
        }
    }
    r.insert(
        "VpcIGW".into(),
        json!({"Type": "AWS::EC2::InternetGateway", "Properties": {"Tags": tag("Vpc")}}),
    );
    r.insert("VpcGatewayAttachment".into(), json!({"Type": "AWS::EC2::VPCGatewayAttachment", "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "VpcIGW"}}}));
    r.insert("VpcDynamoDbEndpoint".into(), json!({"Type": "AWS::EC2::VPCEndpoint", "Properties": {
        "ServiceName": {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".dynamodb"]]},
        "VpcId": {"Ref": "Vpc"}, "VpcEndpointType": "Gateway",
        "RouteTableIds": [{"Ref": "PrivateSubnet1RouteTable"}, {"Ref": "PrivateSubnet2RouteTable"}]}}));
    r.insert("LambdaSg".into(), json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "Lambda functions", "VpcId": {"Ref": "Vpc"},
        "SecurityGroupEgress": [{"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}]}}));
    r.insert("Ec2Sg".into(), json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "JV-Link server", "VpcId": {"Ref": "Vpc"},
        "SecurityGroupEgress": [{"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}]}}));
    r.insert("Ec2SgFromLambda".into(), json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {"GroupId": {"Fn::GetAtt": ["Ec2Sg", "GroupId"]}, "IpProtocol": "tcp", "FromPort": 8000, "ToPort": 8000, "SourceSecurityGroupId": {"Fn::GetAtt": ["LambdaSg", "GroupId"]}}}));
    r.insert("ServerRole".into(), json!({"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}], "Version": "2012-10-17"},
        "ManagedPolicyArns": [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AmazonSSMManagedInstanceCore"]]}]}}));
    r.insert("ServerInstanceProfile".into(), json!({"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "ServerRole"}]}}));
    r.insert(
        "ServerKeyPair".into(),
        json!({"Type": "AWS::EC2::KeyPair", "Properties": {"KeyName": format!("{prefix}-jvlink")}}),
    );
    r.insert("Server".into(), json!({"Type": "AWS::EC2::Instance", "Properties": {
        "ImageId": {"Ref": image}, "InstanceType": "t3.small",
        "SubnetId": {"Ref": "PublicSubnet1"}, "SecurityGroupIds": [{"Fn::GetAtt": ["Ec2Sg", "GroupId"]}],
        "IamInstanceProfile": {"Ref": "ServerInstanceProfile"},
        "BlockDeviceMappings": [{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 50, "VolumeType": "gp3"}}],
        "Tags": tag("Server")}, "DependsOn": ["ServerRole"]}));
    r.insert("ServerEip".into(), json!({"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc", "InstanceId": {"Ref": "Server"}}}));
    r.insert("CDKMetadata".into(), json!({"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:H4sIAAAAAAAA/2WQ"}, "Metadata": meta(s, "CDKMetadata/Default")}));
    let (mut parameters, rules) = bootstrap();
    parameters[image] = json!({"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/aws/service/ami-windows-latest/Windows_Server-2022-Japanese-Full-Base"});
    let export = |value: Value, name: &str| json!({"Value": value, "Export": {"Name": format!("{prefix}-{name}")}});
    json!({
        "Parameters": parameters,
        "Resources": r,
        "Outputs": {
            "ExportPrivateSubnet1": export(json!({"Ref": "PrivateSubnet1"}), "PrivateSubnet1"),
            "ExportPrivateSubnet2": export(json!({"Ref": "PrivateSubnet2"}), "PrivateSubnet2"),
            "ExportLambdaSg": export(json!({"Fn::GetAtt": ["LambdaSg", "GroupId"]}), "LambdaSg"),
            "ExportGatewayPrivateIp": export(json!({"Fn::GetAtt": ["Server", "PrivateIp"]}), "GatewayPrivateIp")
        },
        "Rules": rules
    })
}
