//! `baken iam-policy`: the deploying role's policy document, from the service modules' own
//! statements (`baken::aws::permissions`). The account id comes from the credentials in use.

use std::process::ExitCode;

use baken::adopt::permissions as adopt;
use baken::aws::permissions::Scope;
use baken::aws::policy::policy;

use super::args::IamPolicyArgs;
use super::context::{load_stack, mode, open_session};
use super::error::{CliError, EXIT_OK};

pub async fn run(args: &IamPolicyArgs) -> Result<ExitCode, CliError> {
    let stack = load_stack(&args.global.source)?;
    let (mode, _) = mode(&stack, args.mode)?;
    let session = open_session(&args.global, stack).await?;
    let scope = Scope {
        stack: &session.stack,
        account: &session.account.id,
        region: &session.stack.region,
        mode,
    };
    let mut doc = policy(&scope);
    if !args.adopt.is_empty() {
        // Roles the templates name outright are outside the `<stack>-*` names; a stack that
        // cannot be read (no permission yet) leaves them out, and says so.
        let declared = match adopt::declared(&session.clients, &args.adopt).await {
            Ok(d) => d,
            Err(e) => {
                eprintln!("warning: the stacks' templates could not be read ({e}); roles they name outright are not in this policy");
                Vec::new()
            }
        };
        let extra = adopt::permissions(&scope, &args.adopt, &declared);
        if let Some(list) = doc["Statement"].as_array_mut() {
            list.extend(
                extra
                    .iter()
                    .map(|s| serde_json::to_value(s).unwrap_or_default()),
            );
        }
    }
    // An IAM policy document as IAM takes it (`aws iam create-policy --policy-document file://…`),
    // so no `schema_version` is added.
    println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
    Ok(ExitCode::from(EXIT_OK))
}
