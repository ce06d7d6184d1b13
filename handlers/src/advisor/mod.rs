//! The consultation's advisor: comments on each bet and answers to the person's messages. The
//! default is rule-based and deterministic; a language model can stand behind the same trait.

pub mod bedrock;
pub mod chance;
pub mod rule_based;

use crate::domain::bet::BetType;
use crate::races::Race;
use crate::store::{CartItem, Message};

/// What the advisor knows about one cart item.
pub struct ItemView<'a> {
    pub item: &'a CartItem,
    pub bet: BetType,
    pub race: Option<&'a Race>,
    pub closed: bool,
    pub scratched: Vec<u8>,
    pub missing: Vec<u8>,
}

/// What the advisor knows when answering a message.
pub struct ChatView<'a> {
    pub items: &'a [ItemView<'a>],
    pub total_amount: i64,
    pub loss_limit: Option<i64>,
    pub history: &'a [Message],
    pub question: &'a str,
}

#[async_trait::async_trait]
pub trait Advisor: Send + Sync {
    async fn item_comment(&self, view: &ItemView<'_>) -> String;
    async fn reply(&self, view: &ChatView<'_>) -> String;
}
