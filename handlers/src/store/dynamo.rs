//! DynamoDB store. A cart is one item whose `items` list grows with `list_append` (atomic, so
//! concurrent adds never overwrite each other); removals are conditional on the element still
//! being the one meant. A session is one item holding its JSON document and a version number;
//! saves are conditional on the version (optimistic locking).

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use aws_sdk_dynamodb::Client;

use super::{
    new_id, Cart, CartItem, Session, Store, StoreError, CART_TTL_SECONDS, SESSION_TTL_SECONDS,
};
use crate::domain::time::now_utc_text;

pub struct DynamoStore {
    client: Client,
    cart_table: String,
    session_table: String,
}

type Item = HashMap<String, AttributeValue>;

/// How often a conditional removal is retried when the list moved under it.
const REMOVE_ATTEMPTS: usize = 8;

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
        ("item_id".to_string(), s(&i.item_id)),
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

fn cart_from_item(m: &Item) -> Result<Cart, StoreError> {
    let items = match m.get("items") {
        Some(AttributeValue::L(l)) => l.iter().map(item_from_av).collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
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
            self.client
                .put_item()
                .table_name(&self.cart_table)
                .item("cart_id", s(&cart.cart_id))
                .item(
                    "items",
                    AttributeValue::L(cart.items.iter().map(item_to_av).collect()),
                )
                .item("updated_at", s(&now))
                .item("ttl", ttl(CART_TTL_SECONDS))
                .condition_expression("attribute_not_exists(cart_id)")
                .send()
                .await
                .map_err(|e| backend("PutItem", e.into_service_error()))?;
            return Ok(cart);
        };
        let out = self
            .client
            .update_item()
            .table_name(&self.cart_table)
            .key("cart_id", s(cart_id))
            .update_expression("SET #items = list_append(if_not_exists(#items, :empty), :new), updated_at = :now, #ttl = :ttl")
            .condition_expression("attribute_exists(cart_id)")
            .expression_attribute_names("#items", "items")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":empty", AttributeValue::L(vec![]))
            .expression_attribute_values(":new", AttributeValue::L(vec![item_to_av(&item)]))
            .expression_attribute_values(":now", s(&now))
            .expression_attribute_values(":ttl", ttl(CART_TTL_SECONDS))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| {
                let e = e.into_service_error();
                if is_condition_failure(&e) { StoreError::CartNotFound } else { backend("UpdateItem", e) }
            })?;
        cart_from_item(
            out.attributes()
                .ok_or_else(|| StoreError::Backend("UpdateItem returned nothing".into()))?,
        )
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
        for _ in 0..REMOVE_ATTEMPTS {
            let cart = self.cart(cart_id).await?.ok_or(StoreError::CartNotFound)?;
            let pos = cart
                .items
                .iter()
                .position(|i| i.item_id == item_id)
                .ok_or(StoreError::ItemNotFound)?;
            // The index is only right if nobody removed an earlier element meanwhile: the
            // condition checks that the element there is still this item.
            let result = self
                .client
                .update_item()
                .table_name(&self.cart_table)
                .key("cart_id", s(cart_id))
                .update_expression(format!(
                    "REMOVE #items[{pos}] SET updated_at = :now, #ttl = :ttl"
                ))
                .condition_expression(format!("#items[{pos}].item_id = :item"))
                .expression_attribute_names("#items", "items")
                .expression_attribute_names("#ttl", "ttl")
                .expression_attribute_values(":item", s(item_id))
                .expression_attribute_values(":now", s(&now_utc_text()))
                .expression_attribute_values(":ttl", ttl(CART_TTL_SECONDS))
                .return_values(ReturnValue::AllNew)
                .send()
                .await;
            match result {
                Ok(out) => return cart_from_item(out.attributes().unwrap_or(&Item::new())),
                Err(e) => {
                    let e = e.into_service_error();
                    if !is_condition_failure(&e) {
                        return Err(backend("UpdateItem", e));
                    }
                }
            }
        }
        Err(StoreError::Conflict)
    }

    async fn clear_cart(&self, cart_id: &str) -> Result<Cart, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.cart_table)
            .key("cart_id", s(cart_id))
            .update_expression("SET #items = :empty, updated_at = :now, #ttl = :ttl")
            .condition_expression("attribute_exists(cart_id)")
            .expression_attribute_names("#items", "items")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":empty", AttributeValue::L(vec![]))
            .expression_attribute_values(":now", s(&now_utc_text()))
            .expression_attribute_values(":ttl", ttl(CART_TTL_SECONDS))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| {
                let e = e.into_service_error();
                if is_condition_failure(&e) {
                    StoreError::CartNotFound
                } else {
                    backend("UpdateItem", e)
                }
            })?;
        cart_from_item(out.attributes().unwrap_or(&Item::new()))
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.put_session(session, 1, "attribute_not_exists(session_id)", None)
            .await
    }

    async fn session(&self, session_id: &str) -> Result<Option<(Session, u64)>, StoreError> {
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
        let doc: Session = serde_json::from_str(&get_s(item, "doc")?)
            .map_err(|e| StoreError::Backend(format!("stored session is not readable: {e}")))?;
        Ok(Some((doc, get_n(item, "version")? as u64)))
    }

    async fn save_session(&self, session: &Session, version: u64) -> Result<(), StoreError> {
        self.put_session(session, version + 1, "version = :expected", Some(version))
            .await
    }
}

impl DynamoStore {
    async fn put_session(
        &self,
        session: &Session,
        version: u64,
        condition: &str,
        expected: Option<u64>,
    ) -> Result<(), StoreError> {
        // The whole session is one JSON string: odds and other decimals keep their exact text,
        // and the item stays one read.
        let doc = serde_json::to_string(session).map_err(|e| StoreError::Backend(e.to_string()))?;
        let mut put = self
            .client
            .put_item()
            .table_name(&self.session_table)
            .item("session_id", s(&session.session_id))
            .item("doc", s(&doc))
            .item("version", n(version as i64))
            .item("ttl", ttl(SESSION_TTL_SECONDS))
            .condition_expression(condition);
        if let Some(v) = expected {
            put = put.expression_attribute_values(":expected", n(v as i64));
        }
        put.send().await.map_err(|e| {
            let e = e.into_service_error();
            if is_condition_failure(&e) {
                StoreError::Conflict
            } else {
                backend("PutItem", e)
            }
        })?;
        Ok(())
    }
}
