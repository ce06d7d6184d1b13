//! The API's request and response, independent of who carries them (API Gateway or `baken dev`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

/// Headers on every answer, success or error (docs/api.md, Conventions).
pub const RESPONSE_HEADERS: [(&str, &str); 4] = [
    ("Content-Type", "application/json"),
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Headers", "Content-Type,Authorization"),
    (
        "Access-Control-Allow-Methods",
        "GET,POST,PUT,DELETE,OPTIONS",
    ),
];

/// Bodies above this are refused before parsing (API Gateway's own limit is 10 MB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Default)]
pub struct ApiRequest {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub body: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    pub status: u16,
    pub body: Value,
    /// Seconds, for `Retry-After` (a 503 that knows when the data is back).
    pub retry_after: Option<u64>,
}

impl ApiResponse {
    /// Every header of the answer: the fixed ones, and `Retry-After` when known.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = RESPONSE_HEADERS
            .iter()
            .map(|(k, v)| (*k, v.to_string()))
            .collect();
        if let Some(s) = self.retry_after {
            out.push(("Retry-After", s.to_string()));
        }
        out
    }
}

impl ApiResponse {
    pub fn ok(body: impl Serialize) -> ApiResponse {
        ApiResponse {
            status: 200,
            body: serde_json::to_value(body).unwrap_or(Value::Null),
            retry_after: None,
        }
    }

    pub fn created(body: impl Serialize) -> ApiResponse {
        ApiResponse {
            status: 201,
            body: serde_json::to_value(body).unwrap_or(Value::Null),
            retry_after: None,
        }
    }

    /// The body as sent: JSON with Japanese text unescaped.
    pub fn body_text(&self) -> String {
        serde_json::to_string(&self.body).unwrap_or_else(|_| "{}".into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadRequest,
    NotFound,
    UpstreamUnavailable,
    Internal,
}

impl ErrorCode {
    fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::NotFound => 404,
            ErrorCode::UpstreamUnavailable => 503,
            ErrorCode::Internal => 500,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::UpstreamUnavailable => "UPSTREAM_UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL_ERROR",
        }
    }
}

/// An answer that is not a success, with the message the person sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// When the answer is worth asking for again, and when (`Retry-After`, `available_at`).
    pub retry: Option<Retry>,
}

/// When a 503's data is back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    pub after_seconds: u64,
    /// ISO 8601, in the schedule's time zone.
    pub at: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            code: ErrorCode::BadRequest,
            message: message.into(),
            retry: None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            code: ErrorCode::NotFound,
            message: message.into(),
            retry: None,
        }
    }

    pub fn upstream(message: impl Into<String>) -> ApiError {
        ApiError {
            code: ErrorCode::UpstreamUnavailable,
            message: message.into(),
            retry: None,
        }
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            code: ErrorCode::Internal,
            message: message.into(),
            retry: None,
        }
    }

    /// The race data is not there until `retry.at`: the gateway is stopped on its schedule.
    pub fn stopped_until(message: impl Into<String>, retry: Retry) -> ApiError {
        ApiError {
            retry: Some(retry),
            ..ApiError::upstream(message)
        }
    }

    pub fn into_response(self) -> ApiResponse {
        let mut error = json!({"message": self.message, "code": self.code.as_str()});
        if let Some(r) = &self.retry {
            error["available_at"] = json!(r.at);
        }
        ApiResponse {
            status: self.code.status(),
            body: json!({ "error": error }),
            retry_after: self.retry.map(|r| r.after_seconds),
        }
    }
}

pub type ApiResult = Result<ApiResponse, ApiError>;
