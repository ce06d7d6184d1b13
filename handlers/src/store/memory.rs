//! The in-memory store of `baken dev`: one mutex, so every operation is atomic.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{new_id, Cart, CartItem, Message, Session, Store, StoreError};
use crate::domain::time::now_utc_text;

#[derive(Default)]
pub struct MemoryStore {
    carts: Mutex<HashMap<String, Cart>>,
    sessions: Mutex<HashMap<String, Session>>,
}

fn poisoned<T>(_: T) -> StoreError {
    StoreError::Backend("in-memory store poisoned by an earlier panic".into())
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn add_item(&self, cart_id: Option<&str>, item: CartItem) -> Result<Cart, StoreError> {
        let mut carts = self.carts.lock().map_err(poisoned)?;
        let cart = match cart_id {
            Some(id) => carts.get_mut(id).ok_or(StoreError::CartNotFound)?,
            None => {
                let id = new_id();
                carts.entry(id.clone()).or_insert(Cart {
                    cart_id: id,
                    items: vec![],
                    updated_at: String::new(),
                })
            }
        };
        cart.items.push(item);
        cart.updated_at = now_utc_text();
        Ok(cart.clone())
    }

    async fn cart(&self, cart_id: &str) -> Result<Option<Cart>, StoreError> {
        Ok(self.carts.lock().map_err(poisoned)?.get(cart_id).cloned())
    }

    async fn remove_item(&self, cart_id: &str, item_id: &str) -> Result<Cart, StoreError> {
        let mut carts = self.carts.lock().map_err(poisoned)?;
        let cart = carts.get_mut(cart_id).ok_or(StoreError::CartNotFound)?;
        let pos = cart
            .items
            .iter()
            .position(|i| i.item_id == item_id)
            .ok_or(StoreError::ItemNotFound)?;
        cart.items.remove(pos);
        cart.updated_at = now_utc_text();
        Ok(cart.clone())
    }

    async fn clear_cart(&self, cart_id: &str) -> Result<Cart, StoreError> {
        let mut carts = self.carts.lock().map_err(poisoned)?;
        let cart = carts.get_mut(cart_id).ok_or(StoreError::CartNotFound)?;
        cart.items.clear();
        cart.updated_at = now_utc_text();
        Ok(cart.clone())
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.sessions
            .lock()
            .map_err(poisoned)?
            .insert(session.session_id.clone(), session.clone());
        Ok(())
    }

    async fn session(&self, session_id: &str) -> Result<Option<Session>, StoreError> {
        Ok(self
            .sessions
            .lock()
            .map_err(poisoned)?
            .get(session_id)
            .cloned())
    }

    async fn append_messages(
        &self,
        session_id: &str,
        messages: &[Message],
        max_messages: usize,
    ) -> Result<(), StoreError> {
        let mut sessions = self.sessions.lock().map_err(poisoned)?;
        let session = sessions.get_mut(session_id).ok_or(StoreError::Conflict)?;
        if session.status != "in_progress" || session.messages.len() + messages.len() > max_messages
        {
            return Err(StoreError::Conflict);
        }
        session.messages.extend_from_slice(messages);
        Ok(())
    }
}
