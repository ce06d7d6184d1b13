//! DynamoDB store. A cart is one item whose `items` attribute is a map keyed by item id: an add
//! sets one new key and a removal removes one key, so concurrent requests touch disjoint paths
//! and none can overwrite another's. (A list with `list_append` is atomic on AWS too, but moto
//! applies list updates as read-modify-write without a lock and loses concurrent appends; map
//! keys survive both.) Each entry carries its position (microseconds since the epoch) for the
//! cart's order. A session is one item: its JSON document, its status, and its messages in a map
//! keyed by message id the same way; appending checks status and room in the same write.

use std::collections::HashMap;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;

use super::{
    new_id, Cart, CartItem, Message, Session, Store, StoreError, CART_TTL_SECONDS,
    SESSION_TTL_SECONDS,
};
use crate::domain::time::now_utc_text;

pub struct DynamoStore {
    client: Client,
    cart_table: String,
    session_table: String,
}

type Item = HashMap<String, AttributeValue>;

impl DynamoStore {
    pub fn new(client: Client, cart_table: String, session_table: String) -> DynamoStore {
        DynamoStore {
            client,
            cart_table,
            session_table,
        }
    }
}

fn backend<E: ProvideErrorMetadata + std::fmt::Debug>(op: &str, e: E) -> StoreError {
    StoreError::Backend(format!(
        "{op}: {}: {}",
        e.code().unwrap_or("error"),
        e.message().unwrap_or("no message")
    ))
}

fn is_condition_failure<E: ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("ConditionalCheckFailedException")
}

/// A failed `attribute_exists(cart_id)` condition means the cart is not there.
fn cart_missing(e: SdkError<UpdateItemError, HttpResponse>) -> StoreError {
    let e = e.into_service_error();
    if is_condition_failure(&e) {
        StoreError::CartNotFound
    } else {
        backend("UpdateItem", e)
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn ttl(seconds: i64) -> AttributeValue {
    n(chrono::Utc::now().timestamp() + seconds)
}

fn item_to_av(i: &CartItem) -> AttributeValue {
    AttributeValue::M(HashMap::from([
        (
            "position".to_string(),
            n(chrono::Utc::now().timestamp_micros()),
        ),
        ("item_id".into(), s(&i.item_id)),
        ("race_id".into(), s(&i.race_id)),
        ("race_name".into(), s(&i.race_name)),
        ("bet_type".into(), s(&i.bet_type)),
        (
            "horse_numbers".into(),
            AttributeValue::L(i.horse_numbers.iter().map(|h| n(*h as i64)).collect()),
        ),
        ("amount".into(), n(i.amount)),
        ("added_at".into(), s(&i.added_at)),
    ]))
}

fn get_s(m: &Item, k: &str) -> Result<String, StoreError> {
    match m.get(k) {
        Some(AttributeValue::S(v)) => Ok(v.clone()),
        _ => Err(StoreError::Backend(format!("stored record lacks `{k}`"))),
    }
}

fn get_n(m: &Item, k: &str) -> Result<i64, StoreError> {
    match m.get(k) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| StoreError::Backend(format!("`{k}` is not a number"))),
        _ => Err(StoreError::Backend(format!("stored record lacks `{k}`"))),
    }
}

fn item_from_av(av: &AttributeValue) -> Result<CartItem, StoreError> {
    let AttributeValue::M(m) = av else {
        return Err(StoreError::Backend("cart item is not a map".into()));
    };
    let numbers = match m.get("horse_numbers") {
        Some(AttributeValue::L(l)) => l
            .iter()
            .map(|v| match v {
                AttributeValue::N(x) => x
                    .parse::<u8>()
                    .map_err(|_| StoreError::Backend("bad horse number".into())),
                _ => Err(StoreError::Backend("bad horse number".into())),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    Ok(CartItem {
        item_id: get_s(m, "item_id")?,
        race_id: get_s(m, "race_id")?,
        race_name: get_s(m, "race_name")?,
        bet_type: get_s(m, "bet_type")?,
        horse_numbers: numbers,
        amount: get_n(m, "amount")?,
        added_at: get_s(m, "added_at")?,
    })
}

fn message_to_av(m: &Message, position: i64) -> AttributeValue {
    AttributeValue::M(HashMap::from([
        ("position".to_string(), n(position)),
        ("message_id".into(), s(&m.message_id)),
        ("type".into(), s(&m.kind)),
        ("content".into(), s(&m.content)),
        ("timestamp".into(), s(&m.timestamp)),
    ]))
}

fn message_from_av(av: &AttributeValue) -> Result<(i64, Message), StoreError> {
    let AttributeValue::M(m) = av else {
        return Err(StoreError::Backend("message is not a map".into()));
    };
    let message = Message {
        message_id: get_s(m, "message_id")?,
        kind: get_s(m, "type")?,
        content: get_s(m, "content")?,
        timestamp: get_s(m, "timestamp")?,
    };
    Ok((get_n(m, "position").unwrap_or(0), message))
}

fn cart_from_item(m: &Item) -> Result<Cart, StoreError> {
    let mut entries: Vec<(i64, CartItem)> = match m.get("items") {
        Some(AttributeValue::M(map)) => map
            .values()
            .map(|v| {
                let position = match v {
                    AttributeValue::M(e) => get_n(e, "position").unwrap_or(0),
                    _ => 0,
                };
                item_from_av(v).map(|i| (position, i))
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    entries.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.item_id.cmp(&b.1.item_id)));
    let items = entries.into_iter().map(|(_, i)| i).collect();
    Ok(Cart {
        cart_id: get_s(m, "cart_id")?,
        items,
        updated_at: get_s(m, "updated_at").unwrap_or_default(),
    })
}

#[async_trait::async_trait]
impl Store for DynamoStore {
    async fn add_item(&self, cart_id: Option<&str>, item: CartItem) -> Result<Cart, StoreError> {
        let now = now_utc_text();
        let Some(cart_id) = cart_id else {
            let cart = Cart {
                cart_id: new_id(),
                items: vec![item],
                updated_at: now.clone(),
            };
            let items = cart
                .items
                .iter()
                .map(|i| (i.item_id.clone(), item_to_av(i)))
                .collect();
            self.client
                .put_item()
                .table_name(&self.cart_table)
                .item("cart_id", s(&cart.cart_id))
                .item("items", AttributeValue::M(items))
                .item("updated_at", s(&now))
                .item("ttl", ttl(CART_TTL_SECONDS))
                .condition_expression("attribute_not_exists(cart_id)")
                .send()
                .await
                .map_err(|e| backend("PutItem", e.into_service_error()))?;
            return Ok(cart);
        };
        let out = self
            .cart_update(
                cart_id,
                "SET #items.#id = :item, updated_at = :now, #ttl = :ttl",
                "attribute_exists(cart_id)",
                &item.item_id,
            )
            .expression_attribute_values(":item", item_to_av(&item))
            .send()
            .await
            .map_err(cart_missing)?;
        cart_from_item(out.attributes().unwrap_or(&Item::new()))
    }

    async fn cart(&self, cart_id: &str) -> Result<Option<Cart>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.cart_table)
            .key("cart_id", s(cart_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("GetItem", e.into_service_error()))?;
        out.item().map(cart_from_item).transpose()
    }

    async fn remove_item(&self, cart_id: &str, item_id: &str) -> Result<Cart, StoreError> {
        let result = self
            .cart_update(
                cart_id,
                "REMOVE #items.#id SET updated_at = :now, #ttl = :ttl",
                "attribute_exists(#items.#id)",
                item_id,
            )
            .send()
            .await;
        match result {
            Ok(out) => cart_from_item(out.attributes().unwrap_or(&Item::new())),
            Err(e) => {
                let e = e.into_service_error();
                if !is_condition_failure(&e) {
                    return Err(backend("UpdateItem", e));
                }
                // Tell a missing cart from a missing item.
                match self.cart(cart_id).await? {
                    None => Err(StoreError::CartNotFound),
                    Some(_) => Err(StoreError::ItemNotFound),
                }
            }
        }
    }

    async fn clear_cart(&self, cart_id: &str) -> Result<Cart, StoreError> {
        let out = self
            .cart_update(
                cart_id,
                "SET #items = :empty, updated_at = :now, #ttl = :ttl",
                "attribute_exists(cart_id)",
                "",
            )
            .expression_attribute_values(":empty", AttributeValue::M(HashMap::new()))
            .send()
            .await
            .map_err(cart_missing)?;
        cart_from_item(out.attributes().unwrap_or(&Item::new()))
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        // The document without its messages; they live in a map of their own (see above).
        let doc = serde_json::to_string(&Session {
            messages: Vec::new(),
            ..session.clone()
        })
        .map_err(|e| StoreError::Backend(e.to_string()))?;
        let base = chrono::Utc::now().timestamp_micros();
        let messages = session
            .messages
            .iter()
            .enumerate()
            .map(|(i, m)| (m.message_id.clone(), message_to_av(m, base + i as i64)))
            .collect();
        self.client
            .put_item()
            .table_name(&self.session_table)
            .item("session_id", s(&session.session_id))
            .item("doc", s(&doc))
            .item("status", s(&session.status))
            .item("messages", AttributeValue::M(messages))
            .item("ttl", ttl(SESSION_TTL_SECONDS))
            .condition_expression("attribute_not_exists(session_id)")
            .send()
            .await
            .map_err(|e| backend("PutItem", e.into_service_error()))?;
        Ok(())
    }

    async fn session(&self, session_id: &str) -> Result<Option<Session>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.session_table)
            .key("session_id", s(session_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| backend("GetItem", e.into_service_error()))?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let mut session: Session = serde_json::from_str(&get_s(item, "doc")?)
            .map_err(|e| StoreError::Backend(format!("stored session is not readable: {e}")))?;
        let mut messages: Vec<(i64, Message)> = match item.get("messages") {
            Some(AttributeValue::M(m)) => {
                m.values().map(message_from_av).collect::<Result<_, _>>()?
            }
            _ => Vec::new(),
        };
        messages.sort_by_key(|a| a.0);
        session.messages = messages.into_iter().map(|(_, m)| m).collect();
        Ok(Some(session))
    }

    async fn append_messages(
        &self,
        session_id: &str,
        messages: &[Message],
        max_messages: usize,
    ) -> Result<(), StoreError> {
        let mut update = Vec::new();
        let mut call = self
            .client
            .update_item()
            .table_name(&self.session_table)
            .key("session_id", s(session_id));
        let base = chrono::Utc::now().timestamp_micros();
        for (i, m) in messages.iter().enumerate() {
            update.push(format!("#messages.#m{i} = :m{i}"));
            call = call
                .expression_attribute_names(format!("#m{i}"), &m.message_id)
                .expression_attribute_values(format!(":m{i}"), message_to_av(m, base + i as i64));
        }
        // Checked by DynamoDB in the same write: still in progress, and room for these messages.
        call.update_expression(format!("SET {}, #ttl = :ttl", update.join(", ")))
            .condition_expression("#status = :in_progress AND size(#messages) <= :room")
            .expression_attribute_names("#messages", "messages")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":in_progress", s("in_progress"))
            .expression_attribute_values(
                ":room",
                n(max_messages.saturating_sub(messages.len()) as i64),
            )
            .expression_attribute_values(":ttl", ttl(SESSION_TTL_SECONDS))
            .send()
            .await
            .map_err(|e| {
                let e = e.into_service_error();
                if is_condition_failure(&e) {
                    StoreError::Conflict
                } else {
                    backend("UpdateItem", e)
                }
            })?;
        Ok(())
    }
}

impl DynamoStore {
    /// An UpdateItem on one cart that also refreshes `updated_at` and the TTL; `#id` names the
    /// map key `item_id` when the expression uses it.
    fn cart_update(
        &self,
        cart_id: &str,
        update: &str,
        condition: &str,
        item_id: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        let mut call = self
            .client
            .update_item()
            .table_name(&self.cart_table)
            .key("cart_id", s(cart_id))
            .update_expression(update)
            .condition_expression(condition)
            .expression_attribute_names("#items", "items")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":now", s(&now_utc_text()))
            .expression_attribute_values(":ttl", ttl(CART_TTL_SECONDS))
            .return_values(ReturnValue::AllNew);
        if update.contains("#id") {
            call = call.expression_attribute_names("#id", item_id);
        }
        call
    }
}
