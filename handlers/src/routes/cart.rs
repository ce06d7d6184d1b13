//! The cart routes: add, read, remove one item, empty.

use chrono::Utc;
use serde_json::json;

use super::body::Body;
use crate::app::App;
use crate::domain::bet::{check_amount, normalise_numbers, BetType, ALL_BET_TYPES};
use crate::domain::time::now_utc_text;
use crate::http::{ApiError, ApiRequest, ApiResponse, ApiResult};
use crate::races::Race;
use crate::store::{new_id, Cart, CartItem, StoreError};

pub fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::CartNotFound => ApiError::not_found("Cart not found"),
        StoreError::ItemNotFound => ApiError::not_found("Item not found"),
        StoreError::Conflict => {
            ApiError::internal("The cart changed too often meanwhile; try again")
        }
        StoreError::Backend(m) => ApiError::internal(format!("Storage failed: {m}")),
    }
}

/// Every selected horse (or bracket) must run in the race.
fn check_selection(race: &Race, bet: BetType, numbers: &[u8]) -> Result<(), ApiError> {
    if bet.uses_brackets() {
        for (i, b) in numbers.iter().enumerate() {
            let running = race
                .runners
                .iter()
                .filter(|r| r.bracket_number == *b && !r.scratched)
                .count();
            let needed = 1 + usize::from(numbers[..i].contains(b));
            if running < needed {
                return Err(ApiError::bad_request(format!(
                    "{b}枠には選択できる出走馬がいません"
                )));
            }
        }
        return Ok(());
    }
    for n in numbers {
        match race.runner(*n) {
            None => {
                return Err(ApiError::bad_request(format!(
                    "{n}番はこのレースに出走しません"
                )))
            }
            Some(r) if r.scratched => {
                return Err(ApiError::bad_request(format!(
                    "{n}番{}は出走取消のため選択できません",
                    r.horse_name
                )))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

pub async fn add(app: &App, req: &ApiRequest) -> ApiResult {
    let body = Body::parse(req)?;
    let cart_id = body.optional_str("cart_id")?.filter(|c| !c.is_empty());
    let race_id = body.required_str("race_id")?;
    body.optional_str("race_name")?;
    let bet_text = body.required_str("bet_type")?;
    let bet = BetType::parse(bet_text).ok_or_else(|| {
        let all: Vec<&str> = ALL_BET_TYPES.iter().map(|t| t.wire()).collect();
        ApiError::bad_request(format!(
            "Unknown bet_type `{bet_text}`: use one of {}",
            all.join(", ")
        ))
    })?;
    let numbers = normalise_numbers(bet, &body.required_int_list("horse_numbers")?)?;
    let amount = body.required_int("amount")?;
    check_amount(amount, app.max_bet_amount)?;

    let race = app
        .races
        .race(race_id)
        .await?
        .ok_or_else(|| ApiError::bad_request(format!("Race not found: {race_id}")))?;
    if Utc::now() > race.betting_deadline() {
        return Err(ApiError::bad_request(format!(
            "{}の投票締め切りを過ぎています",
            race.race_name
        )));
    }
    check_selection(&race, bet, &numbers)?;

    let item = CartItem {
        item_id: new_id(),
        race_id: race.race_id.clone(),
        race_name: race.race_name.clone(),
        bet_type: bet.wire().to_string(),
        horse_numbers: numbers,
        amount,
        added_at: now_utc_text(),
    };
    let item_id = item.item_id.clone();
    let cart = app
        .store
        .add_item(cart_id, item)
        .await
        .map_err(store_error)?;
    Ok(ApiResponse::created(json!({
        "cart_id": cart.cart_id,
        "item_id": item_id,
        "item_count": cart.items.len(),
        "total_amount": cart.total(),
    })))
}

fn cart_body(cart: &Cart) -> serde_json::Value {
    json!({
        "cart_id": cart.cart_id,
        "items": cart.items,
        "total_amount": cart.total(),
        "is_empty": cart.items.is_empty(),
    })
}

/// The cart, or the 404 every route answers for an unknown one.
pub async fn cart_or_404(app: &App, cart_id: &str) -> Result<Cart, ApiError> {
    app.store
        .cart(cart_id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::not_found("Cart not found"))
}

pub async fn get(app: &App, cart_id: &str) -> ApiResult {
    let cart = cart_or_404(app, cart_id).await?;
    Ok(ApiResponse::ok(cart_body(&cart)))
}

pub async fn remove(app: &App, cart_id: &str, item_id: &str) -> ApiResult {
    let cart = app
        .store
        .remove_item(cart_id, item_id)
        .await
        .map_err(store_error)?;
    Ok(ApiResponse::ok(
        json!({"success": true, "item_count": cart.items.len(), "total_amount": cart.total()}),
    ))
}

pub async fn clear(app: &App, cart_id: &str) -> ApiResult {
    app.store.clear_cart(cart_id).await.map_err(store_error)?;
    Ok(ApiResponse::ok(
        json!({"success": true, "item_count": 0, "total_amount": 0}),
    ))
}
