//! One router for every route of docs/api.md; each host (Lambda, `baken dev`) feeds it requests.

mod body;
pub mod cart;
pub mod consultation;
pub mod races;

use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;

use crate::app::App;
use crate::http::{ApiError, ApiRequest, ApiResponse, ApiResult};

/// Answers a request. Never panics outward: a panic inside becomes a 500 with CORS headers.
pub async fn handle(app: &App, req: ApiRequest) -> ApiResponse {
    match AssertUnwindSafe(route(app, &req)).catch_unwind().await {
        Ok(Ok(resp)) => resp,
        Ok(Err(e)) => e.into_response(),
        Err(_) => ApiError::internal("Internal error").into_response(),
    }
}

async fn route(app: &App, req: &ApiRequest) -> ApiResult {
    let segments: Vec<&str> = req
        .path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("OPTIONS", _) => Ok(ApiResponse::ok(serde_json::json!({}))),
        ("GET", ["races"]) => races::list(app, req).await,
        ("GET", ["races", id]) => races::detail(app, id).await,
        ("POST", ["cart", "items"]) => cart::add(app, req).await,
        ("GET", ["cart", id]) => cart::get(app, id).await,
        ("DELETE", ["cart", id, "items", item]) => cart::remove(app, id, item).await,
        ("DELETE", ["cart", id]) => cart::clear(app, id).await,
        ("POST", ["consultations"]) => consultation::start(app, req).await,
        ("GET", ["consultations", id]) => consultation::get(app, id).await,
        ("POST", ["consultations", id, "messages"]) => consultation::send(app, id, req).await,
        (method, _) => Err(ApiError::not_found(format!(
            "No route for {method} {}",
            req.path
        ))),
    }
}
