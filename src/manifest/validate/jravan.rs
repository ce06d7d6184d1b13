//! The `jravan:` section: the network's blocks, the instance, its schedule and the gateway.

use std::net::Ipv4Addr;

use super::{Checker, Cidr};
use crate::manifest::raw::{RawEndpointSubnets, RawJravan};
use crate::model::{EndpointSubnets, GatewaySchedule, Jravan};

pub(super) fn resolve_jravan(c: &mut Checker, raw: RawJravan, stack: &str) -> Jravan {
    let n = raw.network;
    let vpc_cidr = n.vpc_cidr.unwrap_or_else(|| "10.0.0.0/16".into());
    let vpc = Cidr::parse(&vpc_cidr);
    match vpc {
        None => c.problem(
            "jravan.network.vpc_cidr",
            format!("`{vpc_cidr}` is not an IPv4 CIDR block like 10.0.0.0/16 (no host bits set)"),
        ),
        Some(v) if !(16..=28).contains(&v.prefix) => c.problem(
            "jravan.network.vpc_cidr",
            format!("a VPC block must be between /16 and /28, got /{}", v.prefix),
        ),
        _ => {}
    }
    let (az_count, az_key) = match (&n.availability_zones, n.az_count) {
        (Some(azs), _) => (azs.len() as i64, "jravan.network.availability_zones"),
        (None, Some(k)) => (k, "jravan.network.az_count"),
        (None, None) => (2, "jravan.network.az_count"),
    };
    if !(1..=4).contains(&az_count) {
        c.problem(
            az_key,
            format!("between 1 and 4 availability zones are supported, got {az_count}"),
        );
    }
    let az_count = az_count.clamp(1, 4) as usize;
    let default_subnets = |offset: u32| -> Vec<String> {
        (0..az_count as u32)
            .map(|i| {
                let base = vpc.map(|v| v.addr).unwrap_or(0x0a00_0000);
                Ipv4Addr::from(base + ((offset + i) << 8)).to_string() + "/24"
            })
            .collect()
    };
    let public_subnets = n.public_subnets.unwrap_or_else(|| default_subnets(0));
    let private_subnets = n.private_subnets.unwrap_or_else(|| default_subnets(10));
    let bedrock_endpoint = match n.bedrock_endpoint {
        Some(RawEndpointSubnets::OneSubnet) => EndpointSubnets::One,
        Some(RawEndpointSubnets::EverySubnet) | None => EndpointSubnets::Every,
    };
    let mut seen: Vec<(String, Cidr)> = Vec::new();
    for (kind, list) in [
        ("public_subnets", &public_subnets),
        ("private_subnets", &private_subnets),
    ] {
        if list.len() != az_count {
            c.problem(
                &format!("jravan.network.{kind}"),
                format!(
                    "one subnet per availability zone is needed: {az_count}, got {}",
                    list.len()
                ),
            );
        }
        for (i, s) in list.iter().enumerate() {
            let key = format!("jravan.network.{kind}.{i}");
            match Cidr::parse(s) {
                None => c.problem(
                    &key,
                    format!("`{s}` is not an IPv4 CIDR block like 10.0.1.0/24"),
                ),
                Some(sub) => {
                    if let Some(v) = vpc {
                        if !v.contains(&sub) {
                            c.problem(
                                &key,
                                format!("subnet `{s}` is outside the VPC block `{vpc_cidr}`"),
                            );
                        }
                    }
                    if !(16..=28).contains(&sub.prefix) {
                        c.problem(
                            &key,
                            format!("a subnet must be between /16 and /28, got /{}", sub.prefix),
                        );
                    }
                    if let Some((other, _)) = seen.iter().find(|(_, o)| o.overlaps(&sub)) {
                        c.problem(&key, format!("subnet `{s}` overlaps `{other}`"));
                    }
                    seen.push((s.clone(), sub));
                }
            }
        }
    }
    let i = raw.instance;
    let instance_type = i.instance_type.unwrap_or_else(|| "t3.small".into());
    if !instance_type.contains('.') || instance_type.contains(char::is_whitespace) {
        c.problem(
            "jravan.instance.type",
            format!("`{instance_type}` is not an EC2 instance type like t3.small"),
        );
    }
    // Windows Server needs at least 30 GB; gp3 volumes end at 16 TiB.
    let disk_gb = c.int_in(
        "jravan.instance.disk_gb",
        i.disk_gb,
        50,
        30,
        16384,
        "the root volume size (GB)",
    ) as i32;
    if let Some(ami) = &i.ami {
        if !ami.starts_with("ami-") {
            c.problem(
                "jravan.instance.ami",
                format!("`{ami}` is not an AMI id (ami-...)"),
            );
        }
    }
    let schedule = resolve_schedule(c, i.schedule);
    let gateway_port = c.int_in(
        "jravan.gateway.port",
        raw.gateway.port,
        8000,
        1024,
        65535,
        "the gateway port",
    ) as u16;
    let service_key_parameter = raw
        .gateway
        .service_key_parameter
        .unwrap_or_else(|| format!("/baken/{stack}/jravan-service-key"));
    if !service_key_parameter.starts_with('/') {
        c.problem(
            "jravan.gateway.service_key_parameter",
            "a Systems Manager parameter path starts with `/`",
        );
    }
    let python_version = raw
        .gateway
        .python_version
        .unwrap_or_else(|| DEFAULT_PYTHON_VERSION.to_string());
    let parts: Vec<&str> = python_version.split('.').collect();
    if parts.len() != 3 || parts.iter().any(|p| p.parse::<u32>().is_err()) {
        c.problem(
            "jravan.gateway.python_version",
            format!("`{python_version}` is not a CPython release like 3.12.10"),
        );
    }
    let python_sha256 = raw.gateway.python_sha256.map(|h| h.to_ascii_lowercase());
    if let Some(h) = &python_sha256 {
        if h.len() != 64 || !h.chars().all(|ch| ch.is_ascii_hexdigit()) {
            c.problem(
                "jravan.gateway.python_sha256",
                "a SHA-256 is 64 hexadecimal digits (python.org lists it next to the installer)",
            );
        }
    }
    Jravan {
        vpc_cidr,
        availability_zones: n.availability_zones,
        az_count,
        public_subnets,
        private_subnets,
        instance_type,
        disk_gb,
        ami: i.ami,
        key_pair: i.key_pair,
        gateway_port,
        service_key_parameter,
        python_version,
        python_sha256,
        gateway_source: raw.gateway.source,
        bedrock_endpoint,
        schedule,
    }
}

/// `jravan.instance.schedule`: `always` (None), the `race-days` preset, or explicit start and
/// stop expressions in a time zone, checked as EventBridge Scheduler and the functions read them.
fn resolve_schedule(c: &mut Checker, raw: Option<serde_yaml::Value>) -> Option<GatewaySchedule> {
    use crate::model::schedule::{self, Schedule};
    use serde_yaml::Value;
    const KEY: &str = "jravan.instance.schedule";
    let usage =
        "`always`, `race-days`, or `{start: cron(...), stop: cron(...), timezone: Asia/Tokyo}`";
    let (preset, start, stop, time_zone) = match raw? {
        Value::String(s) if s == "always" => return None,
        Value::String(s) if s == "race-days" => (
            Some("race-days"),
            schedule::RACE_DAYS_START.to_string(),
            schedule::RACE_DAYS_STOP.to_string(),
            "Asia/Tokyo".to_string(),
        ),
        Value::Mapping(m) => {
            let text = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
            if let Some(k) = m
                .keys()
                .filter_map(Value::as_str)
                .find(|k| !["start", "stop", "timezone"].contains(k))
            {
                c.problem(KEY, format!("unknown key `{k}`: use {usage}"));
                return None;
            }
            match (text("start"), text("stop")) {
                (Some(a), Some(b)) => (
                    None,
                    a,
                    b,
                    text("timezone").unwrap_or_else(|| "Asia/Tokyo".into()),
                ),
                _ => {
                    c.problem(
                        KEY,
                        format!("an explicit schedule needs `start` and `stop`: {usage}"),
                    );
                    return None;
                }
            }
        }
        other => {
            c.problem(
                KEY,
                format!(
                    "`{}` is not a schedule: use {usage}",
                    serde_yaml::to_string(&other).unwrap_or_default().trim()
                ),
            );
            return None;
        }
    };
    match Schedule::parse(&start, &stop, &time_zone) {
        Ok(_) => Some(GatewaySchedule {
            preset,
            start,
            stop,
            time_zone,
        }),
        Err(e) => {
            c.problem(KEY, e.to_string());
            None
        }
    }
}

/// The 32-bit CPython the gateway instance installs. The gateway's wheels are locked for 3.12.
const DEFAULT_PYTHON_VERSION: &str = "3.12.10";
