//! Raw manifest → resolved model. Every default of docs/design.md is filled in here and every value AWS
//! would reject is refused here, all problems at once, each with its place in the file.

use std::collections::BTreeSet;

mod jravan;

pub use super::cidr::Cidr;
use super::error::{Location, Problem};
use super::locate::Locator;
use super::raw::*;
use crate::model::names::{self, FUNCTION_NAME_MAX, IAM_ROLE_NAME_MAX};
use crate::model::{
    catalog, Alerts, Api, Architecture, Cors, Function, HandlerSettings, Mode, Stack, FUNCTIONS,
};
use jravan::resolve_jravan;

/// Retention periods CloudWatch Logs accepts (PutRetentionPolicy).
pub const LOG_RETENTION_DAYS: [i64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

struct Checker<'a> {
    locator: &'a Locator,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn problem(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            key: key.trim_end_matches("#key").to_string(),
            location: self.locator.find(key),
            message: message.into(),
        });
    }

    fn int_in(
        &mut self,
        key: &str,
        value: Option<i64>,
        default: i64,
        lo: i64,
        hi: i64,
        what: &str,
    ) -> i64 {
        match value {
            None => default,
            Some(v) if (lo..=hi).contains(&v) => v,
            Some(v) => {
                self.problem(
                    key,
                    format!("{what} must be between {lo} and {hi}, got {v}"),
                );
                default
            }
        }
    }
}

/// CORS values become response headers of every preflight: bounded far above real use.
const MAX_CORS_VALUE: usize = 256;
const MAX_CORS_HEADERS: usize = 50;

pub fn resolve(raw: RawManifest, locator: &Locator) -> Result<Stack, Vec<Problem>> {
    let mut c = Checker {
        locator,
        problems: Vec::new(),
    };

    // No default: a manifest that lost its `stack:` must not reconcile some other stack.
    let stack = match raw.stack {
        Some(s) => {
            check_stack_name(&mut c, &s);
            s
        }
        None => {
            c.problems.push(Problem {
                key: "stack".into(),
                location: Some(Location { line: 1, column: 1 }),
                message: "`stack` is required: the name of the stack this manifest deploys (e.g. `stack: baken-kaigi`)".into(),
            });
            "baken-kaigi".to_string()
        }
    };

    let region = raw.region.unwrap_or_else(|| "ap-northeast-1".to_string());
    if !is_region(&region) {
        c.problem(
            "region",
            format!("`{region}` is not an AWS region name (expected the form ap-northeast-1)"),
        );
    }

    let mode = match raw.mode {
        None | Some(RawMode::Mock) => Mode::Mock,
        Some(RawMode::Jravan) => Mode::Jravan,
    };

    let cart_table = table_name(&mut c, "tables.cart.name", raw.tables.cart, &stack, "cart");
    let session_table = table_name(
        &mut c,
        "tables.session.name",
        raw.tables.session,
        &stack,
        "consultation-session",
    );
    if cart_table == session_table {
        c.problem(
            "tables.session.name",
            format!("the cart and session tables must differ, both are `{cart_table}`"),
        );
    }

    let functions = resolve_functions(&mut c, &raw.functions, &stack);
    let log_retention_days = match raw.functions.log_retention_days {
        None => 14,
        Some(d) if LOG_RETENTION_DAYS.contains(&d) => d,
        Some(d) => {
            c.problem(
                "functions.log_retention_days",
                format!("CloudWatch Logs does not accept a retention of {d} days; use one of {LOG_RETENTION_DAYS:?}"),
            );
            14
        }
    } as i32;

    let account_id = raw.account_id.filter(|id| {
        let ok = id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            c.problem(
                "account_id",
                format!(
                    "`{id}` is not an AWS account id (12 digits; quote one that starts with 0)"
                ),
            );
        }
        ok
    });
    let api = resolve_api(&mut c, raw.api, &stack);
    let handlers = resolve_handlers(&mut c, raw.handlers);
    let jravan = resolve_jravan(&mut c, raw.jravan, &stack);
    let alerts = resolve_alerts(&mut c, raw.alerts);

    if c.problems.is_empty() {
        Ok(Stack {
            name: stack,
            region,
            account_id,
            mode,
            cart_table,
            session_table,
            functions,
            log_retention_days,
            api,
            handlers,
            jravan,
            protection: raw.protection.unwrap_or(true),
            environment: None,
            alerts,
        })
    } else {
        Err(c.problems)
    }
}

/// The addresses alarms are mailed to: each once, each an address SNS takes (one `@`, a
/// dotted domain, no spaces; at most 254 characters, RFC 5321's limit).
fn resolve_alerts(c: &mut Checker, raw: RawAlerts) -> Option<Alerts> {
    let emails = raw.email?;
    if emails.is_empty() {
        c.problem(
            "alerts.email",
            "give at least one address, or leave `alerts` out",
        );
    }
    let mut seen = BTreeSet::new();
    for e in &emails {
        let valid = match e.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && !e.contains(char::is_whitespace)
                    && e.len() <= 254
            }
            None => false,
        };
        if !valid {
            c.problem(
                "alerts.email",
                format!("`{e}` is not an email address like ops@example.com"),
            );
        } else if !seen.insert(e.to_ascii_lowercase()) {
            c.problem("alerts.email", format!("`{e}` is listed twice"));
        }
    }
    Some(Alerts { emails })
}

fn check_stack_name(c: &mut Checker, stack: &str) {
    let ok_chars = stack
        .chars()
        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-');
    if stack.is_empty()
        || !ok_chars
        || !stack.starts_with(|ch: char| ch.is_ascii_lowercase())
        || stack.ends_with('-')
    {
        c.problem(
            "stack",
            format!("`{stack}` is not a valid stack name: use lower-case letters, digits and hyphens, starting with a letter"),
        );
        return;
    }
    // EC2 reserves the `sg-` prefix: the security groups `<stack>-lambda-sg` could not be named.
    if stack == "sg" || stack.starts_with("sg-") {
        c.problem(
            "stack",
            format!("`{stack}` cannot prefix security group names: EC2 reserves names starting with `sg-`"),
        );
    }
    // The longest derived names: a role and a function per API function.
    let longest = catalog::function_suffixes()
        .max_by_key(|s| s.len())
        .unwrap_or_default();
    let role = names::role_name(stack, longest);
    if role.len() > IAM_ROLE_NAME_MAX.min(FUNCTION_NAME_MAX) {
        c.problem(
            "stack",
            format!(
                "stack name `{stack}` is too long: the IAM role and Lambda function `{role}` would be {} characters, AWS allows {IAM_ROLE_NAME_MAX}; use at most {} characters",
                role.len(),
                IAM_ROLE_NAME_MAX - longest.len() - 1
            ),
        );
    }
}

fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

fn table_name(
    c: &mut Checker,
    key: &str,
    raw: Option<RawTable>,
    stack: &str,
    default: &str,
) -> String {
    let name = raw
        .and_then(|t| t.name)
        .unwrap_or_else(|| names::default_table_name(stack, default));
    let ok = (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'));
    if !ok {
        c.problem(key, format!("`{name}` is not a DynamoDB table name: 3 to 255 characters of a-z, A-Z, 0-9, `_`, `-`, `.`"));
    }
    name
}

fn resolve_functions(c: &mut Checker, raw: &RawFunctions, stack: &str) -> Vec<Function> {
    let memory = c.int_in(
        "functions.memory",
        raw.memory,
        128,
        128,
        10240,
        "Lambda memory (MB)",
    );
    let timeout = c.int_in(
        "functions.timeout",
        raw.timeout,
        30,
        1,
        900,
        "Lambda timeout (seconds)",
    );
    let architecture = match raw.architecture {
        None | Some(RawArchitecture::X86_64) => Architecture::X86_64,
        Some(RawArchitecture::Arm64) => Architecture::Arm64,
    };
    let known: BTreeSet<&str> = catalog::function_suffixes().collect();
    for name in raw.overrides.keys() {
        if !known.contains(name.as_str()) {
            c.problem(
                &format!("functions.overrides.{name}#key"),
                format!(
                    "no function `{name}`; the functions are {}",
                    known.iter().copied().collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    FUNCTIONS
        .iter()
        .map(|def| {
            let o = raw.overrides.get(def.suffix);
            let key = |field: &str| format!("functions.overrides.{}.{field}", def.suffix);
            Function {
                def,
                name: names::function_name(stack, def.suffix),
                memory_mb: c.int_in(
                    &key("memory"),
                    o.and_then(|o| o.memory),
                    memory,
                    128,
                    10240,
                    "Lambda memory (MB)",
                ) as i32,
                timeout_s: c.int_in(
                    &key("timeout"),
                    o.and_then(|o| o.timeout),
                    timeout,
                    1,
                    900,
                    "Lambda timeout (seconds)",
                ) as i32,
                architecture,
            }
        })
        .collect()
}

fn resolve_api(c: &mut Checker, raw: RawApi, stack: &str) -> Api {
    let name = raw.name.unwrap_or_else(|| names::default_api_name(stack));
    if name.is_empty() || name.len() > 1024 {
        c.problem("api.name", "the REST API name must be 1 to 1024 characters");
    }
    let stage = raw.stage.unwrap_or_else(|| "prod".to_string());
    if stage.is_empty()
        || stage.len() > 128
        || !stage
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
    {
        c.problem(
            "api.stage",
            format!(
                "`{stage}` is not a stage name: 1 to 128 characters of letters, digits and `_`"
            ),
        );
    }
    let allow_origin = raw.cors.allow_origin.unwrap_or_else(|| "*".to_string());
    if allow_origin.is_empty()
        || allow_origin.len() > MAX_CORS_VALUE
        || allow_origin.contains(['\'', ' '])
    {
        c.problem("api.cors.allow_origin", format!("`{allow_origin}` is not an origin: `*` or a scheme://host[:port] without quotes or spaces"));
    }
    let allow_headers = raw
        .cors
        .allow_headers
        .unwrap_or_else(|| vec!["Content-Type".into(), "Authorization".into()]);
    if allow_headers.len() > MAX_CORS_HEADERS {
        c.problem(
            "api.cors.allow_headers",
            format!(
                "at most {MAX_CORS_HEADERS} headers, got {}",
                allow_headers.len()
            ),
        );
    }
    for (i, h) in allow_headers.iter().enumerate() {
        if h.is_empty()
            || h.len() > MAX_CORS_VALUE
            || !h.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-')
        {
            c.problem(
                &format!("api.cors.allow_headers.{i}"),
                format!("`{h}` is not an HTTP header name"),
            );
        }
    }
    let allow_methods = raw.cors.allow_methods.unwrap_or_else(|| {
        ["GET", "POST", "PUT", "DELETE", "OPTIONS"]
            .map(String::from)
            .to_vec()
    });
    const METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "HEAD"];
    for (i, m) in allow_methods.iter().enumerate() {
        if !METHODS.contains(&m.as_str()) {
            c.problem(
                &format!("api.cors.allow_methods.{i}"),
                format!(
                    "`{m}` is not an HTTP method; use one of {}",
                    METHODS.join(", ")
                ),
            );
        }
    }
    // API Gateway refuses stage limits above the account's (10 000 requests/s, burst 5 000).
    let rate_limit = match raw.throttling.rate_limit {
        None => 50.0,
        Some(r) if r > 0.0 && r <= 10000.0 => r,
        Some(r) => {
            c.problem(
                "api.throttling.rate_limit",
                format!("requests per second must be above 0 and at most 10000, got {r}"),
            );
            50.0
        }
    };
    let burst_limit = c.int_in(
        "api.throttling.burst_limit",
        raw.throttling.burst_limit,
        100,
        0,
        5000,
        "the burst limit",
    ) as i32;
    Api {
        name,
        stage,
        cors: Cors {
            allow_origin,
            allow_headers,
            allow_methods,
        },
        rate_limit,
        burst_limit,
    }
}

fn resolve_handlers(c: &mut Checker, raw: RawHandlers) -> HandlerSettings {
    let max_bet_amount = match raw.max_bet_amount {
        None => 1_000_000,
        Some(v) if v >= 100 && v % 100 == 0 => v,
        Some(v) => {
            c.problem(
                "handlers.max_bet_amount",
                format!("the maximum bet must be at least 100 yen in steps of 100, got {v}"),
            );
            1_000_000
        }
    };
    let advisor = match raw.advisor {
        None | Some(RawAdvisor::RuleBased) => "rule-based",
        Some(RawAdvisor::Bedrock) => "bedrock",
    };
    if advisor == "bedrock" && raw.bedrock_model_id.is_none() {
        c.problem(
            "handlers.advisor",
            "the bedrock advisor needs `handlers.bedrock_model_id`",
        );
    }
    HandlerSettings {
        max_bet_amount,
        advisor: advisor.to_string(),
        bedrock_model_id: raw.bedrock_model_id,
    }
}
