//! jravan mode against moto: the network, the gateway instance and the Lambdas in the VPC, checked
//! by reading AWS directly; a no-op redeploy; drift of a security group; mode switches that keep
//! the data; a teardown that leaves nothing behind.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::{Filter, IpPermission};

use crate::harness::{sdk, TestStack};

/// Any 64 hex digits: moto never downloads the installer.
pub const JRAVAN: &str = "jravan:\n  gateway:\n    python_sha256: 6f0e6a6ad8b9b1f1ac8d1d8f3e1c9a7b5d4c3b2a1908f7e6d5c4b3a29180f7e6\n";

pub async fn deploy_jravan(s: &TestStack, extra: &[&str]) -> crate::harness::Run {
    let mut args = vec!["deploy", "--yes", "--json", "--mode", "jravan", "--artifact", s.artifact.to_str().unwrap()];
    args.extend_from_slice(extra);
    s.baken(&args).await
}

fn by_tag(stack: &str) -> Filter {
    Filter::builder().name("tag:baken:stack").values(stack).build()
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
        let port = format!("{}-{}", p.from_port().unwrap_or(-1), p.to_port().unwrap_or(-1));
        let proto = p.ip_protocol().unwrap_or_default();
        for g in p.user_id_group_pairs() {
            out.insert(format!("{proto} {port} {}", g.group_id().unwrap_or_default()));
        }
        for r in p.ip_ranges() {
            out.insert(format!("{proto} {port} {}", r.cidr_ip().unwrap_or_default()));
        }
        for l in p.prefix_list_ids() {
            out.insert(format!("{proto} {port} {}", l.prefix_list_id().unwrap_or_default()));
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
    let vpcs = ec2.describe_vpcs().filters(by_tag(&s.name)).send().await.unwrap();
    assert_eq!(vpcs.vpcs().len(), 1);
    let vpc = vpcs.vpcs()[0].vpc_id().unwrap().to_string();
    assert_eq!(vpcs.vpcs()[0].cidr_block(), Some("10.0.0.0/16"));
    for attr in [
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsSupport,
        aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames,
    ] {
        let a = ec2.describe_vpc_attribute().vpc_id(&vpc).attribute(attr.clone()).send().await.unwrap();
        let v = a.enable_dns_support().or(a.enable_dns_hostnames()).and_then(|b| b.value());
        assert_eq!(v, Some(true), "{attr:?}");
    }

    // Two zones, a public and a private /24 in each.
    let subnets = ec2.describe_subnets().filters(by_tag(&s.name)).send().await.unwrap();
    let mut layout: Vec<(String, String, String)> = subnets
        .subnets()
        .iter()
        .map(|x| (name_of(x.tags()), x.cidr_block().unwrap().into(), x.availability_zone().unwrap().into()))
        .collect();
    layout.sort();
    let n = |x: &str| format!("{}-{x}", s.name);
    assert_eq!(
        layout,
        vec![
            (n("private-1"), "10.0.10.0/24".into(), "ap-northeast-1a".into()),
            (n("private-2"), "10.0.11.0/24".into(), "ap-northeast-1c".into()),
            (n("public-1"), "10.0.0.0/24".into(), "ap-northeast-1a".into()),
            (n("public-2"), "10.0.1.0/24".into(), "ap-northeast-1c".into()),
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
    let igws = ec2.describe_internet_gateways().filters(by_tag(&s.name)).send().await.unwrap();
    let igw = &igws.internet_gateways()[0];
    assert_eq!(igw.attachments()[0].vpc_id(), Some(vpc.as_str()));
    let tables = ec2.describe_route_tables().filters(by_tag(&s.name)).send().await.unwrap();
    let table = |name: &str| tables.route_tables().iter().find(|t| name_of(t.tags()) == n(name)).unwrap();
    let assoc = |t: &aws_sdk_ec2::types::RouteTable| -> BTreeSet<String> {
        t.associations().iter().filter_map(|a| a.subnet_id().map(str::to_string)).collect()
    };
    let public_rt = table("public-rt");
    assert_eq!(assoc(public_rt), public);
    assert!(public_rt.routes().iter().any(|r| r.destination_cidr_block() == Some("0.0.0.0/0")
        && r.gateway_id() == igw.internet_gateway_id()));
    let private_rt = table("private-rt");
    assert_eq!(assoc(private_rt), private);
    assert!(
        private_rt.routes().iter().all(|r| r.destination_cidr_block() != Some("0.0.0.0/0")),
        "the private route table has no route to the internet"
    );
    let nats = ec2.describe_nat_gateways().filter(Filter::builder().name("vpc-id").values(&vpc).build()).send().await.unwrap();
    assert!(nats.nat_gateways().is_empty());

    // The DynamoDB gateway endpoint on the private table, limited to the stack's tables.
    let eps = ec2.describe_vpc_endpoints().filters(by_tag(&s.name)).send().await.unwrap();
    let ep = &eps.vpc_endpoints()[0];
    assert_eq!(ep.service_name(), Some("com.amazonaws.ap-northeast-1.dynamodb"));
    assert_eq!(ep.vpc_endpoint_type().map(|t| t.as_str()), Some("Gateway"));
    assert_eq!(ep.route_table_ids(), [private_rt.route_table_id().unwrap().to_string()]);
    assert!(ep.policy_document().unwrap().contains(&s.table("cart")));

    // Security groups name each other; no default egress, no RDP or SSH.
    let sgs = ec2.describe_security_groups().filters(by_tag(&s.name)).send().await.unwrap();
    let sg = |name: &str| sgs.security_groups().iter().find(|g| g.group_name() == Some(n(name).as_str())).unwrap();
    let (lambda_sg, gateway_sg) = (sg("lambda-sg"), sg("gateway-sg"));
    let (lambda_id, gateway_id) = (lambda_sg.group_id().unwrap(), gateway_sg.group_id().unwrap());
    let pl = ec2
        .describe_prefix_lists()
        .filters(Filter::builder().name("prefix-list-name").values("com.amazonaws.ap-northeast-1.dynamodb").build())
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
        BTreeSet::from([format!("tcp 8000-8000 {gateway_id}"), format!("tcp 443-443 {pl}")])
    );
    assert_eq!(rules(gateway_sg.ip_permissions()), BTreeSet::from([format!("tcp 8000-8000 {lambda_id}")]));
    assert_eq!(rules(gateway_sg.ip_permissions_egress()), BTreeSet::from(["tcp 443-443 0.0.0.0/0".to_string()]));

    // The instance: pinned Windows image, t3.small, public subnet, IMDSv2, profile, 50 GB gp3
    // encrypted, user data rendered from windows-bootstrap/.
    let reservations = ec2
        .describe_instances()
        .filters(by_tag(&s.name))
        .filters(Filter::builder().name("instance-state-name").values("running").build())
        .send()
        .await
        .unwrap();
    let instances: Vec<_> = reservations.reservations().iter().flat_map(|r| r.instances()).collect();
    assert_eq!(instances.len(), 1);
    let i = instances[0];
    let instance_id = i.instance_id().unwrap().to_string();
    assert_eq!(i.image_id(), Some("ami-0baken2022ja0001"));
    assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.small"));
    assert!(public.contains(i.subnet_id().unwrap()));
    assert_eq!(i.security_groups()[0].group_id(), Some(gateway_id));
    assert_eq!(i.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str()), Some("required"));
    assert!(i.iam_instance_profile().unwrap().arn().unwrap().ends_with(&format!("/{}", n("gateway"))));
    let vol_id = i.block_device_mappings()[0].ebs().unwrap().volume_id().unwrap();
    let vol = ec2.describe_volumes().volume_ids(vol_id).send().await.unwrap();
    let v = &vol.volumes()[0];
    assert_eq!((v.size(), v.volume_type().map(|t| t.as_str()), v.encrypted()), (Some(50), Some("gp3"), Some(true)));
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
    let addrs = ec2.describe_addresses().filters(by_tag(&s.name)).send().await.unwrap();
    assert_eq!(addrs.addresses().len(), 1);
    assert_eq!(addrs.addresses()[0].instance_id(), Some(instance_id.as_str()));

    // Instance role: Systems Manager core, and only its own parameters and document.
    let attached = iam.list_attached_role_policies().role_name(n("gateway")).send().await.unwrap();
    assert!(attached.attached_policies().iter().any(|p| p.policy_arn() == Some("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")));
    let inline = iam.get_role_policy().role_name(n("gateway")).policy_name("baken-function-access").send().await.unwrap();
    let doc = baken::live::decode_policy_document(inline.policy_document());
    assert!(doc.contains(&format!("parameter/baken/{}/jravan-service-key", s.name)), "{doc}");
    assert!(!doc.contains("\"*\""), "no wildcard resource: {doc}");

    // The Lambdas: private subnets, Lambda security group, jravan environment.
    for f in ["get-races", "add-to-cart"] {
        let c = lambda.get_function_configuration().function_name(s.function(f)).send().await.unwrap();
        let vpc_config = c.vpc_config().unwrap();
        let subnets: BTreeSet<String> = vpc_config.subnet_ids().iter().cloned().collect();
        assert_eq!(subnets, private, "{f}");
        assert_eq!(vpc_config.security_group_ids(), [lambda_id.to_string()], "{f}");
        let env = c.environment().unwrap().variables().unwrap();
        assert_eq!(env["RACE_DATA_PROVIDER"], "jravan");
        assert_eq!(env["JRAVAN_API_URL"], format!("http://{private_ip}:8000"));
    }

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
    assert_eq!(s.log.writes(), Vec::<String>::new(), "a no-op jravan deploy wrote");
}
