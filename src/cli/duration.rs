//! Durations on the command line (`--lock-timeout`, `logs --since`).

use std::time::Duration;

/// `30s`, `10m`, `2h`, `1d`, or units combined (`1h30m`); a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration: expected e.g. 30s, 10m, 2h, 1d or 1h30m");
    if text.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() {
        total = total
            .checked_add(digits.parse().map_err(|_| bad())?)
            .ok_or_else(bad)?;
    }
    // CloudWatch keeps events for at most 10 years; further back is a typo.
    if total > 3650 * 86_400 {
        return Err(format!("`{text}` is more than ten years"));
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_the_forms_logs_takes() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        for bad in [
            "",
            "10x",
            "m",
            "1.5h",
            "-5m",
            "99999999999999999999d",
            "11000d",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
