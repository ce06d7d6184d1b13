//! `baken stacks`: the baken stacks of an account and region (`baken::engine::stacks`).

use std::process::ExitCode;

use baken::aws::{sts, Clients, Target};
use baken::engine::lock::when;
use baken::engine::stacks;
use serde_json::json;

use super::args::StacksArgs;
use super::error::{CliError, EXIT_OK};
use super::output::{print_json, requests_line};

pub async fn run(args: &StacksArgs) -> Result<ExitCode, CliError> {
    let global = &args.global;
    let region = region(args)?;
    let clients = Clients::connect(&Target {
        region: region.clone(),
        profile: global.profile.clone(),
        endpoint_url: global.endpoint_url.clone(),
    })
    .await;
    let account = sts::account_id(&clients).await?;
    let found = stacks::list(&clients, &account).await?;
    let counts = clients.counter.counts();
    if global.json() {
        print_json(&json!({
            "account": account,
            "region": region,
            "stacks": found,
            "aws_requests": counts,
        }));
        return Ok(ExitCode::from(EXIT_OK));
    }
    if found.is_empty() {
        println!("No baken stack in account {account}, {region}.");
    } else {
        println!("Baken stacks in account {account}, {region}:");
    }
    for s in &found {
        let mode = s.mode.as_deref().unwrap_or("-");
        let last = match &s.last_run {
            Some(l) => format!("last: {} by {} at {}", l.command, l.holder, when(l.at)),
            None => "no run recorded".into(),
        };
        let held = match &s.locked_by {
            Some(h) => format!("; LOCKED by {} (`{}`)", h.holder, h.command),
            None => String::new(),
        };
        println!(
            "  {:<32} {:<7} {} table{}; {last}{held}",
            s.name,
            mode,
            s.tables.len(),
            if s.tables.len() == 1 { "" } else { "s" }
        );
    }
    eprintln!("{}", requests_line(counts));
    Ok(ExitCode::from(EXIT_OK))
}

/// `--region`, else the manifest's (when there is one to read), else the SDK's variables.
fn region(args: &StacksArgs) -> Result<String, CliError> {
    let source = &args.global.source;
    if let Some(r) = &source.region {
        return Ok(r.clone());
    }
    if source.manifest.exists() {
        let stack = super::context::load_stack(source)?;
        return Ok(stack.region);
    }
    std::env::var("AWS_REGION")
        .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
        .map_err(|_| {
            CliError::Usage(
                "which region? give --region (or a manifest with `region:`, or AWS_REGION)".into(),
            )
        })
}
