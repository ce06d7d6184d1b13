//! `baken output [NAME]`: the deployed stack's outputs, read from the account (like
//! `terraform output`; `--raw` for one bare value in a script).

use std::process::ExitCode;

use baken::engine::Outputs;
use clap::ValueEnum;
use serde_json::json;

use super::args::OutputArgs;
use super::context::{load_stack, open_session};
use super::error::{CliError, EXIT_OK};
use super::output::{output_line, outputs_text, print_json};

pub async fn run(args: &OutputArgs) -> Result<ExitCode, CliError> {
    let global = &args.global;
    let stack = load_stack(&global.source)?;
    let session = open_session(global, stack).await?;
    let live = session.read().await?;
    let outputs = Outputs::of_live(&session.stack, &live);
    let Some(name) = args.name else {
        if global.json() {
            print_json(&document(
                &session.stack.name,
                &session.stack.region,
                &outputs,
            ));
        } else if outputs == Outputs::default() {
            println!(
                "Stack {} has no outputs: it is not deployed.",
                session.stack.name
            );
        } else {
            print!("{}", outputs_text(&outputs));
        }
        return Ok(ExitCode::from(EXIT_OK));
    };
    let key = name
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default();
    let value = outputs.get(&key).ok_or_else(|| {
        CliError::NotFound(format!(
            "output {key} of stack {} has no value: what it comes from does not exist\n  hint: `baken status` shows what is missing; `baken deploy` creates it",
            session.stack.name
        ))
    })?;
    if global.json() {
        print_json(&json!({ "name": key, "value": value }));
    } else if args.raw {
        // Bare, for `$(baken output api_url --raw)`; a list one item per line.
        match &value {
            serde_json::Value::Array(items) => {
                for item in items {
                    println!("{}", item.as_str().unwrap_or_default());
                }
            }
            v => println!(
                "{}",
                v.as_str().map_or_else(|| v.to_string(), str::to_string)
            ),
        }
    } else {
        print!("{}", output_line(&key, &value).unwrap_or_default());
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// The document `baken output --json` prints and `deploy --outputs-file` writes.
pub fn document(stack: &str, region: &str, outputs: &Outputs) -> serde_json::Value {
    json!({ "stack": stack, "region": region, "outputs": outputs })
}
