//! The gateway's running hours: EventBridge Scheduler cron expressions for its start and stop,
//! in a time zone, and what they mean at a moment (running or stopped, the next start). Pure
//! std, so the handlers (a race route answers 503 at once while the gateway is stopped) and
//! baken (the manifest's check, `status`, `cost`) read one definition: baken includes this
//! file as its own module.
//!
//! EventBridge's cron has six fields, `minutes hours day-of-month month day-of-week year`, with
//! `?` in one of the two day fields ("Schedule types on EventBridge Scheduler" in its User Guide).
//! Supported here: `*`, `?`, numbers, names (JAN–DEC, SUN–SAT), ranges `a-b`, lists `a,b` and
//! steps `*/n`, `a/n`, `a-b/n`; `L`, `W` and `#` are refused.

use std::fmt;

/// Time zones the schedule may name: fixed offsets (no daylight saving), so the running hours
/// need no time-zone database. The JRA races on Japan time.
pub const TIME_ZONES: [(&str, i64); 2] = [("Asia/Tokyo", 9 * 60), ("UTC", 0)];

/// The `race-days` preset: from Friday 06:00 to Sunday 20:00, Japan time.
pub const RACE_DAYS_START: &str = "cron(0 6 ? * FRI *)";
pub const RACE_DAYS_STOP: &str = "cron(0 20 ? * SUN *)";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u32,
    days: u32,
    months: u16,
    weekdays: u8,
    /// `?` in the day-of-month field: the day of the week decides.
    by_weekday: bool,
    years: Option<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError(pub String);

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// The values a field allows, as a bit set from `lo` (names map to numbers from `lo`).
fn field(text: &str, lo: u32, hi: u32, names: &[&str]) -> Result<u64, CronError> {
    let value = |s: &str| -> Result<u32, CronError> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Ok(lo + i as u32);
        }
        s.parse::<u32>()
            .ok()
            .filter(|v| (lo..=hi).contains(v))
            .ok_or_else(|| CronError(format!("`{s}` is not between {lo} and {hi}")))
    };
    let mut set = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| CronError(format!("`{s}` is not a step")))?,
            ),
            None => (part, 1),
        };
        // `L`, `W` and `#` fail as values below; `#` would pass as a name's neighbour.
        if range.contains('#') {
            return Err(CronError(format!("`{part}`: L, W and # are not supported")));
        }
        let (from, to) = match range {
            "*" | "?" => (lo, hi),
            _ => match range.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if step > 1 => (value(range)?, hi),
                None => {
                    let v = value(range)?;
                    (v, v)
                }
            },
        };
        if from > to {
            return Err(CronError(format!("`{range}` runs backwards")));
        }
        let mut v = from;
        while v <= to {
            set |= 1 << (v - lo);
            v += step;
        }
    }
    Ok(set)
}

impl Cron {
    /// `cron(m h dom mon dow yr)`.
    pub fn parse(text: &str) -> Result<Cron, CronError> {
        let inner = text
            .trim()
            .strip_prefix("cron(")
            .and_then(|t| t.strip_suffix(')'))
            .ok_or_else(|| CronError(format!("`{text}` is not cron(...)")))?;
        let f: Vec<&str> = inner.split_whitespace().collect();
        let [m, h, dom, mon, dow, yr] = f[..] else {
            return Err(CronError(format!(
                "`{text}` needs six fields: minutes hours day-of-month month day-of-week year"
            )));
        };
        if (dom == "?") == (dow == "?") {
            return Err(CronError(format!(
                "`{text}`: exactly one of day-of-month and day-of-week must be `?`"
            )));
        }
        let years = match yr {
            "*" => None,
            y => {
                let set = y
                    .split_once('-')
                    .map(|(a, b)| (a.parse().ok(), b.parse().ok()))
                    .unwrap_or((y.parse().ok(), y.parse().ok()));
                match set {
                    (Some(a), Some(b)) if (1970..=2199).contains(&a) && a <= b && b <= 2199 => {
                        Some((a, b))
                    }
                    _ => {
                        return Err(CronError(format!(
                            "`{y}` is not a year or a range of years"
                        )))
                    }
                }
            }
        };
        Ok(Cron {
            minutes: field(m, 0, 59, &[])?,
            hours: field(h, 0, 23, &[])? as u32,
            days: field(dom, 1, 31, &[])? as u32,
            months: field(mon, 1, 12, &MONTHS)? as u16,
            weekdays: field(dow, 1, 7, &WEEKDAYS)? as u8,
            by_weekday: dom == "?",
            years,
        })
    }

    fn day_matches(&self, year: i64, month: u32, day: u32, weekday: u32) -> bool {
        let year_ok = self
            .years
            .is_none_or(|(a, b)| (i64::from(a)..=i64::from(b)).contains(&year));
        let day_ok = if self.by_weekday {
            self.weekdays & (1 << weekday) != 0
        } else {
            self.days & (1 << (day - 1)) != 0
        };
        year_ok && self.months & (1 << (month - 1)) != 0 && day_ok
    }

    /// The first firing strictly after `after` (seconds since the epoch, UTC), the expression
    /// read at `offset_minutes` east of UTC; None within the next 5 years.
    pub fn next_after(&self, after: i64, offset_minutes: i64) -> Option<i64> {
        let offset = offset_minutes * 60;
        let local = after + offset;
        let mut first_day = local.div_euclid(86_400);
        // A year field skips ahead to its first year.
        if let Some((from, _)) = self.years {
            first_day = first_day.max(days_from_civil(i64::from(from), 1, 1));
        }
        for day in first_day..first_day + 366 * 5 {
            let (y, m, d) = civil(day);
            // 1970-01-01 was a Thursday: weekday 4 counting Sunday as 0.
            let weekday = (day + 4).rem_euclid(7) as u32;
            if !self.day_matches(y, m, d, weekday) {
                continue;
            }
            for hour in 0..24 {
                if self.hours & (1 << hour) == 0 {
                    continue;
                }
                for minute in 0..60 {
                    if self.minutes & (1 << minute) == 0 {
                        continue;
                    }
                    let at = day * 86_400 + i64::from(hour) * 3600 + minute * 60;
                    if at > local {
                        return Some(at - offset);
                    }
                }
            }
        }
        None
    }
}

/// The days since 1970-01-01 as (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) as days since 1970-01-01 (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2026-12-11T06:00:00+09:00`: a moment at `offset_minutes` east of UTC.
pub fn local_text(at: i64, offset_minutes: i64) -> String {
    let local = at + offset_minutes * 60;
    let (y, m, d) = civil(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let o = offset_minutes.abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        s / 3600,
        s % 3600 / 60,
        s % 60,
        o / 60,
        o % 60
    )
}

/// The gateway's start and stop, in a time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub start: Cron,
    pub stop: Cron,
    pub offset_minutes: i64,
}

/// What the schedule says at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub running: bool,
    pub next_start: Option<i64>,
    pub next_stop: Option<i64>,
}

impl Schedule {
    pub fn parse(start: &str, stop: &str, time_zone: &str) -> Result<Schedule, CronError> {
        let offset_minutes = TIME_ZONES
            .iter()
            .find(|(name, _)| *name == time_zone)
            .map(|(_, o)| *o)
            .ok_or_else(|| {
                CronError(format!(
                    "time zone `{time_zone}` is not one of {}",
                    TIME_ZONES.map(|(n, _)| n).join(", ")
                ))
            })?;
        Ok(Schedule {
            start: Cron::parse(start)?,
            stop: Cron::parse(stop)?,
            offset_minutes,
        })
    }

    /// Running when the next event is a stop: the last one was a start.
    pub fn at(&self, now: i64) -> Now {
        let next_start = self.start.next_after(now, self.offset_minutes);
        let next_stop = self.stop.next_after(now, self.offset_minutes);
        let running = match (next_start, next_stop) {
            (Some(a), Some(b)) => b < a,
            (None, Some(_)) => true,
            _ => false,
        };
        Now {
            running,
            next_start,
            next_stop,
        }
    }

    /// The hours a week it runs, averaged over the 52 weeks from `from`.
    pub fn hours_per_week(&self, from: i64) -> f64 {
        let end = from + 52 * 7 * 86_400;
        let mut t = from;
        let mut running = 0i64;
        let mut state = self.at(from);
        while t < end {
            let next = if state.running {
                state.next_stop
            } else {
                state.next_start
            };
            let Some(next) = next.filter(|n| *n < end) else {
                if state.running {
                    running += end - t;
                }
                break;
            };
            if state.running {
                running += next - t;
            }
            t = next;
            state = self.at(t);
        }
        running as f64 / 3600.0 / 52.0
    }
}

/// The schedule as the functions' environment carries it: `start|stop|time zone`.
pub fn encode(start: &str, stop: &str, time_zone: &str) -> String {
    format!("{start}|{stop}|{time_zone}")
}

pub fn decode(text: &str) -> Result<Schedule, CronError> {
    let mut parts = text.split('|');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(a), Some(b), Some(tz), None) => Schedule::parse(a, b, tz),
        _ => Err(CronError(format!("`{text}` is not start|stop|time zone"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-07T00:00:00Z, a Monday (09:00 in Tokyo).
    const MONDAY: i64 = 1_796_601_600;

    fn race_days() -> Schedule {
        Schedule::parse(RACE_DAYS_START, RACE_DAYS_STOP, "Asia/Tokyo").unwrap()
    }

    #[test]
    fn the_calendar_is_right() {
        assert_eq!(civil(0), (1970, 1, 1));
        for day in [-1, 0, 59, 20_000, 47_000] {
            let (y, m, d) = civil(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
        assert_eq!(local_text(MONDAY, 0), "2026-12-07T00:00:00+00:00");
        assert_eq!(local_text(MONDAY, 540), "2026-12-07T09:00:00+09:00");
    }

    #[test]
    fn race_days_run_from_friday_morning_to_sunday_evening_in_tokyo() {
        let s = race_days();
        let monday = s.at(MONDAY);
        assert!(!monday.running);
        assert_eq!(
            local_text(monday.next_start.unwrap(), 540),
            "2026-12-11T06:00:00+09:00"
        );
        let saturday = s.at(MONDAY + 5 * 86_400);
        assert!(saturday.running);
        assert_eq!(
            local_text(saturday.next_stop.unwrap(), 540),
            "2026-12-13T20:00:00+09:00"
        );
        // Friday 06:00 to Sunday 20:00 is 62 hours.
        assert!((s.hours_per_week(MONDAY) - 62.0).abs() < 0.01);
    }

    #[test]
    fn expressions_aws_refuses_or_we_do_not_read_are_refused() {
        for bad in [
            "cron(0 6 * * FRI *)",
            "cron(0 6 ? * FRI)",
            "cron(0 25 ? * FRI *)",
            "cron(0 6 ? * 6#3 *)",
            "rate(1 hour)",
            "cron(0 6 ? * XYZ *)",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad}");
        }
        assert!(Schedule::parse(RACE_DAYS_START, RACE_DAYS_STOP, "Europe/London").is_err());
        let c = Cron::parse("cron(*/15 8-10 1,15 JAN-MAR ? 2027)").unwrap();
        let next = c.next_after(MONDAY, 0).unwrap();
        assert_eq!(local_text(next, 0), "2027-01-01T08:00:00+00:00");
    }

    #[test]
    fn the_environment_form_reads_back() {
        let text = encode(RACE_DAYS_START, RACE_DAYS_STOP, "Asia/Tokyo");
        assert_eq!(decode(&text).unwrap(), race_days());
    }
}
