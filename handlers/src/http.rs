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
}

impl ApiResponse {
    pub fn ok(body: impl Serialize) -> ApiResponse {
        ApiResponse {
            status: 200,
            body: serde_json::to_value(body).unwrap_or(Value::Null),
        }
    }

    pub fn created(body: impl Serialize) -> ApiResponse {
        ApiResponse {
            status: 201,
            body: serde_json::to_value(body).unwrap_or(Value::Null),
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
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            code: ErrorCode::BadRequest,
            message: message.into(),
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            code: ErrorCode::NotFound,
            message: message.into(),
        }
    }

    pub fn upstream(message: impl Into<String>) -> ApiError {
        ApiError {
            code: ErrorCode::UpstreamUnavailable,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            code: ErrorCode::Internal,
            message: message.into(),
        }
    }

    pub fn into_response(self) -> ApiResponse {
        ApiResponse {
            status: self.code.status(),
            body: json!({"error": {"message": self.message, "code": self.code.as_str()}}),
        }
    }
}

pub type ApiResult = Result<ApiResponse, ApiError>;
