//! What the gateway instance says about itself, read from its two Systems Manager parameters:
//! the first-boot bootstrap's progress and the running gateway's scheduled health report
//! (windows-bootstrap/gateway/baken_gateway/health.py). Pure: the caller passes the clock.

use serde::{Deserialize, Serialize};

/// The gateway reports every 5 minutes (BAKEN_HEALTH_MINUTES); three missed reports are stale.
pub const HEALTH_STALE_AFTER_SECONDS: i64 = 15 * 60;

/// How long after its launch an instance may stay silent: a Windows instance runs its user data
/// a few minutes after boot, and the bootstrap reports before its first step, so 30 minutes
/// without either report means the bootstrap never started or cannot reach Systems Manager.
pub const FIRST_REPORT_WITHIN_SECONDS: i64 = 30 * 60;

/// No report of either kind yet: the first one is awaited since the instance launched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Awaited {
    /// When the instance launched (ISO 8601, as EC2 says).
    pub since: String,
    pub minutes: i64,
    /// Past FIRST_REPORT_WITHIN_SECONDS: the instance is unhealthy.
    pub overdue: bool,
}

impl Awaited {
    /// Neither report exists: awaited since the launch (None when the launch time is unknown).
    pub fn of(launched_millis: Option<i64>, now_millis: i64) -> Option<Awaited> {
        let launched = launched_millis?;
        let since = aws_smithy_types::DateTime::from_millis(launched)
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .ok()?;
        let seconds = (now_millis - launched).max(0) / 1000;
        Some(Awaited {
            since,
            minutes: seconds / 60,
            overdue: seconds >= FIRST_REPORT_WITHIN_SECONDS,
        })
    }

    /// Why an overdue silence makes the instance unhealthy.
    pub fn problem(&self) -> Option<String> {
        self.overdue.then(|| {
            format!(
                "the gateway has not reported in the {} min since the instance launched ({}): the bootstrap did not start or cannot reach Systems Manager; its console output (`aws ec2 get-console-output`) shows how far it got",
                self.minutes, self.since
            )
        })
    }

    /// The status line.
    pub fn line(&self) -> String {
        format!(
            "Gateway: first report awaited since the instance launched at {} ({} min ago)",
            self.since, self.minutes
        )
    }
}

/// What the instance bootstrap (windows-bootstrap/user-data.ps1) reports in its parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BootstrapReport {
    /// running, failed, manual-step or complete.
    pub state: String,
    pub step: String,
    pub at: String,
}

impl BootstrapReport {
    pub fn parse(text: Option<&str>) -> Option<BootstrapReport> {
        serde_json::from_str(text?).ok()
    }
}

/// The gateway instance as a user needs it: the id to connect with Session Manager, the public
/// address JRA-VAN sees, the private one the Lambdas use.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayAddresses {
    pub instance_id: String,
    pub public_ip: Option<String>,
    pub private_ip: Option<String>,
    /// When it launched (ms since the epoch), as EC2 says: its first report is awaited since.
    #[serde(skip)]
    pub launched_millis: Option<i64>,
    /// EC2's state name (`running`, `stopped`, …).
    #[serde(skip)]
    pub state: String,
}

/// What the gateway's schedule says now, beside what the instance is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduleView {
    /// `race-days`, or `custom`.
    pub schedule: String,
    pub time_zone: String,
    /// Whether the schedule has it running now.
    pub running: bool,
    pub next_start: Option<String>,
    pub next_stop: Option<String>,
}

impl ScheduleView {
    /// What `schedule` says at this moment (this machine's clock).
    pub fn now(schedule: &crate::model::GatewaySchedule) -> ScheduleView {
        use crate::model::schedule::local_text;
        let read = schedule.read();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let at = read.at(now);
        let text = |t: Option<i64>| t.map(|t| local_text(t, read.offset_minutes));
        ScheduleView {
            schedule: schedule.preset.unwrap_or("custom").to_string(),
            time_zone: schedule.time_zone.clone(),
            running: at.running,
            next_start: text(at.next_start),
            next_stop: text(at.next_stop),
        }
    }

    /// The status line.
    pub fn line(&self, instance_state: Option<&str>) -> String {
        let until = |t: &Option<String>| t.clone().unwrap_or_else(|| "never".into());
        match (self.running, instance_state) {
            (false, Some("stopped")) => format!(
                "Gateway schedule ({}, {}): stopped on schedule; next start {}",
                self.schedule,
                self.time_zone,
                until(&self.next_start)
            ),
            (false, _) => format!(
                "Gateway schedule ({}, {}): off-schedule run (started by hand); the schedule stops it at {}, next start {}",
                self.schedule,
                self.time_zone,
                until(&self.next_stop),
                until(&self.next_start)
            ),
            (true, _) => format!(
                "Gateway schedule ({}, {}): running on schedule until {}",
                self.schedule,
                self.time_zone,
                until(&self.next_stop)
            ),
        }
    }
}

/// Records the gateway holds, per type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordCounts {
    #[serde(rename = "RA", default)]
    pub ra: u64,
    #[serde(rename = "SE", default)]
    pub se: u64,
    #[serde(rename = "O1", default)]
    pub o1: u64,
    #[serde(rename = "HR", default)]
    pub hr: u64,
}

/// The running gateway's own report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayHealth {
    /// When the gateway wrote it (UTC, RFC 3339).
    pub at: String,
    /// JV-Link on the gateway: starting, ready or error.
    pub jvlink: String,
    #[serde(default)]
    pub jvlink_installed: bool,
    #[serde(default)]
    pub syncing: bool,
    pub last_sync: Option<String>,
    #[serde(default)]
    pub counts: RecordCounts,
    /// JV-Link's last return code (0 after a good call).
    pub last_rc: Option<i64>,
    /// Why the last sync failed; None once a sync succeeds.
    pub sync_error: Option<String>,
    pub last_error: Option<String>,
}

/// The health report as status shows it: the report, its age, and what is wrong.
#[derive(Debug, Clone, Serialize)]
pub struct HealthView {
    #[serde(flatten)]
    pub report: GatewayHealth,
    pub age_seconds: Option<i64>,
    pub stale: bool,
    pub problem: Option<String>,
}

fn millis(rfc3339: &str) -> Option<i64> {
    aws_smithy_types::DateTime::from_str(rfc3339, aws_smithy_types::date_time::Format::DateTime)
        .ok()?
        .to_millis()
        .ok()
}

impl GatewayHealth {
    pub fn parse(text: &str) -> Option<GatewayHealth> {
        serde_json::from_str(text).ok()
    }

    /// The report judged at `now_millis`. Its age is the older of the gateway's own time stamp
    /// and Systems Manager's, so neither a wrong clock on the instance nor a rewrite of an old
    /// report makes a stopped gateway look alive.
    pub fn view(self, modified_millis: Option<i64>, now_millis: i64) -> HealthView {
        let written = [millis(&self.at), modified_millis]
            .into_iter()
            .flatten()
            .min();
        let age_seconds = written.map(|w| (now_millis - w).max(0) / 1000);
        let stale = age_seconds.is_none_or(|a| a > HEALTH_STALE_AFTER_SECONDS);
        let problem = if stale {
            Some(format!(
                "the gateway's health report is stale (written {}, {}); the BakenGateway service may be stopped or the instance cannot reach Systems Manager",
                self.at,
                age_seconds.map_or("at an unknown time".into(), |a| format!("{} min ago", a / 60))
            ))
        } else if !self.jvlink_installed && self.jvlink != "ready" {
            Some("JV-Link is not installed on the gateway (see the bootstrap's manual step)".into())
        } else if self.jvlink != "ready" {
            Some(format!(
                "JV-Link is {} on the gateway: {}",
                self.jvlink,
                self.last_error.as_deref().unwrap_or("no error reported")
            ))
        } else {
            self.sync_error
                .as_ref()
                .map(|e| format!("the gateway's last JV-Link sync failed: {e}"))
        };
        HealthView {
            report: self,
            age_seconds,
            stale,
            problem,
        }
    }
}

/// Why the gateway instance cannot serve, from both reports, or None. No health report is a
/// problem only once the bootstrap has finished (the gateway reports as soon as it starts).
pub fn problem(bootstrap: Option<&BootstrapReport>, health: Option<&HealthView>) -> Option<String> {
    if let Some(b) = bootstrap.filter(|b| b.state == "failed") {
        return Some(format!("gateway bootstrap failed: {}", b.step));
    }
    match (bootstrap, health) {
        (_, Some(h)) => h.problem.clone(),
        (Some(b), None) if b.state == "complete" || b.state == "manual-step" => Some(
            "the gateway has not reported its health since the bootstrap finished; the BakenGateway service may not be running".into(),
        ),
        _ => None,
    }
}

/// The bootstrap's manual step is over once the gateway finds JV-Link installed.
pub fn manual_step_done(bootstrap: &BootstrapReport, health: Option<&HealthView>) -> bool {
    bootstrap.state == "manual-step" && health.is_some_and(|h| h.report.jvlink_installed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_000_000_000;

    fn report(
        at_millis: i64,
        jvlink: &str,
        installed: bool,
        sync_error: Option<&str>,
    ) -> GatewayHealth {
        let at = aws_smithy_types::DateTime::from_millis(at_millis)
            .fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap();
        GatewayHealth::parse(
            &serde_json::json!({"at": at, "jvlink": jvlink, "jvlink_installed": installed,
                "counts": {"RA": 3}, "last_rc": 0, "sync_error": sync_error, "last_error": null})
            .to_string(),
        )
        .unwrap()
    }

    #[test]
    fn a_fresh_report_of_a_syncing_gateway_is_healthy() {
        let v = report(NOW - 60_000, "ready", true, None).view(Some(NOW - 60_000), NOW);
        assert_eq!(
            (v.age_seconds, v.stale, v.problem.clone()),
            (Some(60), false, None)
        );
        assert_eq!(v.report.counts.ra, 3);
    }

    #[test]
    fn an_old_report_is_stale_even_when_systems_manager_saw_it_rewritten_lately() {
        let v = report(NOW - 20 * 60_000, "ready", true, None).view(Some(NOW - 1000), NOW);
        assert!(v.stale);
        assert!(v.problem.unwrap().contains("stale"));
    }

    #[test]
    fn a_failed_sync_and_a_missing_jvlink_are_problems() {
        let v = report(NOW, "ready", true, Some("JVOpen failed: -301")).view(None, NOW);
        assert!(v.problem.unwrap().contains("-301"));
        let v = report(NOW, "error", false, None).view(None, NOW);
        assert!(v.problem.unwrap().contains("not installed"));
    }

    #[test]
    fn a_silent_instance_is_awaited_for_thirty_minutes_then_unhealthy() {
        let launched = NOW - 29 * 60_000;
        let a = Awaited::of(Some(launched), NOW).unwrap();
        assert_eq!((a.minutes, a.overdue, a.problem()), (29, false, None));
        assert!(a.line().contains("awaited since"), "{}", a.line());
        let a = Awaited::of(Some(NOW - 30 * 60_000), NOW).unwrap();
        assert!(a.overdue);
        assert!(a.problem().unwrap().contains("30 min"));
        assert_eq!(Awaited::of(None, NOW), None);
    }

    #[test]
    fn no_report_after_the_bootstrap_finished_is_a_problem_but_not_while_it_runs() {
        let b = |state: &str| BootstrapReport {
            state: state.into(),
            step: "x".into(),
            at: "t".into(),
        };
        assert!(problem(Some(&b("complete")), None).is_some());
        assert!(problem(Some(&b("running")), None).is_none());
        assert!(problem(None, None).is_none());
        assert!(problem(Some(&b("failed")), None)
            .unwrap()
            .contains("bootstrap failed"));
    }
}
