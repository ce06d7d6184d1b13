//! The consultation routes: start, read, send a message.

use serde_json::json;

use super::body::Body;
use super::cart::{cart_or_404, store_error};
use crate::advisor::ChatView;
use crate::app::App;
use crate::consultation::{amount_feedback, data_feedback, races_for, view};
use crate::domain::time::now_utc_text;
use crate::http::{ApiError, ApiRequest, ApiResponse, ApiResult};
use crate::store::{new_id, Message, Session, StoreError};

/// A message's length bound and the history's, so a session always fits one DynamoDB item
/// (400 KB): 100 messages of at most 1 000 characters (3 bytes each in UTF-8) stay far below it.
pub const MAX_CONTENT_CHARS: usize = 1000;
pub const MAX_MESSAGES: usize = 100;

fn message(kind: &str, content: String) -> Message {
    Message {
        message_id: new_id(),
        kind: kind.into(),
        content,
        timestamp: now_utc_text(),
    }
}

fn session_body(s: &Session) -> serde_json::Value {
    json!({
        "session_id": s.session_id,
        "status": s.status,
        "cart_items": s.cart_items,
        "messages": s.messages,
        "total_amount": s.total_amount,
        "data_feedbacks": s.data_feedbacks,
        "amount_feedback": s.amount_feedback,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
    })
}

/// A trillion yen: far above any real limit, far below where arithmetic on it could overflow.
pub const MAX_LOSS_LIMIT: i64 = 1_000_000_000_000;

pub async fn start(app: &App, req: &ApiRequest) -> ApiResult {
    let body = Body::parse(req)?;
    let cart_id = body.required_str("cart_id")?;
    let loss_limit = body.optional_int("loss_limit")?;
    if loss_limit.is_some_and(|l| l < 0) {
        return Err(ApiError::bad_request("loss_limit must not be negative"));
    }
    if loss_limit.is_some_and(|l| l > MAX_LOSS_LIMIT) {
        return Err(ApiError::bad_request(format!(
            "loss_limit must be at most {MAX_LOSS_LIMIT} yen"
        )));
    }
    let cart = cart_or_404(app, cart_id).await?;
    if cart.items.is_empty() {
        return Err(ApiError::bad_request("Cart is empty"));
    }
    let races = races_for(app.races.as_ref(), &cart.items).await;
    let mut feedbacks = Vec::new();
    for item in &cart.items {
        feedbacks.push(data_feedback(app.advisor.as_ref(), &view(item, &races)).await);
    }
    let total = cart.total();
    let amount = amount_feedback(total, loss_limit);
    let session = Session {
        session_id: new_id(),
        status: "in_progress".into(),
        cart_id: cart.cart_id.clone(),
        cart_items: cart.items.clone(),
        total_amount: total,
        loss_limit,
        messages: vec![message(
            "system",
            amount["comment"].as_str().unwrap_or_default().to_string(),
        )],
        data_feedbacks: json!(feedbacks),
        amount_feedback: amount,
        started_at: now_utc_text(),
        ended_at: None,
    };
    app.store
        .create_session(&session)
        .await
        .map_err(store_error)?;
    Ok(ApiResponse::created(json!({
        "session_id": session.session_id,
        "status": session.status,
        "cart_items": session.cart_items,
        "total_amount": session.total_amount,
        "data_feedbacks": session.data_feedbacks,
        "amount_feedback": session.amount_feedback,
    })))
}

async fn session_or_404(app: &App, session_id: &str) -> Result<Session, ApiError> {
    app.store
        .session(session_id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found("Session not found"))
}

pub async fn get(app: &App, session_id: &str) -> ApiResult {
    let session = session_or_404(app, session_id).await?;
    Ok(ApiResponse::ok(session_body(&session)))
}

pub async fn send(app: &App, session_id: &str, req: &ApiRequest) -> ApiResult {
    let body = Body::parse(req)?;
    let content = body.required_str("content")?.trim().to_string();
    let chars = content.chars().count();
    if chars > MAX_CONTENT_CHARS {
        return Err(ApiError::bad_request(format!(
            "content is too long: {chars} characters, at most {MAX_CONTENT_CHARS}"
        )));
    }
    let session = session_or_404(app, session_id).await?;
    if session.status != "in_progress" {
        return Err(ApiError::bad_request("Session is not in progress"));
    }
    let full = || {
        ApiError::bad_request(format!("This consultation has reached its limit of {MAX_MESSAGES} messages; start a new consultation"))
    };
    if session.messages.len() + 2 > MAX_MESSAGES {
        return Err(full());
    }
    let races = races_for(app.races.as_ref(), &session.cart_items).await;
    let views: Vec<_> = session.cart_items.iter().map(|i| view(i, &races)).collect();
    let reply = app
        .advisor
        .reply(&ChatView {
            items: &views,
            total_amount: session.total_amount,
            loss_limit: session.loss_limit,
            history: &session.messages,
            question: &content,
        })
        .await;
    let user = message("user", content);
    let ai = message("ai", reply);
    match app
        .store
        .append_messages(session_id, &[user.clone(), ai.clone()], MAX_MESSAGES)
        .await
    {
        Ok(()) => {}
        // Between the read and the write the session filled up (or was closed).
        Err(StoreError::Conflict) => return Err(full()),
        Err(e) => return Err(store_error(e)),
    }
    let mut messages = session.messages;
    messages.extend([user.clone(), ai.clone()]);
    Ok(ApiResponse::ok(json!({
        "user_message": {"message_id": user.message_id, "content": user.content},
        "ai_message": {"message_id": ai.message_id, "content": ai.content},
        "messages": messages,
    })))
}
