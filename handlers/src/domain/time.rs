//! Times: race times in Japan time with their offset; stored timestamps in UTC.

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat, TimeZone, Utc};

/// Japan has no daylight saving: a fixed +09:00 is exact.
pub fn jst() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("valid offset")
}

pub fn jst_at(date: NaiveDate, hour: u32, minute: u32) -> DateTime<FixedOffset> {
    jst()
        .from_local_datetime(&date.and_hms_opt(hour, minute, 0).expect("valid time"))
        .single()
        .expect("fixed offset")
}

/// `2026-12-27T15:25:00+09:00`.
pub fn iso(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

pub fn now_utc_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}
