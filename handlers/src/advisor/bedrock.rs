//! A language-model advisor: Amazon Bedrock's Converse API behind the same `Advisor` trait. Every
//! call has a deadline; when the model fails, times out or answers nothing, the rule-based answer
//! is used, so the person always gets a reply.

use std::time::Duration;

use aws_sdk_bedrockruntime::types::{
    ContentBlock, ConversationRole, Message as ModelMessage, SystemContentBlock,
};
use aws_sdk_bedrockruntime::Client;

use super::rule_based::RuleBasedAdvisor;
use super::{Advisor, ChatView, ItemView};

const SYSTEM_PROMPT: &str = "あなたは競馬の馬券購入前に相談に乗るアドバイザーです。\
データ（オッズから見た的中確率、JRAの払戻率、近走成績、騎手成績、合計掛け金と残り許容負け額）に基づいて、\
日本語で簡潔に答えてください。賭け金を増やすことや追加の購入を勧めてはいけません。\
負けてもよい範囲を超えないよう、必要なら購入を見送る選択肢も示してください。";

pub struct BedrockAdvisor {
    client: Client,
    model_id: String,
    timeout: Duration,
    fallback: RuleBasedAdvisor,
}

impl BedrockAdvisor {
    pub fn new(client: Client, model_id: String, timeout: Duration) -> BedrockAdvisor {
        BedrockAdvisor {
            client,
            model_id,
            timeout,
            fallback: RuleBasedAdvisor,
        }
    }

    /// One Converse call; None on any failure, an empty answer, or the deadline.
    async fn converse(&self, messages: Vec<ModelMessage>) -> Option<String> {
        let call = self
            .client
            .converse()
            .model_id(&self.model_id)
            .system(SystemContentBlock::Text(SYSTEM_PROMPT.into()))
            .set_messages(Some(messages))
            .send();
        let out = match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => {
                eprintln!("bedrock advisor: Converse failed, using the rule-based answer: {e}");
                return None;
            }
            Err(_) => {
                eprintln!(
                    "bedrock advisor: no answer within {:?}, using the rule-based answer",
                    self.timeout
                );
                return None;
            }
        };
        let message = out.output()?.as_message().ok()?;
        let text: Vec<&str> = message
            .content()
            .iter()
            .filter_map(|c| c.as_text().ok())
            .map(String::as_str)
            .collect();
        let text = text.join("").trim().to_string();
        (!text.is_empty()).then_some(text)
    }
}

fn message(role: ConversationRole, text: String) -> Option<ModelMessage> {
    ModelMessage::builder()
        .role(role)
        .content(ContentBlock::Text(text))
        .build()
        .ok()
}

#[async_trait::async_trait]
impl Advisor for BedrockAdvisor {
    async fn item_comment(&self, view: &ItemView<'_>) -> String {
        let facts = self.fallback.item_comment(view).await;
        let prompt = format!(
            "買い目: {} {} {:?} {}円\n分析: {facts}\nこの買い目について、購入前に確認すべきことを2〜3文で述べてください。",
            view.item.race_name, view.bet.japanese(), view.item.horse_numbers, view.item.amount
        );
        match message(ConversationRole::User, prompt) {
            Some(m) => self.converse(vec![m]).await.unwrap_or(facts),
            None => facts,
        }
    }

    async fn reply(&self, view: &ChatView<'_>) -> String {
        let fallback = self.fallback.reply(view).await;
        // Converse wants alternating turns starting with the user; system notes stay out.
        let mut turns: Vec<ModelMessage> = Vec::new();
        for m in view.history.iter().filter(|m| m.kind != "system") {
            let role = if m.kind == "user" {
                ConversationRole::User
            } else {
                ConversationRole::Assistant
            };
            if turns.is_empty() && role != ConversationRole::User {
                continue;
            }
            turns.extend(message(role, m.content.clone()));
        }
        let context = format!("（参考データ: {fallback}）\n{}", view.question);
        turns.extend(message(ConversationRole::User, context));
        self.converse(turns).await.unwrap_or(fallback)
    }
}
