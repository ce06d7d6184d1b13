//! Carts and consultation sessions: one interface, an in-memory and a DynamoDB implementation.
//! Every update is atomic or conditional, so concurrent requests never lose an item.

pub mod dynamo;
pub mod memory;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartItem {
    pub item_id: String,
    pub race_id: String,
    pub race_name: String,
    pub bet_type: String,
    pub horse_numbers: Vec<u8>,
    pub amount: i64,
    pub added_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cart {
    pub cart_id: String,
    pub items: Vec<CartItem>,
    pub updated_at: String,
}

impl Cart {
    /// Saturates instead of overflowing: each amount is bounded by the maximum bet, but that
    /// bound is the operator's to set.
    pub fn total(&self) -> i64 {
        self.items
            .iter()
            .fold(0i64, |sum, i| sum.saturating_add(i.amount))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub message_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub content: String,
    pub timestamp: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub session_id: String,
    pub status: String,
    pub cart_id: String,
    pub cart_items: Vec<CartItem>,
    pub total_amount: i64,
    pub loss_limit: Option<i64>,
    pub data_feedbacks: serde_json::Value,
    pub amount_feedback: serde_json::Value,
    pub messages: Vec<Message>,
    pub started_at: String,
    pub ended_at: Option<String>,
}

/// Time to live: carts a day after their last change, sessions a week.
pub const CART_TTL_SECONDS: i64 = 24 * 3600;
pub const SESSION_TTL_SECONDS: i64 = 7 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("Cart not found")]
    CartNotFound,
    #[error("Item not found")]
    ItemNotFound,
    /// The record changed meanwhile so that the write no longer applies.
    #[error("the record changed meanwhile")]
    Conflict,
    #[error("storage failed: {0}")]
    Backend(String),
}

#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// Appends to `cart_id`, or to a new cart when None. Atomic: concurrent adds all land.
    async fn add_item(&self, cart_id: Option<&str>, item: CartItem) -> Result<Cart, StoreError>;
    async fn cart(&self, cart_id: &str) -> Result<Option<Cart>, StoreError>;
    async fn remove_item(&self, cart_id: &str, item_id: &str) -> Result<Cart, StoreError>;
    async fn clear_cart(&self, cart_id: &str) -> Result<Cart, StoreError>;
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;
    async fn session(&self, session_id: &str) -> Result<Option<Session>, StoreError>;
    /// Appends messages if the session is still in progress and will then hold at most
    /// `max_messages`; else `Conflict`. Concurrent appends all land.
    async fn append_messages(
        &self,
        session_id: &str,
        messages: &[Message],
        max_messages: usize,
    ) -> Result<(), StoreError>;
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
