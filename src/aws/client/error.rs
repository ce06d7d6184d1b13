//! One error type for every AWS call: which resource, which operation, the AWS error code and
//! message, and what to do next.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Debug, Clone, thiserror::Error, serde::Serialize)]
#[error("{operation} on {resource} failed: {}{message}{}", code.as_ref().map(|c| format!("{c}: ")).unwrap_or_default(), hint.as_ref().map(|h| format!("\n  hint: {h}")).unwrap_or_default())]
pub struct AwsError {
    pub operation: &'static str,
    pub resource: String,
    /// The AWS error code (`AccessDeniedException`, ...); None when no answer came back.
    pub code: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

impl AwsError {
    pub fn new(
        operation: &'static str,
        resource: impl Into<String>,
        message: impl Into<String>,
    ) -> AwsError {
        AwsError {
            operation,
            resource: resource.into(),
            code: None,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> AwsError {
        self.hint = Some(hint.into());
        self
    }

    pub fn code_is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// Turns an SDK error into an `AwsError`, with a hint chosen by the error code.
    pub fn from_sdk<E, R>(
        operation: &'static str,
        resource: impl Into<String>,
        err: SdkError<E, R>,
    ) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug + Send + Sync + 'static,
    {
        let resource = resource.into();
        let (code, message) = match &err {
            // An answer with no AWS error document in it (an emulator's or a proxy's HTML page):
            // its status and first bytes, not the SDK's dump of its parse failure.
            SdkError::ServiceError(_) | SdkError::ResponseError(_) if err.code().is_none() => {
                match err.raw_response().and_then(not_aws) {
                    Some(text) => (None, text),
                    None => (None, source_chain(&err)),
                }
            }
            SdkError::ServiceError(_) => (
                err.code().map(str::to_string),
                err.message()
                    .map(str::to_string)
                    .unwrap_or_else(|| DisplayErrorContext(&err).to_string()),
            ),
            _ => (None, source_chain(&err)),
        };
        let hint = hint_for(code.as_deref(), &err);
        AwsError {
            operation,
            resource,
            code,
            message,
            hint,
        }
    }
}

/// How much of an answer that is not AWS's the error quotes.
const BODY_QUOTED: usize = 120;

/// `HTTP 500, not an AWS answer: <!doctype html> …`: the status and the first bytes of a body
/// that is not an AWS error document, white space folded.
fn not_aws<R: std::any::Any>(raw: &R) -> Option<String> {
    let raw = (raw as &dyn std::any::Any)
        .downcast_ref::<aws_smithy_runtime_api::client::orchestrator::HttpResponse>()?;
    let body = raw.body().bytes().unwrap_or_default();
    let text = String::from_utf8_lossy(body)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let quoted: String = text.chars().take(BODY_QUOTED).collect();
    let more = if quoted.len() < text.len() {
        " …"
    } else {
        ""
    };
    Some(format!(
        "HTTP {}, not an AWS answer: {}{more}",
        raw.status().as_u16(),
        if quoted.is_empty() {
            "(no body)"
        } else {
            &quoted
        }
    ))
}

/// The error and its causes, each once, without the Debug dump DisplayErrorContext adds.
fn source_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

fn hint_for<E, R>(code: Option<&str>, err: &SdkError<E, R>) -> Option<String>
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let hint = match code {
        Some(c) if c.starts_with("AccessDenied") || c == "UnauthorizedOperation" || c == "AuthorizationError" => {
            "the credentials in use lack this permission: grant it, or use --profile for an account that has it"
        }
        Some("ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId" | "UnrecognizedClientException") => {
            "the credentials are missing, expired or invalid: refresh them (aws sso login, or new keys)"
        }
        Some(c) if c.contains("Throttl") || c == "TooManyRequestsException" || c == "LimitExceededException" => {
            "AWS is throttling this account: wait a minute and run the command again; it resumes where it stopped"
        }
        Some("ResourceConflictException" | "ConflictException" | "ResourceInUseException") => {
            "another change to this resource is still in progress: wait for it and run the command again"
        }
        Some(_) => return None,
        None if source_chain(err).contains("credentials") => {
            "no AWS credentials were found: set AWS_PROFILE or --profile, run `aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        }
        None => match err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                "no answer from AWS: check the network, --region and --endpoint-url (or AWS_ENDPOINT_URL)"
            }
            SdkError::ConstructionFailure(_) => {
                "the request could not be built: check that credentials and a region are configured"
            }
            SdkError::ServiceError(_) | SdkError::ResponseError(_) => {
                "the answer was not AWS's: something in between (--endpoint-url, HTTPS_PROXY) answered, or AWS failed; run the command again, it continues where it stopped"
            }
            _ => return None,
        },
    };
    Some(hint.to_string())
}

/// `Ok(None)` for the error codes that mean "not there", so reads can treat absence as a value.
pub fn absent_if<T>(result: Result<T, AwsError>, codes: &[&str]) -> Result<Option<T>, AwsError> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if codes.iter().any(|c| e.code_is(c)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `map_err` adapter: `.map_err(on("GetRole", format!("role {name}")))`.
pub fn on<E, R>(
    operation: &'static str,
    resource: impl Into<String>,
) -> impl FnOnce(SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let resource = resource.into();
    move |e| AwsError::from_sdk(operation, resource, e)
}
