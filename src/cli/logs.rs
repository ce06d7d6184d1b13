//! `baken logs`: the functions' logs, interleaved by time, once or `--follow`ing.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_smithy_types::date_time::{DateTime, Format};
use baken::engine::logs::{sources, Batch, Entry, Reader};
use serde_json::json;

use super::args::LogsArgs;
use super::context::{load_stack, open_session};
use super::error::{CliError, EXIT_OK};
use super::output::print_json_line;

/// `--follow` polls at once after events came, and backs off to this while nothing comes.
const IDLE_POLL_MAX: Duration = Duration::from_secs(10);
const POLL_MIN: Duration = Duration::from_secs(1);

pub async fn run(args: &LogsArgs) -> Result<ExitCode, CliError> {
    let global = &args.global;
    let stack = load_stack(&global.source)?;
    let selected = sources(&stack, &args.functions).map_err(CliError::Usage)?;
    let named_gateway = args
        .functions
        .iter()
        .any(|f| f == baken::engine::logs::GATEWAY);
    let session = open_session(global, stack).await?;
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default();
    let start = now_ms - args.since.as_millis() as i64;
    let mut reader = Reader::new(
        selected.clone(),
        start,
        args.filter.clone(),
        args.limit as usize,
    );

    let first = reader.poll(&session.clients).await?;
    if first.missing.len() == selected.len() {
        return Err(CliError::NotFound(format!(
            "stack {} has nothing to read for {}: no log group (or gateway bootstrap report) exists\n  hint: deploy the stack first (`baken deploy`), or check --manifest and --region",
            session.stack.name,
            first.missing.join(", ")
        )));
    }
    for m in &first.missing {
        // Without a gateway the report is simply not there; say so only when it was asked for.
        if m != baken::engine::logs::GATEWAY || named_gateway {
            eprintln!("note: {m}: nothing to read (not deployed, or never reported)");
        }
    }
    print_batch(&first, global.json(), args.limit, !args.follow);
    if !args.follow {
        return Ok(ExitCode::from(EXIT_OK));
    }
    let mut wait = POLL_MIN;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::from(EXIT_OK)),
        }
        let batch = reader.poll(&session.clients).await?;
        wait = if batch.entries.is_empty() {
            (wait * 2).min(IDLE_POLL_MAX)
        } else {
            POLL_MIN
        };
        print_batch(&batch, global.json(), args.limit, false);
    }
}

fn print_batch(batch: &Batch, json: bool, limit: u32, say_truncated: bool) {
    for e in &batch.entries {
        if json {
            print_json_line(&entry_json(e));
        } else {
            println!(
                "{} {:<18} {}",
                time(e.event.timestamp),
                e.source,
                e.event.message
            );
        }
    }
    if say_truncated {
        for t in &batch.truncated {
            eprintln!("note: {t}: more than {limit} events; showing the oldest {limit} (narrow --since or --filter, or raise --limit)");
        }
    }
}

fn time(ms: i64) -> String {
    DateTime::from_millis(ms)
        .fmt(Format::DateTime)
        .unwrap_or_else(|_| ms.to_string())
}

fn entry_json(e: &Entry) -> serde_json::Value {
    json!({
        "time": time(e.event.timestamp),
        "timestamp_ms": e.event.timestamp,
        "source": e.source,
        "log_stream": e.event.log_stream,
        "event_id": e.event.event_id,
        "message": e.event.message,
    })
}
