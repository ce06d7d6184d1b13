//! `baken deploy`: the manifest's stack made so, through `baken::engine::run`. This file holds
//! the command's front (what it shows and asks) and how a run's outcome is rendered, which
//! `teardown` and `adopt` share.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use baken::engine::interrupt;
use baken::engine::lock::Seen;
use baken::engine::progress::{Progress, Silent};
use baken::engine::run::{self, Allowed, Ending, Front, Locking, Outcome, Refusal, Work};
use baken::engine::{Planned, Session};
use baken::model::Mode;
use baken::package::Package;
use baken::plan::saved::{self, SavedPlan};
use baken::plan::Plan;

use super::approve::{confirm, confirm_destruction, precheck};
use super::args::{DeployArgs, Global};
use super::context::{
    architecture, build_package, code_of, gateway_software, load_stack, manifest_sha256, mode,
    open_session_for_writing, package,
};
use super::error::{CliError, EXIT_ERROR, EXIT_OK, EXIT_PARTIAL};
use super::output::{envelope, outputs_text, plan_text, print_json, print_report, requests_line};
use super::progress::{Lines, Spinners};

pub async fn run(args: &DeployArgs) -> Result<ExitCode, CliError> {
    interrupt::install();
    let global = &args.global;
    if let Some(path) = &args.outputs_file {
        check_writable(path, "--outputs-file")?;
    }
    if let Some(path) = args.saved_plan() {
        return deploy_saved(args, path).await;
    }
    let stack = load_stack(&global.source)?;
    let (mode, explicit) = mode(&stack, args.mode)?;
    let software = gateway_software(global, &stack, mode)?;
    let pkg = package(global, &stack, &args.artefact, global.json())?;
    let (session, seen) = open_session_for_writing(global, stack).await?;
    let code = code_of(Some(&pkg));
    let work = Work::Deploy {
        mode,
        explicit,
        code: &code,
        software,
        adjust: None,
    };
    let outcome = carry_out(args, &session, &work, seen, "Apply these changes?").await?;
    render(
        global,
        &session,
        &outcome,
        Some(&pkg),
        args.outputs_file.as_deref(),
    )
}

/// `deploy --plan FILE`: the saved plan applied exactly, building nothing.
async fn deploy_saved(args: &DeployArgs, path: &Path) -> Result<ExitCode, CliError> {
    let global = &args.global;
    let saved = read_saved(path)?;
    let stale = |why: String| {
        CliError::StalePlan(format!(
            "the saved plan {} is stale: {why}; nothing was changed\n  hint: make the plan again (`baken plan --out FILE`), review it, and apply that one",
            path.display()
        ))
    };
    // The baken and the manifest before the manifest is read: a changed one may not parse.
    let manifest = &global.source.manifest;
    let sha = manifest_sha256(&global.source)?;
    if let Some(why) = saved.made_by(env!("CARGO_PKG_VERSION"), manifest, &sha) {
        return Err(stale(why));
    }
    let stack = load_stack(&global.source)?;
    if let Some(why) = saved.made_for(stack.environment.as_ref().map(|e| e.name.as_str())) {
        return Err(stale(why));
    }
    let mode = Mode::parse(&saved.mode).unwrap_or(stack.mode);
    let software = gateway_software(global, &stack, mode)?;
    // The package the plan names, checked by its hash: nothing is built.
    let pkg = match &saved.artefact {
        Some(a) => {
            let at = args
                .artefact
                .artifact
                .clone()
                .unwrap_or_else(|| a.path.clone().into());
            let pkg = build_package(
                &global.source.manifest,
                architecture(&stack),
                Some(&at),
                true,
            )?;
            if pkg.sha256_base64 != a.sha256_base64 {
                return Err(stale(format!(
                    "the package {} is not the one the plan deploys (sha256 {}, the plan's {})",
                    at.display(),
                    pkg.sha256_base64,
                    a.sha256_base64
                )));
            }
            Some(pkg)
        }
        None => None,
    };
    let (session, seen) = open_session_for_writing(global, stack).await?;
    let code = code_of(pkg.as_ref());
    let work = Work::Saved {
        saved: &saved,
        code: &code,
        software,
    };
    let outcome = carry_out(args, &session, &work, seen, "Apply this saved plan?")
        .await
        .map_err(|e| match e {
            run::RunError::Stale(s) => stale(s.0.join("; ")),
            e => e.into(),
        })?;
    render(
        global,
        &session,
        &outcome,
        pkg.as_ref(),
        args.outputs_file.as_deref(),
    )
}

/// The run, with what the flags allow, under the stack's lock.
async fn carry_out(
    args: &DeployArgs,
    session: &Session,
    work: &Work<'_>,
    seen: Seen,
    question: &'static str,
) -> Result<Outcome, run::RunError> {
    let allowed = Allowed {
        yes: args.yes,
        allow_data_loss: args.allow_data_loss,
        replace_instance: args.replace_instance,
        replace_table: args.replace_table,
        adopting: false,
    };
    let locking = Locking::Take {
        command: "deploy",
        timeout: args.lock_timeout,
        seen,
    };
    let front = Terminal::new(&args.global, question);
    run::carry_out(session, work, &allowed, locking, &front).await
}

/// The saved plan at `path`, of a format this baken reads.
fn read_saved(path: &Path) -> Result<SavedPlan, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("--plan {}: cannot read it: {e}", path.display())))?;
    let saved: SavedPlan = serde_json::from_str(&text).map_err(|e| {
        CliError::Usage(format!(
            "--plan {}: not a plan saved by `baken plan --out` ({e})",
            path.display()
        ))
    })?;
    if saved.format != saved::FORMAT || saved.version != saved::VERSION {
        return Err(CliError::Usage(format!(
            "--plan {}: a {} document version {}; this baken reads {} version {}",
            path.display(),
            saved.format,
            saved.version,
            saved::FORMAT,
            saved::VERSION
        )));
    }
    Ok(saved)
}

/// A file the run will write (`--outputs-file`, `--out`) is checked before anything is
/// changed: a deploy that applied and then could not write its outputs would leave a
/// pipeline's next step without them.
pub fn check_writable(path: &Path, flag: &str) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if path.is_dir() || !dir.is_dir() {
        return Err(CliError::Usage(format!(
            "{flag} {}: {}; nothing was changed",
            path.display(),
            if path.is_dir() {
                "is a directory"
            } else {
                "its directory does not exist"
            }
        )));
    }
    Ok(())
}

/// The terminal a writing command runs at: it shows plans (text output), asks `question`
/// (`--yes` answers it; a plan that deletes data wants the stack's name typed), and draws the
/// steps' progress.
pub struct Terminal<'a> {
    global: &'a Global,
    question: &'a str,
}

impl<'a> Terminal<'a> {
    pub fn new(global: &'a Global, question: &'a str) -> Terminal<'a> {
        Terminal { global, question }
    }
}

impl Front for Terminal<'_> {
    fn show(&self, planned: &Planned, place: &str) {
        if !self.global.json() {
            print!("{}", plan_text(&planned.plan, place));
        }
    }

    fn precheck(&self, plan: &Plan, allowed: &Allowed) -> Result<(), Refusal> {
        precheck(plan, allowed.yes, allowed.allow_data_loss, "--yes")
    }

    fn approve(&self, plan: &Plan, allowed: &Allowed, stack: &str) -> Result<bool, Refusal> {
        if plan.destructive.is_empty() || allowed.allow_data_loss {
            confirm(self.question, allowed.yes, "--yes")
        } else {
            confirm_destruction(plan, stack)
        }
    }

    fn progress(&self) -> Box<dyn Progress> {
        if self.global.json() {
            Box::new(Silent)
        } else if std::io::stderr().is_terminal() {
            Box::new(Spinners::new())
        } else {
            Box::new(Lines)
        }
    }

    fn note(&self, text: &str) {
        eprintln!("{text}");
    }
}

/// Prints what a run did (the JSON document, or the report and outputs), writes
/// `--outputs-file` after a complete run, and gives the exit code.
pub fn render(
    global: &Global,
    session: &Session,
    outcome: &Outcome,
    package: Option<&Package>,
    outputs_file: Option<&Path>,
) -> Result<ExitCode, CliError> {
    if !outcome.approved {
        eprintln!("Nothing was changed.");
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    if outcome.lease_lost {
        eprintln!("warning: the deploy lock's lease expired and another run took it; no new step was started after that");
    }
    let plan = &outcome.planned.plan;
    let report = outcome.report.as_ref();
    let outputs = outcome.outputs.as_ref();
    if let (Some(path), Some(outputs), true) = (outputs_file, outputs, outcome.succeeded()) {
        let doc = super::outputs::document(&session.stack.name, &session.stack.region, outputs);
        std::fs::write(path, super::output::document(&doc) + "\n").map_err(|source| {
            CliError::Write {
                path: path.to_path_buf(),
                source,
            }
        })?;
    }
    let counts = outcome.requests;
    if global.json() {
        print_json(&envelope(
            session,
            plan.mode,
            counts,
            serde_json::json!({
                "plan": plan,
                "result": report,
                "outputs": outputs,
                "package": package,
            }),
        ));
    } else {
        match report {
            Some(r) => {
                print_report(r);
                if r.succeeded() {
                    println!("Applied: {} changes.", r.done.len());
                }
            }
            None if counts.writes == 0 => println!("Nothing to do; no write request was sent."),
            // Planned again under the lock after another run had applied the changes.
            None => println!("Nothing to do; only the deploy lock was written."),
        }
        if let Some(o) = outputs {
            let text = outputs_text(o);
            if !text.is_empty() {
                print!("Outputs:\n{text}");
            }
        }
        eprintln!("{}", requests_line(counts));
    }
    Ok(ExitCode::from(match outcome.ending() {
        Ending::Done => EXIT_OK,
        Ending::Declined | Ending::Failed => EXIT_ERROR,
        Ending::Partly => EXIT_PARTIAL,
        Ending::Interrupted(signal) => interrupt::exit_code(signal),
    }))
}
