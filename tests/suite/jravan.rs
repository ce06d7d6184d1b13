//! jravan mode against moto: the network, the gateway instance and the Lambdas in the VPC, checked
//! by reading AWS directly; a no-op redeploy; drift of a security group; mode switches that keep
//! the data; a teardown that leaves nothing behind.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{Filter, IpPermission};

use crate::harness::{sdk, TestStack};

/// The defaults, as a new user has them: no pinned installer hash (the instance checks the
/// installer's signature), the service-key parameter at its default name (the harness makes it).
pub const JRAVAN: &str = "jravan:\n  gateway:\n    python_version: 3.12.10\n";

pub async fn deploy_jravan(s: &TestStack, extra: &[&str]) -> crate::harness::Run {
    let mut args = vec![
        "deploy",
        "--yes",
        "--json",
        "--mode",
        "jravan",
        "--artifact",
        s.artifact.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    s.baken(&args).await
}

pub fn by_tag(stack: &str) -> Filter {
    Filter::builder()
        .name("tag:baken:stack")
        .values(stack)
        .build()
}

pub async fn running_instances(
    ec2: &aws_sdk_ec2::Client,
    stack: &str,
) -> Vec<aws_sdk_ec2::types::Instance> {
    let r = ec2
        .describe_instances()
        .filters(by_tag(stack))
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("running")
                .build(),
        )
        .send()
        .await
        .unwrap();
    r.reservations()
        .iter()
        .flat_map(|r| r.instances())
        .cloned()
        .collect()
}

fn name_of(tags: &[aws_sdk_ec2::types::Tag]) -> String {
    tags.iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value())
        .unwrap_or_default()
        .to_string()
}

/// `proto port peer` for each rule, peers as ids or CIDRs.
fn rules(perms: &[IpPermission]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in perms {
        let port = format!(
            "{}-{}",
            p.from_port().unwrap_or(-1),
            p.to_port().unwrap_or(-1)
        );
        let proto = p.ip_protocol().unwrap_or_default();
        for g in p.user_id_group_pairs() {
            out.insert(format!(
                "{proto} {port} {}",
                g.group_id().unwrap_or_default()
            ));
        }
        for r in p.ip_ranges() {
            out.insert(format!(
                "{proto} {port} {}",
                r.cidr_ip().unwrap_or_default()
            ));
        }
        for l in p.prefix_list_ids() {
            out.insert(format!(
                "{proto} {port} {}",
                l.prefix_list_id().unwrap_or_default()
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn jravan_deploy_builds_the_network_and_gateway_and_a_second_deploy_writes_nothing() {
    let s = TestStack::with_manifest("jrv", JRAVAN).await;
    let run = deploy_jravan(&s, &[]).await;
    run.expect_code(0);
    let config = sdk().await;
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    let iam = aws_sdk_iam::Client::new(&config);

    // VPC with DNS support and hostnames.
    let vpcs = ec2
        .describe_vpcs()
        .filters(by_tag(&s.name))
        .send()
        .await
        .unwrap();
    assert_eq!(vpcs.vpcs().len(), 1);
    let vpc = vpcs.vpcs()[0].vpc_id().unwrap().to_string();
    assert_eq!(vpcs.vpcs()[0].cidr_block(), Some("10.0.0.0/16"));
    for attr in [
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport,
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames,
    ] {
        let a = ec2
            .describe_vpc_attribute()
            .vpc_id(&vpc)
            .attribute(attr.clone())
            .send()
            .await
            .unwrap();
        let v = a
            .enable_dns_support()
            .or(a.enable_dns_hostnames())
            .and_then(|b| b.value());
        assert_eq!(v, Some(true), "{attr:?}");
    }

    // Two zones, a public and a private /24 in each.
    let subnets = ec2
        .describe_subnets()
        .filters(by_tag(&s.name))
        .send()
        .await
        .unwrap();
    let mut layout: Vec<(String, String, String)> = subnets
        .subnets()
        .iter()
        .map(|x| {
            (
                name_of(x.tags()),
                x.cidr_block().unwrap().into(),
                x.availability_zone().unwrap().into(),
            )
        })
        .collect();
    layout.sort();
    let n = |x: &str| format!("{}-{x}", s.name);
    assert_eq!(
        layout,
        vec![
            (
                n("private-1"),
                "10.0.10.0/24".into(),
                "ap-northeast-1a".into()
            ),
            (
                n("private-2"),
                "10.0.11.0/24".into(),
                "ap-northeast-1c".into()
            ),
            (
                n("public-1"),
                "10.0.0.0/24".into(),
                "ap-northeast-1a".into()
            ),
            (
                n("public-2"),
                "10.0.1.0/24".into(),
                "ap-northeast-1c".into()
            ),
        ]
    );
    let subnet_id = |name: &str| {
        subnets
            .subnets()
            .iter()
            .find(|x| name_of(x.tags()) == n(name))
            .and_then(|x| x.subnet_id())
            .unwrap()
            .to_string()
    };
    let private: BTreeSet<String> = [subnet_id("private-1"), subnet_id("private-2")].into();
    let public: BTreeSet<String> = [subnet_id("public-1"), subnet_id("public-2")].into();

    // Internet gateway attached; public table routes 0.0.0.0/0 to it; the private one has no
    // route out; no NAT gateway anywhere.
    let igws = ec2
        .describe_internet_gateways()
        .filters(by_tag(&s.name))
        .send()
        .await
        .unwrap();
    let igw = &igws.internet_gateways()[0];
    assert_eq!(igw.attachments()[0].vpc_id(), Some(vpc.as_str()));
    let tables = ec2
        .describe_route_tables()
        .filters(by_tag(&s.name))
        .send()
        .await
        .unwrap();
    let table = |name: &str| {
        tables
            .route_tables()
            .iter()
            .find(|t| name_of(t.tags()) == n(name))
            .unwrap()
    };
    let assoc = |t: &aws_sdk_ec2::types::RouteTable| -> BTreeSet<String> {
        t.associations()
            .iter()
            .filter_map(|a| a.subnet_id().map(str::to_string))
            .collect()
    };
    let public_rt = table("public-rt");
    assert_eq!(assoc(public_rt), public);
    assert!(public_rt
        .routes()
        .iter()
        .any(|r| r.destination_cidr_block() == Some("0.0.0.0/0")
            && r.gateway_id() == igw.internet_gateway_id()));
    let private_rt = table("private-rt");
    assert_eq!(assoc(private_rt), private);
    assert!(
        private_rt
            .routes()
            .iter()
            .all(|r| r.destination_cidr_block() != Some("0.0.0.0/0")),
        "the private route table has no route to the internet"
    );
    let nats = ec2
        .describe_nat_gateways()
        .filter(Filter::builder().name("vpc-id").values(&vpc).build())
        .send()
        .await
        .unwrap();
    assert!(nats.nat_gateways().is_empty());

    // The DynamoDB gateway endpoint on the private table, limited to the stack's tables.
    let eps = ec2
        .describe_vpc_endpoints()
        .filters(by_tag(&s.name))
        .send()
        .await
        .unwrap();
    let ep = &eps.vpc_endpoints()[0];
    assert_eq!(
        ep.service_name(),
        Some("com.amazonaws.ap-northeast-1.dynamodb")
    );
    assert_eq!(ep.vpc_endpoint_type().map(|t| t.as_str()), Some("Gateway"));
    assert_eq!(
        ep.route_table_ids(),
        [private_rt.route_table_id().unwrap().to_string()]
    );
    assert!(ep.policy_document().unwrap().contains(&s.table("cart")));

    // Security groups name each other; no default egress, no RDP or SSH.
    let sgs = ec2
        .describe_security_groups()
        .filters(by_tag(&s.name))
        .send()
        .await
        .unwrap();
    let sg = |name: &str| {
        sgs.security_groups()
            .iter()
            .find(|g| g.group_name() == Some(n(name).as_str()))
            .unwrap()
    };
    let (lambda_sg, gateway_sg) = (sg("lambda-sg"), sg("gateway-sg"));
    let (lambda_id, gateway_id) = (
        lambda_sg.group_id().unwrap(),
        gateway_sg.group_id().unwrap(),
    );
    let pl = ec2
        .describe_prefix_lists()
        .filters(
            Filter::builder()
                .name("prefix-list-name")
                .values("com.amazonaws.ap-northeast-1.dynamodb")
                .build(),
        )
        .send()
        .await
        .unwrap()
        .prefix_lists()[0]
        .prefix_list_id()
        .unwrap()
        .to_string();
    assert!(rules(lambda_sg.ip_permissions()).is_empty());
    assert_eq!(
        rules(lambda_sg.ip_permissions_egress()),
        BTreeSet::from([
            format!("tcp 8000-8000 {gateway_id}"),
            format!("tcp 443-443 {pl}")
        ])
    );
    assert_eq!(
        rules(gateway_sg.ip_permissions()),
        BTreeSet::from([format!("tcp 8000-8000 {lambda_id}")])
    );
    assert_eq!(
        rules(gateway_sg.ip_permissions_egress()),
        BTreeSet::from(["tcp 443-443 0.0.0.0/0".to_string()])
    );

    // The instance: pinned Windows image, t3.small, public subnet, IMDSv2, profile, 50 GB gp3
    // encrypted, user data rendered from windows-bootstrap/.
    let instances = running_instances(&ec2, &s.name).await;
    assert_eq!(instances.len(), 1);
    let i = &instances[0];
    let instance_id = i.instance_id().unwrap().to_string();
    assert_eq!(i.image_id(), Some("ami-0baken2022ja0001"));
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.small"));
    assert!(public.contains(i.subnet_id().unwrap()));
    let primary = &i.network_interfaces()[0];
    assert_eq!(primary.groups()[0].group_id(), Some(gateway_id));
    assert_eq!(primary.groups().len(), 1);
    assert_eq!(
        primary.attachment().unwrap().delete_on_termination(),
        Some(true)
    );
    assert_eq!(
        i.metadata_options()
            .and_then(|m| m.http_tokens())
            .map(|t| t.as_str()),
        Some("required")
    );
    assert!(i
        .iam_instance_profile()
        .unwrap()
        .arn()
        .unwrap()
        .ends_with(&format!("/{}", n("gateway"))));
    let vol_id = i.block_device_mappings()[0]
        .ebs()
        .unwrap()
        .volume_id()
        .unwrap();
    let vol = ec2
        .describe_volumes()
        .volume_ids(vol_id)
        .send()
        .await
        .unwrap();
    let v = &vol.volumes()[0];
    assert_eq!(
        (v.size(), v.volume_type().map(|t| t.as_str()), v.encrypted()),
        (Some(50), Some("gp3"), Some(true))
    );
    let ud = ec2
        .describe_instance_attribute()
        .instance_id(&instance_id)
        .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
        .send()
        .await
        .unwrap();
    use base64::Engine as _;
    let user_data = base64::engine::general_purpose::STANDARD
        .decode(ud.user_data().unwrap().value().unwrap())
        .unwrap();
    let user_data = String::from_utf8(user_data).unwrap();
    assert!(user_data.starts_with("<powershell>") && user_data.len() <= 16 * 1024);
    assert!(user_data.contains(&format!("{}-gateway-install", s.name)));
    assert!(!user_data.contains("{{"), "every placeholder filled");
    let private_ip = i.private_ip_address().unwrap().to_string();

    // The Elastic IP is allocated for the stack and associated with the instance.
    let addrs = ec2
        .describe_addresses()
        .filters(by_tag(&s.name))
        .send()
        .await
        .unwrap();
    assert_eq!(addrs.addresses().len(), 1);
    assert_eq!(
        addrs.addresses()[0].instance_id(),
        Some(instance_id.as_str())
    );

    // Instance role: Systems Manager core, and only its own parameters and document.
    let attached = iam
        .list_attached_role_policies()
        .role_name(n("gateway"))
        .send()
        .await
        .unwrap();
    assert!(attached
        .attached_policies()
        .iter()
        .any(|p| p.policy_arn() == Some("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")));
    let inline = iam
        .get_role_policy()
        .role_name(n("gateway"))
        .policy_name("baken-function-access")
        .send()
        .await
        .unwrap();
    let doc = baken::resource::json::decode_policy_document(inline.policy_document());
    assert!(
        doc.contains(&format!("parameter/baken/{}/jravan-service-key", s.name)),
        "{doc}"
    );
    assert!(!doc.contains("\"*\""), "no wildcard resource: {doc}");

    // The Lambdas: private subnets, Lambda security group, jravan environment.
    for f in ["get-races", "add-to-cart"] {
        let c = lambda
            .get_function_configuration()
            .function_name(s.function(f))
            .send()
            .await
            .unwrap();
        let vpc_config = c.vpc_config().unwrap();
        let subnets: BTreeSet<String> = vpc_config.subnet_ids().iter().cloned().collect();
        assert_eq!(subnets, private, "{f}");
        assert_eq!(
            vpc_config.security_group_ids(),
            [lambda_id.to_string()],
            "{f}"
        );
        let env = c.environment().unwrap().variables().unwrap();
        assert_eq!(env["RACE_DATA_PROVIDER"], "jravan");
        assert_eq!(env["JRAVAN_API_URL"], format!("http://{private_ip}:8000"));
    }

    // The outputs name the gateway's addresses.
    let outputs = &run.json()["outputs"];
    let public_ip = addrs.addresses()[0].public_ip().unwrap();
    assert_eq!(outputs["gateway_instance_id"], instance_id.as_str());
    assert_eq!(outputs["gateway_private_ip"], private_ip.as_str());
    assert_eq!(outputs["gateway_public_ip"], public_ip);
    // The same, read back later from the account by `baken output`.
    let raw = s.baken(&["output", "gateway_public_ip", "--raw"]).await;
    assert_eq!(raw.stdout.trim(), public_ip, "{}", raw.stderr);
    let raw = s.baken(&["output", "gateway_instance_id", "--raw"]).await;
    assert_eq!(raw.stdout.trim(), instance_id.as_str(), "{}", raw.stderr);

    // A second deploy: nothing to do, no write request.
    s.log.take();
    let again = deploy_jravan(&s, &[]).await;
    again.expect_code(0);
    assert_eq!(
        again.json()["plan"]["steps"].as_array().unwrap().len(),
        0,
        "{}",
        again.stdout
    );
    assert_eq!(
        s.log.writes(),
        Vec::<String>::new(),
        "a no-op jravan deploy wrote"
    );
}

async fn open_rdp(ec2: &aws_sdk_ec2::Client, stack: &str) -> String {
    let sgs = ec2
        .describe_security_groups()
        .filters(by_tag(stack))
        .send()
        .await
        .unwrap();
    let gateway_sg = sgs
        .security_groups()
        .iter()
        .find(|g| g.group_name() == Some(format!("{stack}-gateway-sg").as_str()))
        .unwrap()
        .group_id()
        .unwrap()
        .to_string();
    ec2.authorize_security_group_ingress()
        .group_id(&gateway_sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(3389)
                .to_port(3389)
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    gateway_sg
}

#[tokio::test(flavor = "multi_thread")]
async fn rdp_opened_by_hand_is_drift_that_status_names_and_deploy_removes() {
    let s = TestStack::with_manifest("jrdp", JRAVAN).await;
    deploy_jravan(&s, &[]).await.expect_code(0);
    s.baken(&["status"]).await.expect_code(0);
    let ec2 = aws_sdk_ec2::Client::new(&sdk().await);
    let gateway_sg = open_rdp(&ec2, &s.name).await;

    let status = s.baken(&["status"]).await;
    status.expect_code(2);
    assert!(
        status.stdout.contains("ingress tcp 3389 0.0.0.0/0"),
        "status names the rule:\n{}",
        status.stdout
    );
    s.log.take();
    deploy_jravan(&s, &[]).await.expect_code(0);
    // Besides the deploy lock's two UpdateItem (take, release): the one revocation.
    let writes = s.log.writes_besides_lock();
    assert_eq!(writes, vec!["RevokeSecurityGroupIngress".to_string()]);
    let g = ec2
        .describe_security_groups()
        .group_ids(&gateway_sg)
        .send()
        .await
        .unwrap();
    assert!(
        !rules(g.security_groups()[0].ip_permissions())
            .iter()
            .any(|r| r.contains("3389")),
        "the rule is gone"
    );
    s.baken(&["status"]).await.expect_code(0);
}

/// The id of the stack's VPC.
async fn stack_vpc(config: &aws_config::SdkConfig, stack: &str) -> String {
    let vpcs = aws_sdk_ec2::Client::new(config)
        .describe_vpcs()
        .filters(by_tag(stack))
        .send()
        .await
        .unwrap();
    vpcs.vpcs()[0].vpc_id().unwrap().to_string()
}

async fn put_cart(ddb: &aws_sdk_dynamodb::Client, table: &str, id: &str) {
    ddb.put_item()
        .table_name(table)
        .item(
            "cart_id",
            aws_sdk_dynamodb::types::AttributeValue::S(id.into()),
        )
        .send()
        .await
        .unwrap();
}

async fn item_exists(ddb: &aws_sdk_dynamodb::Client, table: &str, id: &str) -> bool {
    ddb.get_item()
        .table_name(table)
        .key(
            "cart_id",
            aws_sdk_dynamodb::types::AttributeValue::S(id.into()),
        )
        .send()
        .await
        .unwrap()
        .item()
        .is_some()
}

/// Nothing of the jravan mode is left: no VPC, subnet, route table, gateway, endpoint, security
/// group, network interface, address, instance, instance role or profile.
pub async fn assert_no_jravan_resources(config: &aws_config::SdkConfig, stack: &str, vpc: &str) {
    let ec2 = aws_sdk_ec2::Client::new(config);
    let iam = aws_sdk_iam::Client::new(config);
    let t = || by_tag(stack);
    assert!(
        ec2.describe_vpcs()
            .filters(t())
            .send()
            .await
            .unwrap()
            .vpcs()
            .is_empty(),
        "vpc"
    );
    assert!(
        ec2.describe_subnets()
            .filters(t())
            .send()
            .await
            .unwrap()
            .subnets()
            .is_empty(),
        "subnets"
    );
    assert!(
        ec2.describe_route_tables()
            .filters(t())
            .send()
            .await
            .unwrap()
            .route_tables()
            .is_empty(),
        "route tables"
    );
    assert!(
        ec2.describe_internet_gateways()
            .filters(t())
            .send()
            .await
            .unwrap()
            .internet_gateways()
            .is_empty(),
        "internet gateway"
    );
    let endpoints = ec2
        .describe_vpc_endpoints()
        .filters(t())
        .send()
        .await
        .unwrap();
    assert!(
        endpoints
            .vpc_endpoints()
            .iter()
            .all(|e| e.state().map(|s| s.as_str().to_ascii_lowercase()) == Some("deleted".into())),
        "endpoint"
    );
    assert!(
        ec2.describe_security_groups()
            .filters(t())
            .send()
            .await
            .unwrap()
            .security_groups()
            .is_empty(),
        "security groups"
    );
    assert!(
        ec2.describe_addresses()
            .filters(t())
            .send()
            .await
            .unwrap()
            .addresses()
            .is_empty(),
        "elastic ip"
    );
    let live = ec2
        .describe_instances()
        .filters(t())
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("pending")
                .values("running")
                .values("stopped")
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(
        live.reservations().iter().all(|r| r.instances().is_empty()),
        "instance"
    );
    // Interfaces carry no stack tag (the instance's and Lambda's are made by AWS): look in the
    // VPC the stack had.
    let enis = ec2
        .describe_network_interfaces()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send()
        .await
        .unwrap();
    assert!(
        enis.network_interfaces().is_empty(),
        "network interfaces left in {vpc}: {:?}",
        enis.network_interfaces()
    );
    let gateway = format!("{stack}-gateway");
    assert!(
        iam.get_role().role_name(&gateway).send().await.is_err(),
        "instance role"
    );
    assert!(
        iam.get_instance_profile()
            .instance_profile_name(&gateway)
            .send()
            .await
            .is_err(),
        "instance profile"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mock_to_jravan_to_mock_keeps_the_data_and_teardown_leaves_nothing() {
    let s = TestStack::with_manifest("jmode", JRAVAN).await;
    s.deploy().await.expect_code(0);
    let config = sdk().await;
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    put_cart(&ddb, &s.table("cart"), "before-jravan").await;

    let to_jravan = deploy_jravan(&s, &[]).await;
    to_jravan.expect_code(0);
    let first_vpc = stack_vpc(&config, &s.name).await;
    assert!(item_exists(&ddb, &s.table("cart"), "before-jravan").await);
    put_cart(&ddb, &s.table("cart"), "in-jravan").await;

    // The manifest says mock; a deploy without --mode would switch back silently: refused.
    let forgot = s.deploy().await;
    forgot.expect_code(1);
    assert!(forgot.stderr.contains("--mode mock"), "{}", forgot.stderr);

    s.log.take();
    let to_mock = s
        .baken(&[
            "deploy",
            "--yes",
            "--allow-data-loss",
            "--mode",
            "mock",
            "--artifact",
            s.artifact.to_str().unwrap(),
        ])
        .await;
    to_mock.expect_code(0);
    let ops = operations(&s.log);
    // Functions leave the VPC first; roles keep their VPC permissions until the interfaces are gone.
    assert_before(&ops, "UpdateFunctionConfiguration", "DeleteSecurityGroup");
    assert_before(&ops, "UpdateFunctionConfiguration", "DeleteSubnet");
    assert_before(&ops, "DeleteSubnet", "PutRolePolicy");
    assert!(item_exists(&ddb, &s.table("cart"), "before-jravan").await);
    assert!(item_exists(&ddb, &s.table("cart"), "in-jravan").await);
    let c = lambda
        .get_function_configuration()
        .function_name(s.function("get-races"))
        .send()
        .await
        .unwrap();
    assert!(
        c.vpc_config().is_none_or(|v| v.subnet_ids().is_empty()),
        "out of the VPC"
    );
    let env = c.environment().unwrap().variables().unwrap();
    assert_eq!(env["RACE_DATA_PROVIDER"], "mock");
    assert!(!env.contains_key("JRAVAN_API_URL"));
    assert_no_jravan_resources(&config, &s.name, &first_vpc).await;
    s.baken(&["status"]).await.expect_code(0);

    // Back to jravan, then a teardown from there removes everything, in the order AWS needs.
    deploy_jravan(&s, &[]).await.expect_code(0);
    let second_vpc = stack_vpc(&config, &s.name).await;
    s.log.take();
    s.baken(&["teardown", "--yes", "--allow-data-loss"])
        .await
        .expect_code(0);
    assert_no_jravan_resources(&config, &s.name, &second_vpc).await;
    assert_removal_order(&operations(&s.log));
    assert!(lambda
        .get_function()
        .function_name(s.function("get-races"))
        .send()
        .await
        .is_err());
    let second = s.baken(&["teardown", "--yes", "--allow-data-loss"]).await;
    second.expect_code(0);
}

/// The operations that passed the proxy, Lambda's REST calls named like the others.
fn operations(log: &crate::proxy::Log) -> Vec<String> {
    log.take()
        .into_iter()
        .map(|x| {
            let op = x.operation;
            if op.starts_with("PUT /2015-03-31/functions/") && op.ends_with("/configuration") {
                "UpdateFunctionConfiguration".into()
            } else if op.starts_with("DELETE /2015-03-31/functions/") && !op.contains("/policy") {
                "DeleteFunction".into()
            } else {
                op
            }
        })
        .collect()
}

/// Every `a` in `ops` comes before any `b`.
#[track_caller]
fn assert_before(ops: &[String], a: &str, b: &str) {
    let last_a = ops.iter().rposition(|o| o == a);
    let first_b = ops.iter().position(|o| o == b);
    match (last_a, first_b) {
        (Some(x), Some(y)) => assert!(x < y, "every {a} before any {b}: {ops:?}"),
        _ => panic!("{a} and {b} in {ops:?}"),
    }
}

/// The order of a jravan teardown's writes, as the proxy saw them: what uses something goes
/// before it (moto would accept any order, so the order itself is checked). Only operations of
/// different plan levels are compared: resources of one kind are removed concurrently (the two
/// route tables' disassociations interleave with each other's deletes).
fn assert_removal_order(ops: &[String]) {
    let before = |a: &str, b: &str| assert_before(ops, a, b);
    before("UpdateFunctionConfiguration", "DeleteSecurityGroup");
    before("DeleteFunction", "DeleteSecurityGroup");
    before("DeleteFunction", "DeleteSubnet");
    before("ReleaseAddress", "TerminateInstances");
    before("TerminateInstances", "DeleteSecurityGroup");
    before("TerminateInstances", "DeleteSubnet");
    before("RevokeSecurityGroupIngress", "DeleteSecurityGroup");
    before("RevokeSecurityGroupEgress", "DeleteSecurityGroup");
    before("DeleteVpcEndpoints", "DeleteRouteTable");
    before("DeleteSubnet", "DeleteVpc");
    before("DetachInternetGateway", "DeleteInternetGateway");
    before("DeleteInternetGateway", "DeleteVpc");
    before("DeleteSecurityGroup", "DeleteVpc");
    before("DeleteVpc", "DeleteRole");
    before("DeleteInstanceProfile", "DeleteRole");
}

/// A copy of windows-bootstrap/ the test may change.
fn bootstrap_copy(dir: &std::path::Path) -> std::path::PathBuf {
    let to = dir.join("windows-bootstrap");
    let from = crate::harness::checkout().join("windows-bootstrap");
    for rel in [
        "user-data.ps1",
        "install-gateway.ps1",
        "gateway/requirements.lock",
    ] {
        std::fs::create_dir_all(to.join(rel).parent().unwrap()).unwrap();
        std::fs::copy(from.join(rel), to.join(rel)).unwrap();
    }
    std::fs::create_dir_all(to.join("gateway/baken_gateway")).unwrap();
    for e in std::fs::read_dir(from.join("gateway/baken_gateway")).unwrap() {
        let e = e.unwrap();
        if e.file_name().to_string_lossy().ends_with(".py") {
            std::fs::copy(
                e.path(),
                to.join("gateway/baken_gateway").join(e.file_name()),
            )
            .unwrap();
        }
    }
    to
}

#[tokio::test(flavor = "multi_thread")]
async fn gateway_code_changes_are_installed_in_place_and_user_data_changes_need_a_flag() {
    let s = TestStack::with_manifest("jcode", "").await;
    let copy = bootstrap_copy(s.dir.path());
    s.set_manifest(&format!("{JRAVAN}    source: {}\n", copy.display()));
    deploy_jravan(&s, &[]).await.expect_code(0);
    let ec2 = aws_sdk_ec2::Client::new(&sdk().await);
    let instance_ids = || async {
        running_instances(&ec2, &s.name)
            .await
            .iter()
            .map(|i| {
                (
                    i.instance_id().unwrap().to_string(),
                    i.private_ip_address().unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = instance_ids().await;

    // Only the gateway code changes: the document gets a new version and Run Command installs it
    // on the same instance.
    let app = copy.join("gateway/baken_gateway/app.py");
    let mut text = std::fs::read_to_string(&app).unwrap();
    text.push_str("\n# a change of the gateway code\n");
    std::fs::write(&app, text).unwrap();
    s.log.take();
    let code = deploy_jravan(&s, &[]).await;
    code.expect_code(0);
    let writes = s.log.writes();
    assert!(writes.contains(&"UpdateDocument".to_string()), "{writes:?}");
    assert!(writes.contains(&"SendCommand".to_string()), "{writes:?}");
    assert!(
        !writes
            .iter()
            .any(|w| w == "RunInstances" || w == "TerminateInstances"),
        "{writes:?}"
    );
    assert_eq!(instance_ids().await, before, "the same instance");
    s.log.take();
    deploy_jravan(&s, &[]).await.expect_code(0);
    assert_eq!(
        s.log.writes(),
        Vec::<String>::new(),
        "the installed code is recorded"
    );

    // The user data changes: the plan shows a replacement and deploy refuses without the flag.
    let ud = copy.join("user-data.ps1");
    let text = std::fs::read_to_string(&ud)
        .unwrap()
        .replace("Write-Step 'complete'", "Write-Step 'complete' ");
    assert!(text.contains("Write-Step 'complete' "), "the edit took");
    std::fs::write(&ud, text).unwrap();
    let plan = s
        .baken(&["plan", "--mode", "jravan", "--json", "--no-build"])
        .await;
    plan.expect_code(2);
    let steps = plan.json()["plan"]["steps"].clone();
    let replace = steps
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["resource"]["kind"] == "instance")
        .unwrap_or_else(|| panic!("{steps}"));
    assert_eq!(replace["action"], "replace");
    assert!(replace["reason"]
        .as_str()
        .unwrap()
        .contains("user_data_sha256"));
    let text = s.baken(&["plan", "--mode", "jravan", "--no-build"]).await;
    assert!(
        text.stdout.contains("-/+ replace instance") && text.stdout.contains("--replace-instance"),
        "{}",
        text.stdout
    );
    s.log.take();
    let refused = deploy_jravan(&s, &[]).await;
    refused.expect_code(1);
    // Under --json the refusal is a JSON error on stdout, the flag named in its hint.
    let error = &refused.json()["error"];
    assert_eq!(error["code"], "refused", "{}", refused.stdout);
    assert!(
        error["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("--replace-instance"),
        "{}",
        refused.stdout
    );
    assert_eq!(s.log.writes(), Vec::<String>::new(), "nothing was changed");

    // With the flag: a new instance, the Elastic IP and the functions follow it.
    deploy_jravan(&s, &["--replace-instance"])
        .await
        .expect_code(0);
    let after = instance_ids().await;
    assert_eq!(after.len(), 1);
    assert_ne!(after, before);
    let addrs = ec2
        .describe_addresses()
        .filters(by_tag(&s.name))
        .send()
        .await
        .unwrap();
    assert_eq!(
        addrs.addresses()[0].instance_id(),
        Some(after[0].0.as_str())
    );
    let lambda = aws_sdk_lambda::Client::new(&sdk().await);
    let c = lambda
        .get_function_configuration()
        .function_name(s.function("get-races"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.environment().unwrap().variables().unwrap()["JRAVAN_API_URL"],
        format!("http://{}:8000", after[0].1)
    );
    s.baken(&["status"]).await.expect_code(0);
}
