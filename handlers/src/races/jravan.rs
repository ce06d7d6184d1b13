//! The jravan race provider: HTTP to the JV-Link gateway on the EC2 instance, JV-Data parsed
//! here (crate::jvdata). Each request has a short timeout and a bounded number of attempts, all
//! well inside the 30 s Lambda limit; when the gateway cannot answer, the API answers 503.

use std::time::Duration;

use base64::Engine as _;
use chrono::NaiveDate;
use futures_util::future::join_all;
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;

use super::{Race, RaceProvider, Runner};
use crate::http::{ApiError, Retry};
use crate::jvdata::{self, o1::O1, ra::Ra, se::Se, Record};
use crate::schedule::{local_text, Schedule};

/// Per attempt, and how many: 3 × 3 s (+ back-off) stays far from Lambda's 30 s.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
const ATTEMPTS: u32 = 3;
const RECENT_RESULTS: usize = 5;

pub struct JravanRaces {
    base: String,
    client: Client<HttpConnector, Empty<Bytes>>,
    /// The gateway's running hours (`GATEWAY_SCHEDULE`), when it does not run all the time.
    schedule: Option<Schedule>,
}

/// While the schedule has the gateway stopped, one short try (it may have been started by hand
/// for a holiday meeting): a stopped instance's address does not answer at all, so waiting out
/// the usual attempts would only delay the 503.
const OFF_SCHEDULE_TRY: Duration = Duration::from_millis(300);

fn unavailable(what: impl std::fmt::Display) -> ApiError {
    ApiError::upstream(format!("The race data source is unavailable: {what}"))
}

impl JravanRaces {
    pub fn new(base_url: &str, schedule: Option<Schedule>) -> JravanRaces {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(ATTEMPT_TIMEOUT));
        JravanRaces {
            base: base_url.trim_end_matches('/').to_string(),
            client: Client::builder(TokioExecutor::new()).build(connector),
            schedule,
        }
    }

    /// GET with retries; Ok(None) for a 404. While the schedule has the gateway stopped: one
    /// short try, then a 503 that says when race data is back.
    async fn get(&self, path: &str) -> Result<Option<Value>, ApiError> {
        let url: hyper::Uri = format!("{}{path}", self.base)
            .parse()
            .map_err(|e| unavailable(format!("bad URL: {e}")))?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let off = self
            .schedule
            .as_ref()
            .map(|s| (s, s.at(now)))
            .filter(|(_, at)| !at.running);
        let (attempts, timeout) = match off {
            Some(_) => (1, OFF_SCHEDULE_TRY),
            None => (ATTEMPTS, ATTEMPT_TIMEOUT),
        };
        match self.attempts(&url, attempts, timeout).await {
            Err(why) => Err(match off {
                Some((s, at)) => stopped(s, at.next_start, now),
                None => unavailable(why),
            }),
            Ok(v) => v,
        }
    }

    async fn attempts(
        &self,
        url: &hyper::Uri,
        attempts: u32,
        timeout: Duration,
    ) -> Result<Result<Option<Value>, ApiError>, String> {
        let mut last = String::new();
        for attempt in 0..attempts {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            let request = async {
                let resp = self
                    .client
                    .get(url.clone())
                    .await
                    .map_err(|e| e.to_string())?;
                let status = resp.status();
                let body = resp
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?
                    .to_bytes();
                Ok::<_, String>((status, body))
            };
            match tokio::time::timeout(timeout, request).await {
                Err(_) => last = format!("no answer within {timeout:?}"),
                Ok(Err(e)) => last = e,
                Ok(Ok((status, _))) if status == 404 => return Ok(Ok(None)),
                Ok(Ok((status, body))) if status.is_success() => {
                    return Ok(serde_json::from_slice(&body)
                        .map(Some)
                        .map_err(|e| unavailable(format!("bad answer: {e}"))));
                }
                // A 4xx other than 404 is our request's fault: retrying will not help.
                Ok(Ok((status, _))) if status.is_client_error() => {
                    return Ok(Err(unavailable(format!("gateway answered {status}"))))
                }
                Ok(Ok((status, _))) => last = format!("gateway answered {status}"),
            }
        }
        Err(last)
    }
}

/// The 503 of a gateway stopped on its schedule: when race data is back, as text and as
/// `Retry-After`.
fn stopped(schedule: &Schedule, next_start: Option<i64>, now: i64) -> ApiError {
    match next_start {
        Some(at) => {
            let text = local_text(at, schedule.offset_minutes);
            ApiError::stopped_until(
                format!("Race data is not available now: the JV-Link gateway runs on race days only and is back at {text}"),
                Retry {
                    after_seconds: (at - now).max(0) as u64,
                    at: text,
                },
            )
        }
        None => unavailable("the JV-Link gateway is stopped and its schedule starts it no more"),
    }
}

fn record(v: &Value) -> Result<Option<Record>, ApiError> {
    let Some(text) = v.as_str() else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| unavailable(format!("bad record: {e}")))?;
    jvdata::parse(&bytes).map(Some).map_err(unavailable)
}

/// The API's race from its RA, without runners.
pub fn race_from_ra(ra: &Ra) -> Option<Race> {
    Some(Race {
        race_id: ra.header.race_id.clone(),
        race_name: ra.display_name(),
        race_number: ra.header.race_number(),
        venue_code: ra.header.venue_code().to_string(),
        start_time: ra.start_time?,
        track_type: ra.track_type.to_string(),
        distance: ra.distance,
        track_condition: ra.going.to_string(),
        // The API knows G1, G2, G3 and L; jump grades count as their flat equivalents.
        grade: ra.grade.trim_start_matches("J・").to_string(),
        runner_count: usize::from(ra.starters.unwrap_or(ra.registered)),
        runners: Vec::new(),
    })
}

/// Runners from SE, with the latest win odds and popularity from O1 when there is one.
pub fn runners_from(ses: &[Se], o1: Option<&O1>) -> Vec<Runner> {
    let mut runners: Vec<Runner> = ses
        .iter()
        .filter_map(|se| {
            let number = se.horse_number?;
            let live = o1.and_then(|o| o.win.iter().find(|w| w.horse_number == number));
            let scratched = se.scratched();
            Some(Runner {
                horse_number: number,
                bracket_number: se.bracket.unwrap_or(0),
                horse_name: se.horse_name.clone(),
                jockey_name: se.jockey_name.clone(),
                trainer_name: se.trainer_name.clone(),
                weight_carried: se.weight_carried.unwrap_or(0.0),
                odds: if scratched {
                    None
                } else {
                    live.and_then(|w| w.odds.value()).or(se.win_odds)
                },
                popularity: if scratched {
                    None
                } else {
                    live.map_or(se.popularity, |w| w.popularity)
                },
                scratched,
                recent_finishes: Vec::new(),
                jockey_win_rate: None,
            })
        })
        .collect();
    runners.sort_by_key(|r| r.horse_number);
    runners
}

/// Why a stored RA is not a race the API lists, or None when it is one.
fn not_listed(ra: &Ra) -> Option<&'static str> {
    match ra.header.data_kubun {
        '0' => Some("a delete record (データ区分 0)"),
        '9' => Some("the race was cancelled (データ区分 9)"),
        _ if ra.start_time.is_none() => Some("no start time (発走時刻 blank or 0000)"),
        _ => None,
    }
}

/// The races of one day from the gateway's RA records. A record that does not parse costs only
/// its own race: it is logged and left out, and the other races of the day are listed.
pub fn races_from(records: &[(String, Value)]) -> Vec<Race> {
    let mut races = Vec::new();
    for (race_id, raw) in records {
        match record(raw) {
            Ok(Some(Record::Ra(ra))) => match not_listed(&ra) {
                None => races.extend(race_from_ra(&ra)),
                Some(why) => eprintln!("race {race_id} is not listed: {why}"),
            },
            Ok(_) => eprintln!("race {race_id} is not listed: the gateway sent no RA record"),
            Err(e) => eprintln!("race {race_id} is not listed: {}", e.message),
        }
    }
    races
}

#[async_trait::async_trait]
impl RaceProvider for JravanRaces {
    async fn races_on(&self, date: NaiveDate) -> Result<Vec<Race>, ApiError> {
        let body = self
            .get(&format!("/races?date={}", date.format("%Y-%m-%d")))
            .await?
            .unwrap_or_default();
        let records: Vec<(String, Value)> = body["races"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                (
                    r["race_id"].as_str().unwrap_or("?").to_string(),
                    r["ra"].clone(),
                )
            })
            .collect();
        Ok(races_from(&records))
    }

    async fn race(&self, race_id: &str) -> Result<Option<Race>, ApiError> {
        if race_id.len() != 16 || !race_id.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(None);
        }
        let Some(body) = self.get(&format!("/races/{race_id}")).await? else {
            return Ok(None);
        };
        let Some(Record::Ra(ra)) = record(&body["ra"])? else {
            return Ok(None);
        };
        // A deleted or cancelled race, or one without a start time, is not a race one can bet on:
        // the same 404 as an unknown race (the list leaves it out too).
        if let Some(why) = not_listed(&ra) {
            eprintln!("race {race_id} is not served: {why}");
            return Ok(None);
        }
        let mut ses = Vec::new();
        for v in body["se"].as_array().into_iter().flatten() {
            if let Some(Record::Se(se)) = record(v)? {
                // 区分 0 takes the horse's record back.
                if se.header.data_kubun != '0' {
                    ses.push(se);
                }
            }
        }
        let o1 = match record(&body["o1"])? {
            Some(Record::O1(o)) => Some(o),
            _ => None,
        };
        let Some(mut race) = race_from_ra(&ra) else {
            return Ok(None);
        };
        race.runners = runners_from(&ses, o1.as_ref());
        // Form and jockey figures for the consultation, fetched side by side, for the runners
        // (a horse without a number is not in the field).
        let drawn: Vec<&Se> = ses.iter().filter(|se| se.horse_number.is_some()).collect();
        let histories = join_all(drawn.iter().map(|se| self.history(se, race_id))).await;
        for (se, (recent, rate)) in drawn.iter().zip(histories) {
            if let Some(r) = race
                .runners
                .iter_mut()
                .find(|r| Some(r.horse_number) == se.horse_number)
            {
                r.recent_finishes = recent;
                r.jockey_win_rate = rate;
            }
        }
        Ok(Some(race))
    }
}

impl JravanRaces {
    /// The horse's last five finishes before this race (runs with a finishing position, newest
    /// first; the gateway selects them) and its jockey's win rate (wins ÷ rides with a finishing
    /// position, over the records the gateway holds). Missing data is "no data", never an error of
    /// the whole race.
    async fn history(&self, se: &Se, race_id: &str) -> (Vec<u8>, Option<f64>) {
        let recent = async {
            let body = self
                .get(&format!(
                    "/horses/{}/records?limit={RECENT_RESULTS}&before={race_id}",
                    se.horse_id
                ))
                .await
                .ok()??;
            let mut out = Vec::new();
            for v in body["se"].as_array()? {
                if let Ok(Some(Record::Se(past))) = record(v) {
                    // The gateway already filters; a record that slipped through is not a run.
                    if past.header.race_id.as_str() < race_id {
                        out.extend(past.finish);
                    }
                }
            }
            out.truncate(RECENT_RESULTS);
            Some(out)
        };
        let rate = async {
            if se.jockey_code.is_empty() {
                return None;
            }
            let body = self
                .get(&format!("/jockeys/{}/summary", se.jockey_code))
                .await
                .ok()??;
            let rides = body["rides"].as_f64().filter(|r| *r > 0.0)?;
            Some(body["wins"].as_f64()? * 100.0 / rides)
        };
        let (recent, rate) = futures_util::join!(recent, rate);
        (recent.unwrap_or_default(), rate)
    }
}
