//! Race data: one provider interface, chosen by `RACE_DATA_PROVIDER` (mock or jravan).

pub mod jravan;
pub mod mock;
pub mod venues;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use serde::Serialize;

use crate::domain::time::iso;
use crate::http::ApiError;

#[derive(Debug, Clone, PartialEq)]
pub struct Race {
    pub race_id: String,
    pub race_name: String,
    pub race_number: u8,
    pub venue_code: String,
    pub start_time: DateTime<FixedOffset>,
    pub track_type: String,
    pub distance: u32,
    pub track_condition: String,
    pub grade: String,
    /// Runners declared for the race; the list of races knows it before the runners are read.
    pub runner_count: usize,
    pub runners: Vec<Runner>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Runner {
    pub horse_number: u8,
    pub bracket_number: u8,
    pub horse_name: String,
    pub jockey_name: String,
    pub trainer_name: String,
    pub weight_carried: f64,
    pub odds: Option<f64>,
    pub popularity: Option<u8>,
    pub scratched: bool,
    /// Last finishes, most recent first (not part of the wire `Runner`).
    #[serde(skip)]
    pub recent_finishes: Vec<u8>,
    /// The jockey's win rate in percent: wins ÷ rides with a finishing position, over the records
    /// the race source holds (not part of the wire `Runner`).
    #[serde(skip)]
    pub jockey_win_rate: Option<f64>,
}

/// Voting closes two minutes before the start.
pub const DEADLINE_BEFORE_START_MINUTES: i64 = 2;

impl Race {
    pub fn betting_deadline(&self) -> DateTime<FixedOffset> {
        self.start_time - Duration::minutes(DEADLINE_BEFORE_START_MINUTES)
    }

    pub fn venue(&self) -> &'static str {
        venues::name(&self.venue_code).unwrap_or("不明")
    }

    pub fn runner(&self, number: u8) -> Option<&Runner> {
        self.runners.iter().find(|r| r.horse_number == number)
    }

    /// The wire `Race` of docs/api.md.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "race_id": self.race_id,
            "race_name": self.race_name,
            "race_number": self.race_number,
            "venue": self.venue(),
            "venue_code": self.venue_code,
            "start_time": iso(&self.start_time),
            "betting_deadline": iso(&self.betting_deadline()),
            "track_type": self.track_type,
            "distance": self.distance,
            "track_condition": self.track_condition,
            "grade": self.grade,
            "runner_count": self.runner_count,
        })
    }
}

/// Where races come from. Failures of the source are `UPSTREAM_UNAVAILABLE`.
#[async_trait::async_trait]
pub trait RaceProvider: Send + Sync {
    async fn races_on(&self, date: NaiveDate) -> Result<Vec<Race>, ApiError>;
    async fn race(&self, race_id: &str) -> Result<Option<Race>, ApiError>;
}

/// A race id is the 16-digit JV-Data race key: YYYYMMDD, venue, 回, 日目, race number.
pub fn parse_race_id(id: &str) -> Option<(NaiveDate, &str, u8, u8, u8)> {
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Fixed-width fields: chrono's `%Y` would read all eight digits as the year.
    let date = NaiveDate::from_ymd_opt(
        id[..4].parse().ok()?,
        id[4..6].parse().ok()?,
        id[6..8].parse().ok()?,
    )?;
    let venue = &id[8..10];
    venues::name(venue)?;
    let kai = id[10..12].parse().ok()?;
    let nichi = id[12..14].parse().ok()?;
    let number: u8 = id[14..16].parse().ok()?;
    (1..=12)
        .contains(&number)
        .then_some((date, venue, kai, nichi, number))
}
