use std::process::ExitCode;

use baken::engine::Outputs;
use baken::live::gateway::manual_step_done;
use baken::live::{BootstrapReport, HealthView};
use baken::plan::status::{self, report};
use serde_json::json;

use super::args::Global;
use super::context::{connect, load_stack};
use super::error::{CliError, EXIT_OK, EXIT_PENDING};
use super::output::{envelope, outputs_text, print_json, requests_line};
use baken::engine::Session;

pub async fn run(global: &Global) -> Result<ExitCode, CliError> {
    let stack = load_stack(&global.source)?;
    // Status does not build, so the function code is not compared.
    let (session, planned) = Session::open_for_status(connect(global, &stack).await, stack).await?;
    let mode = planned.plan.mode;
    let report = report(&planned.plan);
    let outputs = Outputs::of_live(&session.stack, &planned.live);
    let counts = session.clients.counter.counts();
    let protection = status::Protection::of(&planned.live);
    let bootstrap = BootstrapReport::parse(planned.live.bootstrap_report.as_deref());
    let health = planned.live.gateway_health.as_ref();
    if global.json() {
        print_json(&envelope(
            &session,
            mode,
            counts,
            json!({
            "mode_conflict": planned.live.mode_conflict,
            "in_sync": report.in_sync(),
            "resources": report.entries,
            "protection": protection,
            "gateway_bootstrap": bootstrap,
            "gateway_health": health,
            "gateway_first_report_awaited": planned.live.first_report_awaited,
            "gateway_schedule": planned.live.gateway_schedule,
            "outputs": outputs,
            }),
        ));
    } else {
        println!(
            "Stack {} ({} mode) in {}:",
            session.stack.name,
            mode.as_str(),
            session.place()
        );
        if let Some(conflict) = &planned.live.mode_conflict {
            println!(
                "  ! the deployed mode cannot be told: {conflict}; compared against the manifest's mode ({})",
                mode.as_str()
            );
        }
        print!("{}", status::text(&report));
        if let Some(line) = protection.line() {
            println!("{line}");
        }
        if let Some(r) = &bootstrap {
            if manual_step_done(r, health) {
                println!(
                    "Gateway bootstrap (finished at {}): JV-Link has since been installed",
                    r.at
                );
            } else {
                println!("Gateway bootstrap ({} at {}): {}", r.state, r.at, r.step);
            }
        }
        if let Some(h) = health {
            println!("{}", health_line(h));
        }
        if let Some(a) = &planned.live.first_report_awaited {
            println!("{}", a.line());
        }
        if let Some(s) = &planned.live.gateway_schedule {
            let state = planned.live.gateway.as_ref().map(|g| g.state.as_str());
            println!("{}", s.line(state));
        }
        let outputs = outputs_text(&outputs);
        if !outputs.is_empty() {
            print!("Outputs:\n{outputs}");
        }
        println!(
            "{}",
            if report.in_sync() {
                "In sync."
            } else {
                "Not in sync: `baken deploy` repairs what is listed."
            }
        );
        eprintln!("{}", requests_line(counts));
    }
    Ok(ExitCode::from(if report.in_sync() {
        EXIT_OK
    } else {
        EXIT_PENDING
    }))
}

/// `Gateway health (3 min ago): JV-Link ready, last sync …; records RA 6, SE 120, O1 6, HR 4`.
fn health_line(h: &HealthView) -> String {
    let r = &h.report;
    let age = h
        .age_seconds
        .map_or("age unknown".to_string(), |a| format!("{} min ago", a / 60));
    let mut line = format!(
        "Gateway health (reported {}, {age}): JV-Link {}{}, last sync {}; records RA {}, SE {}, O1 {}, HR {}",
        r.at,
        r.jvlink,
        r.last_rc.map_or(String::new(), |rc| format!(" (last return code {rc})")),
        r.last_sync.as_deref().unwrap_or("never"),
        r.counts.ra,
        r.counts.se,
        r.counts.o1,
        r.counts.hr
    );
    if let Some(p) = &h.problem {
        line.push_str(&format!("\n  ! {p}"));
    }
    line
}
