//! Asking before changing anything: at a terminal a yes/no question, elsewhere a refusal unless
//! `--yes` was given, so a pipeline never hangs on a prompt.

use std::io::{BufRead, IsTerminal, Write};

use super::error::CliError;

pub fn confirm(question: &str, yes: bool, flag_hint: &str) -> Result<bool, CliError> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Refused(format!(
            "no terminal to ask for approval and {flag_hint} was not given; nothing was changed\n  hint: review the plan, then run again with {flag_hint}"
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::Refused(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
