//! The arithmetic: one line per billed item, totals for running 24/7 and for the gateway
//! instance running on race days only. Free tier, data transfer and taxes are left out.

use serde::Serialize;

use super::prices::{Assumptions, PriceList, RegionPrices};
use super::CostError;
use crate::desired::alerts::alarm_count;
use crate::model::{EndpointSubnets, Mode, Stack};

/// The year a schedule's weekly hours are averaged over: from Monday 2026-12-07 (a fixed
/// moment, so an estimate does not change with the day it is made).
const SCHEDULE_FROM: i64 = 1_796_601_600;

/// 2^30 bytes: CloudWatch bills log data by the GB.
const GB: f64 = 1_073_741_824.0;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub item: String,
    pub quantity: f64,
    pub unit: String,
    pub unit_usd: f64,
    pub monthly_usd: f64,
    /// Billed by the hour the gateway instance runs (what a race-day schedule saves).
    pub instance_hours: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RaceDays {
    pub instance_hours: f64,
    pub total_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    pub region: String,
    pub mode: Mode,
    pub requests_per_month: u64,
    pub prices_recorded: String,
    pub assumptions: Assumptions,
    pub lines: Vec<Line>,
    /// The month as configured: everything running all month, the gateway instance for the
    /// hours its schedule runs it.
    pub total_usd: f64,
    /// jravan mode with `jravan.instance.schedule`: `race-days` or `custom`.
    pub gateway_schedule: Option<String>,
    /// jravan mode without a schedule: the instance running on race days only, for comparison
    /// (disk and address still billed).
    pub race_days: Option<RaceDays>,
}

pub fn estimate(
    stack: &Stack,
    mode: Mode,
    requests_per_month: u64,
    list: &PriceList,
) -> Result<Estimate, CostError> {
    let p = list.region(&stack.region)?;
    let a = &list.assumptions;
    let mut lines = Vec::new();
    if mode == Mode::Jravan {
        lines.extend(gateway_lines(stack, p, a)?);
    }
    lines.extend(usage_lines(stack, p, a, requests_per_month as f64)?);
    lines.extend(alert_lines(stack, mode, p));
    let total_usd = lines.iter().map(|l| l.monthly_usd).sum();
    let gateway_schedule = match (mode, &stack.jravan.schedule) {
        (Mode::Jravan, Some(s)) => Some(s.preset.unwrap_or("custom").to_string()),
        _ => None,
    };
    let race_days = (mode == Mode::Jravan && gateway_schedule.is_none()).then(|| {
        let hours = a.hours_per_month * a.race_days_per_week / 7.0;
        let total = lines
            .iter()
            .map(|l| {
                if l.instance_hours {
                    hours * l.unit_usd
                } else {
                    l.monthly_usd
                }
            })
            .sum();
        RaceDays {
            instance_hours: hours,
            total_usd: total,
        }
    });
    Ok(Estimate {
        region: stack.region.clone(),
        mode,
        requests_per_month,
        prices_recorded: p.recorded.clone(),
        assumptions: a.clone(),
        lines,
        total_usd,
        gateway_schedule,
        race_days,
    })
}

fn line(item: String, quantity: f64, unit: &str, unit_usd: f64) -> Line {
    Line {
        item,
        quantity,
        unit: unit.to_string(),
        unit_usd,
        monthly_usd: quantity * unit_usd,
        instance_hours: false,
    }
}

/// What jravan mode adds: the Windows instance, its disk, its Elastic IP, the DynamoDB endpoint,
/// and for the bedrock advisor the bedrock-runtime endpoint in one zone or each.
fn gateway_lines(stack: &Stack, p: &RegionPrices, a: &Assumptions) -> Result<Vec<Line>, CostError> {
    let j = &stack.jravan;
    let hourly =
        p.instance_hour_windows
            .get(&j.instance_type, "Windows instance type", &stack.region)?;
    let disk = p.ebs_gb_month.get("gp3", "volume type", &stack.region)?;
    // With a schedule, the hours it runs: its weekly hours over a year's weeks, as a month.
    let (hours, running) = match &j.schedule {
        None => (a.hours_per_month, "24/7".to_string()),
        Some(s) => {
            let weekly = s.read().hours_per_week(SCHEDULE_FROM);
            (
                weekly * a.hours_per_month / 168.0,
                format!(
                    "{}, {weekly:.0} h a week",
                    s.preset.unwrap_or("custom schedule")
                ),
            )
        }
    };
    let mut instance = line(
        format!(
            "EC2 {} Windows (gateway instance, {running})",
            j.instance_type
        ),
        hours,
        "hour",
        hourly,
    );
    instance.instance_hours = true;
    let mut bedrock = Vec::new();
    if stack.handlers.calls_bedrock() {
        let zones = match j.bedrock_endpoint {
            EndpointSubnets::Every => j.az_count,
            EndpointSubnets::One => 1,
        };
        bedrock.push(line(
            format!("Bedrock runtime interface endpoint, {zones} zone(s)"),
            a.hours_per_month * zones as f64,
            "zone-hour",
            p.interface_endpoint_zone_hour.usd,
        ));
    }
    let lines = vec![
        instance,
        line(
            format!("EBS gp3 root volume, {} GB", j.disk_gb),
            f64::from(j.disk_gb),
            "GB-month",
            disk,
        ),
        line(
            "Public IPv4 address (Elastic IP)".into(),
            a.hours_per_month,
            "hour",
            p.public_ipv4_hour.usd,
        ),
        line(
            "DynamoDB gateway endpoint".into(),
            a.hours_per_month,
            "hour",
            p.gateway_endpoint_hour.usd,
        ),
    ];
    Ok(lines.into_iter().chain(bedrock).collect())
}

/// With `alerts`: the alarms, and in jravan mode the heartbeat metric. SNS email deliveries of
/// alarms stay within SNS's free 1,000 a month and are left out.
fn alert_lines(stack: &Stack, mode: Mode, p: &RegionPrices) -> Vec<Line> {
    let (alarms, heartbeat) = alarm_count(stack, mode);
    let mut out = Vec::new();
    if alarms > 0 {
        out.push(line(
            "CloudWatch alarms".into(),
            alarms as f64,
            "alarm-month",
            p.alarm_month.usd,
        ));
    }
    if heartbeat {
        out.push(line(
            "CloudWatch custom metric (gateway heartbeat)".into(),
            1.0,
            "metric-month",
            p.custom_metric_month.usd,
        ));
    }
    out
}

/// Per-request prices, the requests spread evenly over the functions.
fn usage_lines(
    stack: &Stack,
    p: &RegionPrices,
    a: &Assumptions,
    requests: f64,
) -> Result<Vec<Line>, CostError> {
    let millions = requests / 1e6;
    let per_function = requests / stack.functions.len().max(1) as f64;
    let mut gb_seconds = 0.0;
    let mut duration_usd = 0.0;
    for f in &stack.functions {
        let price = p.lambda_gb_second.get(
            f.architecture.as_str(),
            "Lambda architecture",
            &stack.region,
        )?;
        let gbs = per_function * a.lambda_ms_per_request / 1000.0 * f64::from(f.memory_mb) / 1024.0;
        gb_seconds += gbs;
        duration_usd += gbs * price;
    }
    let mut duration = line(
        format!("Lambda duration, {} ms a request", a.lambda_ms_per_request),
        gb_seconds,
        "GB-second",
        0.0,
    );
    // Mixed architectures have no single unit price: the line carries the mean.
    duration.unit_usd = if gb_seconds > 0.0 {
        duration_usd / gb_seconds
    } else {
        0.0
    };
    duration.monthly_usd = duration_usd;
    Ok(vec![
        line(
            "Lambda requests".into(),
            millions,
            "million requests",
            p.lambda_million_requests.usd,
        ),
        duration,
        line(
            "API Gateway REST requests".into(),
            millions,
            "million requests",
            p.rest_api_million_requests.usd,
        ),
        line(
            "DynamoDB on-demand reads".into(),
            millions * a.dynamodb_reads_per_request,
            "million read units",
            p.dynamodb_million_reads.usd,
        ),
        line(
            "DynamoDB on-demand writes".into(),
            millions * a.dynamodb_writes_per_request,
            "million write units",
            p.dynamodb_million_writes.usd,
        ),
        line(
            "CloudWatch Logs ingestion".into(),
            requests * a.log_bytes_per_request / GB,
            "GB",
            p.logs_ingested_gb.usd,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stack(extra: &str) -> Stack {
        crate::manifest::parse(
            std::path::Path::new("m.yaml"),
            &format!("stack: t\n{extra}"),
        )
        .unwrap()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    /// Worked by hand from src/cost/prices.yaml for the default manifest, 1,000,000 requests:
    /// instance 730 h × 0.0456 = 33.288; disk 50 × 0.096 = 4.80; IPv4 730 × 0.005 = 3.65;
    /// endpoint 0; Lambda requests 1 × 0.20 = 0.20; duration 1e6 × 0.1 s × 0.125 GB = 12,500
    /// GB-s × 0.0000166667 = 0.20833375; REST 1 × 4.25; reads 0.1427; writes 0.7135; logs
    /// 1e6 × 1024 B = 0.95367431640625 GB × 0.76 = 0.7247924804688.
    /// Sum: 47.9773262304688. Race days: 730 × 2 / 7 = 208.571428571 h × 0.0456 = 9.510857143,
    /// so 47.9773262304688 − 33.288 + 9.510857143 = 24.2001833733.
    #[test]
    fn jravan_at_a_million_requests_matches_the_hand_computed_bill() {
        let e = estimate(&stack(""), Mode::Jravan, 1_000_000, &PriceList::builtin()).unwrap();
        assert!(close(e.total_usd, 47.9773262304688), "{}", e.total_usd);
        let race = e.race_days.unwrap();
        assert!(
            close(race.instance_hours, 208.571428571),
            "{}",
            race.instance_hours
        );
        assert!(close(race.total_usd, 24.2001833733), "{}", race.total_usd);
        let instance = &e.lines[0];
        assert!(close(instance.monthly_usd, 33.288));
        assert!(instance.instance_hours);
    }

    /// The bedrock-runtime endpoint: 730 h × 2 zones × 0.014 = 20.44 a month, 10.22 in one zone;
    /// not an instance-hour cost, so race days keep it.
    #[test]
    fn the_bedrock_endpoint_is_priced_per_zone_and_runs_all_month() {
        let bedrock = "handlers:\n  advisor: bedrock\n  bedrock_model_id: m\n";
        let plain = estimate(&stack(""), Mode::Jravan, 0, &PriceList::builtin()).unwrap();
        for (extra, added) in [
            (String::new(), 20.44),
            (
                "jravan:\n  network:\n    bedrock_endpoint: one-subnet\n".to_string(),
                10.22,
            ),
        ] {
            let e = estimate(
                &stack(&format!("{bedrock}{extra}")),
                Mode::Jravan,
                0,
                &PriceList::builtin(),
            )
            .unwrap();
            assert!(close(e.total_usd - plain.total_usd, added), "{e:?}");
            let race = e.race_days.unwrap().total_usd - plain.race_days.as_ref().unwrap().total_usd;
            assert!(close(race, added), "{race}");
        }
        let mock = estimate(&stack(bedrock), Mode::Mock, 0, &PriceList::builtin()).unwrap();
        assert!(mock.lines.iter().all(|l| !l.item.contains("endpoint")));
    }

    /// 23 alarms in mock mode (1 API, 9 functions × 2, 2 tables × 2) = 2.30; jravan adds the
    /// heartbeat alarm and its metric: 24 × 0.10 + 0.30 = 2.70.
    #[test]
    fn alerts_are_priced_per_alarm_and_the_heartbeat_metric() {
        let alerts = "alerts:\n  email: ops@example.com\n";
        for (mode, added) in [(Mode::Mock, 2.30), (Mode::Jravan, 2.70)] {
            let plain = estimate(&stack(""), mode, 0, &PriceList::builtin()).unwrap();
            let e = estimate(&stack(alerts), mode, 0, &PriceList::builtin()).unwrap();
            assert!(
                close(e.total_usd - plain.total_usd, added),
                "{mode:?} {e:?}"
            );
        }
    }

    /// race-days: 62 h a week × 730 / 168 = 269.405 h × 0.0456 = 12.285 instead of 33.288.
    #[test]
    fn a_schedule_prices_the_hours_it_runs() {
        let always = estimate(&stack(""), Mode::Jravan, 0, &PriceList::builtin()).unwrap();
        let scheduled = estimate(
            &stack("jravan:\n  instance:\n    schedule: race-days\n"),
            Mode::Jravan,
            0,
            &PriceList::builtin(),
        )
        .unwrap();
        let instance = &scheduled.lines[0];
        assert!(
            close(instance.quantity, 62.0 * 730.0 / 168.0),
            "{instance:?}"
        );
        assert!(
            instance.item.contains("race-days, 62 h a week"),
            "{instance:?}"
        );
        assert!(close(
            always.total_usd - scheduled.total_usd,
            (730.0 - 62.0 * 730.0 / 168.0) * 0.0456
        ));
        // The schedule is the configured month; the race-day comparison is for stacks without.
        assert_eq!(scheduled.gateway_schedule.as_deref(), Some("race-days"));
        assert!(scheduled.race_days.is_none() && always.race_days.is_some());
    }

    #[test]
    fn mock_mode_has_no_instance_and_costs_cents_at_low_traffic() {
        let e = estimate(&stack(""), Mode::Mock, 10_000, &PriceList::builtin()).unwrap();
        assert!(e.race_days.is_none());
        assert!(e.lines.iter().all(|l| !l.item.contains("EC2")));
        // 0.01 × (0.20 + 4.25 + 0.1427 + 0.7135) + 125 GB-s × 0.0000166667 + 0.0095367 × 0.76
        let expected = 0.01 * (0.20 + 4.25 + 0.1427 + 0.7135)
            + 125.0 * 0.0000166667
            + 10_000.0 * 1024.0 / 1_073_741_824.0 * 0.76;
        assert!(
            close(e.total_usd, expected),
            "{} vs {expected}",
            e.total_usd
        );
    }

    #[test]
    fn arm64_functions_use_the_arm_price_and_bigger_memory_costs_more() {
        let list = PriceList::builtin();
        let x86 = estimate(&stack(""), Mode::Mock, 1_000_000, &list).unwrap();
        let arm = estimate(
            &stack("functions:\n  architecture: arm64\n"),
            Mode::Mock,
            1_000_000,
            &list,
        )
        .unwrap();
        // 12,500 GB-s × 0.0000133334 = 0.1666675
        assert!(
            close(arm.lines[1].monthly_usd, 0.1666675),
            "{}",
            arm.lines[1].monthly_usd
        );
        assert!(close(x86.lines[1].monthly_usd, 0.20833375));
        let big = estimate(
            &stack("functions:\n  memory: 256\n"),
            Mode::Mock,
            1_000_000,
            &list,
        )
        .unwrap();
        assert!(close(big.lines[1].monthly_usd, 2.0 * 0.20833375));
    }

    #[test]
    fn a_region_or_instance_type_without_prices_is_refused_with_the_file_to_edit() {
        let list = PriceList::builtin();
        let err = estimate(&stack("region: eu-west-1\n"), Mode::Mock, 1, &list).unwrap_err();
        assert!(
            err.to_string().contains("no prices for region eu-west-1"),
            "{err}"
        );
        let err = estimate(
            &stack("jravan:\n  instance:\n    type: m5.large\n"),
            Mode::Jravan,
            1,
            &list,
        )
        .unwrap_err();
        assert!(err.to_string().contains("`m5.large`"), "{err}");
        assert!(err.to_string().contains("src/cost/prices.yaml"), "{err}");
    }
}
