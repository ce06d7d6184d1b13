//! RA レース詳細 (docs/jvdata.md §2, 1 272 bytes).

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::{codes, Fields, Header, RecordError};
use crate::domain::time::jst_at;

pub const LENGTH: usize = 1272;

#[derive(Debug, Clone, PartialEq)]
pub struct Ra {
    pub header: Header,
    /// 競走名本題: the special race name (有馬記念), empty for ordinary races.
    pub name: String,
    pub subtitle: String,
    pub grade: &'static str,
    /// 競走種別コード and 最若年条件 競走条件コード, which make the condition name.
    pub kind_code: u64,
    pub condition_code: u64,
    pub distance: u32,
    pub track_code: u64,
    pub track_type: &'static str,
    /// In Japan time; None while 発走時刻 is blank or 0000.
    pub start_time: Option<DateTime<FixedOffset>>,
    pub registered: u8,
    pub starters: Option<u8>,
    pub weather: &'static str,
    /// 芝 or ダート going, whichever the track is; empty before it is announced.
    pub going: &'static str,
}

impl Ra {
    /// The name people see: the special name when there is one, else the condition name.
    pub fn display_name(&self) -> String {
        if self.name.is_empty() {
            codes::condition_name(self.kind_code, self.condition_code)
        } else {
            self.name.clone()
        }
    }
}

pub fn parse(bytes: &[u8]) -> Result<Ra, RecordError> {
    let f = Fields::new("RA", bytes, LENGTH)?;
    let header = f.header()?;
    let track_code = f.number("track code", 706, 2)?.unwrap_or(0);
    let track_type = codes::track_type(track_code).ok_or_else(|| {
        f.error(
            "track code",
            706,
            format!("unknown track code {track_code:02}"),
        )
    })?;
    let date = NaiveDate::from_ymd_opt(
        header.race_id[0..4].parse().unwrap_or(0),
        header.race_id[4..6].parse().unwrap_or(0),
        header.race_id[6..8].parse().unwrap_or(0),
    )
    .ok_or_else(|| {
        f.error(
            "race id",
            12,
            format!("{} is not a date", &header.race_id[..8]),
        )
    })?;
    // Blank, or 0000 (the zero-filled initial value): not announced. No JRA race starts at 00:00.
    let start_time = match f.number("start time", 874, 4)? {
        None | Some(0) => None,
        Some(hhmm) if hhmm / 100 < 24 && hhmm % 100 < 60 => {
            Some(jst_at(date, (hhmm / 100) as u32, (hhmm % 100) as u32))
        }
        Some(hhmm) => {
            return Err(f.error("start time", 874, format!("{hhmm:04} is not a time of day")))
        }
    };
    let going_offset = if track_type == "ダート" { 890 } else { 889 };
    Ok(Ra {
        name: f.text("race name", 33, 60)?,
        subtitle: f.text("race subtitle", 93, 60)?,
        grade: codes::grade(f.raw("grade", 615, 1)?[0]),
        kind_code: f.number("race kind", 617, 2)?.unwrap_or(0),
        condition_code: f.number("youngest condition", 635, 3)?.unwrap_or(0),
        distance: f.number("distance", 698, 4)?.unwrap_or(0) as u32,
        track_code,
        track_type,
        start_time,
        registered: f.number("registered runners", 882, 2)?.unwrap_or(0) as u8,
        starters: f
            .number("starters", 884, 2)?
            .map(|n| n as u8)
            .filter(|n| *n > 0),
        weather: codes::weather(f.raw("weather", 888, 1)?[0]),
        going: codes::going(f.raw("going", going_offset, 1)?[0]),
        header,
    })
}
