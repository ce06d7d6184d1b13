//! Bet types and the rules a bet must meet before it may enter a cart (docs/api.md, POST /cart/items).

use serde::{Deserialize, Serialize};

use crate::http::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BetType {
    Win,
    Place,
    BracketQuinella,
    Quinella,
    QuinellaPlace,
    Exacta,
    Trio,
    Trifecta,
}

pub const ALL_BET_TYPES: [BetType; 8] = [
    BetType::Win,
    BetType::Place,
    BetType::BracketQuinella,
    BetType::Quinella,
    BetType::QuinellaPlace,
    BetType::Exacta,
    BetType::Trio,
    BetType::Trifecta,
];

impl BetType {
    pub fn wire(self) -> &'static str {
        match self {
            BetType::Win => "win",
            BetType::Place => "place",
            BetType::BracketQuinella => "bracket_quinella",
            BetType::Quinella => "quinella",
            BetType::QuinellaPlace => "quinella_place",
            BetType::Exacta => "exacta",
            BetType::Trio => "trio",
            BetType::Trifecta => "trifecta",
        }
    }

    /// Case-insensitive, as docs/api.md allows.
    pub fn parse(s: &str) -> Option<BetType> {
        let lower = s.to_ascii_lowercase();
        ALL_BET_TYPES.into_iter().find(|t| t.wire() == lower)
    }

    pub fn japanese(self) -> &'static str {
        match self {
            BetType::Win => "単勝",
            BetType::Place => "複勝",
            BetType::BracketQuinella => "枠連",
            BetType::Quinella => "馬連",
            BetType::QuinellaPlace => "ワイド",
            BetType::Exacta => "馬単",
            BetType::Trio => "三連複",
            BetType::Trifecta => "三連単",
        }
    }

    pub fn count(self) -> usize {
        match self {
            BetType::Win | BetType::Place => 1,
            BetType::BracketQuinella
            | BetType::Quinella
            | BetType::QuinellaPlace
            | BetType::Exacta => 2,
            BetType::Trio | BetType::Trifecta => 3,
        }
    }

    pub fn ordered(self) -> bool {
        matches!(self, BetType::Exacta | BetType::Trifecta)
    }

    /// 枠連 selects brackets (1–8), not horses.
    pub fn uses_brackets(self) -> bool {
        self == BetType::BracketQuinella
    }

    /// JRA's payout rate for the pool (the share of stakes returned to winners).
    pub fn payout_rate(self) -> f64 {
        match self {
            BetType::Win | BetType::Place => 0.80,
            BetType::BracketQuinella | BetType::Quinella | BetType::QuinellaPlace => 0.775,
            BetType::Exacta | BetType::Trio => 0.75,
            BetType::Trifecta => 0.725,
        }
    }
}

pub const MIN_AMOUNT: i64 = 100;
pub const AMOUNT_STEP: i64 = 100;

/// Checks the numbers' count, range and duplicates, and returns them in stored order: sorted for
/// unordered bet types, as given for ordered ones.
pub fn normalise_numbers(bet: BetType, numbers: &[i64]) -> Result<Vec<u8>, ApiError> {
    let unit = if bet.uses_brackets() { "枠" } else { "頭" };
    if numbers.len() != bet.count() {
        return Err(ApiError::bad_request(format!(
            "{}は{}{unit}選択が必要です（現在{}{unit}）",
            bet.japanese(),
            bet.count(),
            numbers.len()
        )));
    }
    let max = if bet.uses_brackets() { 8 } else { 18 };
    for n in numbers {
        if !(1..=max).contains(n) {
            let what = if bet.uses_brackets() {
                "枠番"
            } else {
                "馬番"
            };
            return Err(ApiError::bad_request(format!(
                "{what}は1〜{max}で指定してください（{n}）"
            )));
        }
    }
    // The same bracket twice is a valid 枠連 (two horses of one bracket).
    if !bet.uses_brackets() {
        let mut seen = numbers.to_vec();
        seen.sort_unstable();
        if seen.windows(2).any(|w| w[0] == w[1]) {
            return Err(ApiError::bad_request("同じ馬番が重複しています"));
        }
    }
    let mut out: Vec<u8> = numbers.iter().map(|n| *n as u8).collect();
    if !bet.ordered() {
        out.sort_unstable();
    }
    Ok(out)
}

pub fn check_amount(amount: i64, max: i64) -> Result<(), ApiError> {
    if amount < MIN_AMOUNT || amount % AMOUNT_STEP != 0 {
        return Err(ApiError::bad_request(
            "金額は100円以上、100円単位で指定してください",
        ));
    }
    if amount > max {
        return Err(ApiError::bad_request(format!(
            "金額は{}以下で指定してください",
            super::money::yen(max)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unordered_numbers_are_sorted_and_ordered_ones_kept() {
        assert_eq!(
            normalise_numbers(BetType::Trio, &[7, 2, 5]).unwrap(),
            vec![2, 5, 7]
        );
        assert_eq!(
            normalise_numbers(BetType::Trifecta, &[7, 2, 5]).unwrap(),
            vec![7, 2, 5]
        );
        assert_eq!(
            normalise_numbers(BetType::BracketQuinella, &[3, 3]).unwrap(),
            vec![3, 3]
        );
    }

    #[test]
    fn wrong_counts_say_what_is_needed() {
        let e = normalise_numbers(BetType::Exacta, &[1]).unwrap_err();
        assert_eq!(e.message, "馬単は2頭選択が必要です（現在1頭）");
        assert!(normalise_numbers(BetType::Quinella, &[4, 4]).is_err());
        assert!(normalise_numbers(BetType::BracketQuinella, &[9, 1]).is_err());
        assert!(normalise_numbers(BetType::Win, &[19]).is_err());
    }

    #[test]
    fn amounts_in_steps_of_100_up_to_the_maximum() {
        assert!(check_amount(100, 10_000).is_ok());
        assert!(check_amount(150, 10_000).is_err());
        assert!(check_amount(0, 10_000).is_err());
        assert!(check_amount(10_100, 10_000).is_err());
    }
}
