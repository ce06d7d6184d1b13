//! `baken plan`: what deploy would do; with `--out FILE`, also the plan saved for `baken deploy
//! --plan FILE` (`baken::plan::saved`).

use std::process::ExitCode;

use baken::cost::{estimate, PriceList};
use baken::engine::run;
use baken::plan::render;
use baken::plan::saved::Artefact;
use serde_json::json;

use super::args::PlanArgs;
use super::context::{
    code_of, gateway_software, load_stack, manifest_sha256, mode, open_session,
    open_session_for_writing, package,
};
use super::error::{CliError, EXIT_OK, EXIT_PENDING};
use super::output::{envelope, plan_text, print_json, requests_line};

pub async fn run(args: &PlanArgs) -> Result<ExitCode, CliError> {
    let global = &args.global;
    if let Some(path) = &args.out {
        super::deploy::check_writable(path, "--out")?;
    }
    let stack = load_stack(&global.source)?;
    let (mode, explicit) = mode(&stack, args.mode)?;
    let pkg = if args.no_build {
        None
    } else {
        Some(package(global, &stack, &args.artefact, global.json())?)
    };
    let software = gateway_software(global, &stack, mode)?;
    // A saved plan records the deploy lock's version, read before the stack.
    let (session, seen) = match &args.out {
        Some(_) => {
            let (session, seen) = open_session_for_writing(global, stack).await?;
            (session, Some(seen))
        }
        None => (open_session(global, stack).await?, None),
    };
    let planned = session
        .plan_deploy(mode, explicit, &code_of(pkg.as_ref()), software)
        .await?;
    let counts = session.clients.counter.counts();
    if let (Some(path), Some(seen)) = (&args.out, &seen) {
        let artefact = pkg.as_ref().map(|p| Artefact {
            path: p.zip_path.display().to_string(),
            sha256_base64: p.sha256_base64.clone(),
        });
        let saved = run::save(
            &session,
            &planned,
            explicit,
            seen.version,
            manifest_sha256(&global.source)?,
            artefact,
        );
        let text = serde_json::to_string_pretty(&saved).unwrap_or_default() + "\n";
        std::fs::write(path, text).map_err(|source| CliError::Write {
            path: path.clone(),
            source,
        })?;
    }
    // A preview's plan says what the stack costs while it lives.
    let cost = match &session.stack.environment {
        Some(e) if e.preview => Some(estimate(
            &session.stack,
            mode,
            10_000,
            &PriceList::builtin(),
        )?),
        _ => None,
    };
    let cost_line = cost.as_ref().map(|c| {
        format!(
            "Preview stack {}: about USD {:.2} a month while it exists, at 10,000 API requests (`baken cost --env {}`).\n",
            session.stack.name,
            c.total_usd,
            session.stack.environment.as_ref().map_or("", |e| e.name.as_str())
        )
    });
    if global.json() {
        let mut body = json!({ "plan": planned.plan });
        if let Some(c) = &cost {
            body["cost_estimate"] = serde_json::to_value(c).unwrap_or_default();
        }
        print_json(&envelope(&session, mode, counts, body));
    } else if global.format.markdown() {
        print!("{}", render::markdown(&planned.plan, &session.place()));
        if let Some(line) = &cost_line {
            print!("\n{line}");
        }
        eprintln!("{}", requests_line(counts));
    } else {
        print!("{}", plan_text(&planned.plan, &session.place()));
        if let Some(line) = &cost_line {
            print!("{line}");
        }
        eprintln!("{}", requests_line(counts));
    }
    if let Some(path) = &args.out {
        eprintln!(
            "Saved the plan to {}: `baken deploy --plan {}` applies exactly it, or refuses if anything moved since.",
            path.display(),
            path.display()
        );
    }
    let pending = !planned.plan.is_empty()
        || !planned.plan.conflicts.is_empty()
        || !planned.plan.missing.is_empty();
    Ok(ExitCode::from(if pending { EXIT_PENDING } else { EXIT_OK }))
}
