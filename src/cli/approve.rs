//! Asking before changing anything: at a terminal a yes/no question, elsewhere a refusal unless
//! `--yes` was given, so a pipeline never hangs on a prompt.

use std::io::{BufRead, IsTerminal, Write};

use baken::plan::render::destructive_line;
use baken::plan::Plan;

use baken::engine::run::Refusal;

fn no_terminal(flag_hint: &str) -> Refusal {
    Refusal::Front(format!(
        "no terminal to ask for approval and {flag_hint} was not given; nothing was changed\n  hint: review the plan, then run again with {flag_hint}"
    ))
}

/// Refuses at once what `confirm` or `confirm_destruction` would refuse for want of a terminal,
/// so that the run refuses before it takes the deploy lock (and writes nothing).
pub fn precheck(
    plan: &Plan,
    yes: bool,
    allow_data_loss: bool,
    flag_hint: &str,
) -> Result<(), Refusal> {
    if plan.is_empty() || std::io::stdin().is_terminal() {
        return Ok(());
    }
    if !plan.destructive.is_empty() && !allow_data_loss {
        return Err(destruction_refused(plan));
    }
    if !yes {
        return Err(no_terminal(flag_hint));
    }
    Ok(())
}

fn destruction_list(plan: &Plan) -> String {
    plan.destructive
        .iter()
        .map(|d| format!("  {}", destructive_line(d)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn destruction_refused(plan: &Plan) -> Refusal {
    Refusal::Front(format!(
        "this plan deletes what deploying again does not bring back; nothing was changed:\n{}\n  hint: run again with --allow-data-loss (and --yes) to go ahead; `teardown --keep-data` keeps the tables",
        destruction_list(plan)
    ))
}

pub fn confirm(question: &str, yes: bool, flag_hint: &str) -> Result<bool, Refusal> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(no_terminal(flag_hint));
    }
    let answer = ask(&format!("{question} [y/N] "))?;
    Ok(matches!(answer.as_str(), "y" | "Y" | "yes" | "Yes"))
}

/// Prints `prompt` on stderr and reads one line from the terminal, trimmed.
fn ask(prompt: &str) -> Result<String, Refusal> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Refusal::Front(format!("cannot read the answer: {e}")))?;
    Ok(answer.trim().to_string())
}

/// A plan that deletes data: `--yes` is not enough. Without a terminal it is refused unless
/// `--allow-data-loss` was given (the caller checks); at one, the stack's name must be typed, as
/// other tools ask for a name before destroying.
pub fn confirm_destruction(plan: &Plan, stack: &str) -> Result<bool, Refusal> {
    if !std::io::stdin().is_terminal() {
        return Err(destruction_refused(plan));
    }
    eprintln!(
        "This deletes what deploying again does not bring back:\n{}",
        destruction_list(plan)
    );
    Ok(ask(&format!("Type the stack name ({stack}) to confirm: "))? == stack)
}
