//! Printing results: JSON documents for pipelines, text for people.

use baken::aws::RequestCounts;
use baken::engine::ApplyReport;
use baken::plan::render;

pub fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

pub fn requests_line(counts: RequestCounts) -> String {
    format!(
        "AWS requests: {} reads, {} writes",
        counts.reads, counts.writes
    )
}

pub fn print_report(report: &ApplyReport) {
    for f in &report.failed {
        eprintln!("error: {}: {}", f.resource, f.error);
    }
    if !report.failed.is_empty() {
        eprintln!(
            "{} done, {} failed, {} not started.",
            report.done.len(),
            report.failed.len(),
            report.skipped.len()
        );
        if !report.done.is_empty() {
            eprintln!("The stack is partly applied: fix the cause above and run the same command again to finish.");
        }
    }
}

pub use render::text as plan_text;
