//! Printing results: JSON documents for pipelines, text for people.

use baken::aws::RequestCounts;
use baken::engine::{ApplyReport, Outputs};
use baken::plan::render;

/// The version of every `--json` document's shape (docs/json.md). Bump it when a field is
/// renamed, removed or changes type; adding a field does not.
pub const SCHEMA_VERSION: u32 = 1;

/// Prints a JSON document, with `schema_version` added to it.
pub fn print_json(value: &serde_json::Value) {
    println!("{}", document(value));
}

/// One JSON document per line (logs), each with its `schema_version`.
pub fn print_json_line(value: &serde_json::Value) {
    let mut v = value.clone();
    stamp(&mut v);
    println!("{}", serde_json::to_string(&v).unwrap_or_default());
}

pub fn document(value: &serde_json::Value) -> String {
    let mut v = value.clone();
    stamp(&mut v);
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

fn stamp(v: &mut serde_json::Value) {
    if let Some(map) = v.as_object_mut() {
        map.insert("schema_version".into(), SCHEMA_VERSION.into());
    }
}

/// A document about one stack: `body`'s fields, with the stack, the account and region acted on,
/// the mode, and the AWS requests the run sent (`requests`; every command's document has them).
pub fn envelope(
    session: &baken::engine::Session,
    mode: baken::model::Mode,
    requests: RequestCounts,
    body: serde_json::Value,
) -> serde_json::Value {
    let mut doc = serde_json::json!({
        "stack": session.stack.name,
        "account": session.account.id,
        "region": session.stack.region,
        "mode": mode,
        "aws_requests": requests,
    });
    if let (Some(doc), serde_json::Value::Object(body)) = (doc.as_object_mut(), body) {
        doc.extend(body);
    }
    doc
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
    let interrupted = baken::engine::interrupt::requested().filter(|_| !report.succeeded());
    if let Some(signal) = interrupted {
        let list = |ids: &[baken::resource::ResourceId]| {
            ids.iter().map(|r| format!("\n  {r}")).collect::<String>()
        };
        eprintln!(
            "Interrupted ({}): {} done, {} still running when the run stopped waiting (what they did is read by the next run), {} not started; the deploy lock is released.{}{}{}",
            baken::engine::interrupt::name(signal),
            report.done.len(),
            report.interrupted.len(),
            report.skipped.len(),
            if report.done.is_empty() { String::new() } else { format!("\nDone:{}", list(&report.done)) },
            if report.interrupted.is_empty() { String::new() } else { format!("\nAbandoned in flight:{}", list(&report.interrupted)) },
            if report.skipped.is_empty() { String::new() } else { format!("\nNot started:{}", list(&report.skipped)) },
        );
        eprintln!("Run the same command again to finish.");
        return;
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

/// The outputs as `name  value` lines, the ones with a value only.
pub fn outputs_text(outputs: &Outputs) -> String {
    let Ok(serde_json::Value::Object(all)) = serde_json::to_value(outputs) else {
        return String::new();
    };
    all.iter()
        .filter_map(|(name, value)| output_line(name, value))
        .collect()
}

/// `  name  value`, a list joined with commas; None for an output without a value.
pub fn output_line(name: &str, value: &serde_json::Value) -> Option<String> {
    let text = match value {
        serde_json::Value::Null => return None,
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) if a.is_empty() => return None,
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    Some(format!("  {name:<20} {text}\n"))
}

pub use render::text as plan_text;
