//! GET /races and GET /races/{race_id}.

use chrono::NaiveDate;
use serde_json::json;

use crate::app::App;
use crate::http::{ApiError, ApiRequest, ApiResponse, ApiResult};
use crate::races::venues;

pub async fn list(app: &App, req: &ApiRequest) -> ApiResult {
    let date = req
        .query
        .get("date")
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ApiError::bad_request("date parameter is required"))?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .filter(|_| date.len() == 10)
        .ok_or_else(|| ApiError::bad_request("Invalid date format. Use YYYY-MM-DD"))?;
    let venue = match req.query.get("venue").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(
            venues::code(v).ok_or_else(|| ApiError::bad_request(format!("Unknown venue: {v}")))?,
        ),
    };
    let mut races = app.races.races_on(date).await?;
    races.retain(|r| venue.is_none_or(|v| r.venue_code == v));
    races.sort_by(|a, b| {
        a.venue_code
            .cmp(&b.venue_code)
            .then(a.race_number.cmp(&b.race_number))
    });
    let mut venue_names: Vec<&str> = Vec::new();
    for r in &races {
        if !venue_names.contains(&r.venue()) {
            venue_names.push(r.venue());
        }
    }
    Ok(ApiResponse::ok(json!({
        "races": races.iter().map(|r| r.summary()).collect::<Vec<_>>(),
        "venues": venue_names,
        "target_date": date.format("%Y-%m-%d").to_string(),
    })))
}

pub async fn detail(app: &App, race_id: &str) -> ApiResult {
    let race = app
        .races
        .race(race_id)
        .await?
        .ok_or_else(|| ApiError::not_found("Race not found"))?;
    let mut runners = race.runners.clone();
    runners.sort_by_key(|r| r.horse_number);
    Ok(ApiResponse::ok(
        json!({"race": race.summary(), "runners": runners}),
    ))
}
