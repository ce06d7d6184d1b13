//! The consultation's feedback: per cart item, the data on each selected horse in the bet's own
//! order and the advisor's comment; for the cart, the total against the loss limit.

use chrono::Utc;
use serde_json::{json, Value};

use crate::advisor::{Advisor, ItemView};
use crate::domain::bet::BetType;
use crate::domain::money::yen;
use crate::races::{Race, RaceProvider};
use crate::store::CartItem;

/// Races of the cart's items, fetched once per race id. A race the source cannot give is None.
pub async fn races_for(
    provider: &dyn RaceProvider,
    items: &[CartItem],
) -> Vec<(String, Option<Race>)> {
    let mut out: Vec<(String, Option<Race>)> = Vec::new();
    for item in items {
        if !out.iter().any(|(id, _)| id == &item.race_id) {
            let race = provider.race(&item.race_id).await.ok().flatten();
            out.push((item.race_id.clone(), race));
        }
    }
    out
}

pub fn view<'a>(item: &'a CartItem, races: &'a [(String, Option<Race>)]) -> ItemView<'a> {
    let bet = BetType::parse(&item.bet_type).unwrap_or(BetType::Win);
    let race = races
        .iter()
        .find(|(id, _)| id == &item.race_id)
        .and_then(|(_, r)| r.as_ref());
    let (mut scratched, mut missing) = (Vec::new(), Vec::new());
    if let (Some(race), false) = (race, bet.uses_brackets()) {
        for n in &item.horse_numbers {
            match race.runner(*n) {
                None => missing.push(*n),
                Some(r) if r.scratched => scratched.push(*n),
                Some(_) => {}
            }
        }
    }
    ItemView {
        item,
        bet,
        race,
        closed: race.is_some_and(|r| Utc::now() > r.betting_deadline()),
        scratched,
        missing,
    }
}

/// The horses a selection stands for, in the bet's order: the horses themselves, or for 枠連 the
/// horses of each chosen bracket.
fn selected_horses(view: &ItemView<'_>) -> Vec<u8> {
    if !view.bet.uses_brackets() {
        return view.item.horse_numbers.clone();
    }
    let mut out = Vec::new();
    let mut brackets = view.item.horse_numbers.clone();
    brackets.dedup();
    for b in brackets {
        if let Some(race) = view.race {
            out.extend(
                race.runners
                    .iter()
                    .filter(|r| r.bracket_number == b)
                    .map(|r| r.horse_number),
            );
        }
    }
    out
}

fn horse_summary(race: Option<&Race>, number: u8) -> Value {
    let runner = race.and_then(|r| r.runner(number));
    let Some(r) = runner else {
        return json!({
            "horse_number": number,
            "horse_name": "出走表にありません",
            "recent_results": "データなし",
            "jockey_stats": "データなし",
            "current_odds": null,
            "popularity": null,
        });
    };
    let recent = if r.recent_finishes.is_empty() {
        "データなし".to_string()
    } else {
        r.recent_finishes
            .iter()
            .take(5)
            .map(|f| f.to_string())
            .collect::<Vec<_>>()
            .join("-")
    };
    json!({
        "horse_number": number,
        "horse_name": if r.scratched { format!("{}（出走取消）", r.horse_name) } else { r.horse_name.clone() },
        "recent_results": recent,
        "jockey_stats": r.jockey_win_rate.map(|w| format!("勝率{w:.1}%")).unwrap_or_else(|| "データなし".into()),
        "current_odds": r.odds,
        "popularity": r.popularity,
    })
}

pub async fn data_feedback(advisor: &dyn Advisor, view: &ItemView<'_>) -> Value {
    json!({
        "cart_item_id": view.item.item_id,
        "overall_comment": advisor.item_comment(view).await,
        "horse_summaries": selected_horses(view).into_iter().map(|n| horse_summary(view.race, n)).collect::<Vec<_>>(),
    })
}

/// `caution` from 80 % of the loss limit, `warning` from 100 %.
pub fn amount_feedback(total: i64, loss_limit: Option<i64>) -> Value {
    let (level, comment) = match loss_limit {
        None => (
            "none",
            format!(
                "合計掛け金は{}です。残り許容負け額を設定すると、使いすぎを確認できます。",
                yen(total)
            ),
        ),
        Some(limit) if total > limit => (
            "warning",
            format!(
                "合計掛け金{}は、残り許容負け額{}を超えています。",
                yen(total),
                yen(limit)
            ),
        ),
        Some(limit) if total == limit => (
            "warning",
            format!(
                "合計掛け金{}は、残り許容負け額{}に達しています。",
                yen(total),
                yen(limit)
            ),
        ),
        // In i128: `total * 10` overflowed i64 for totals and limits near its top.
        Some(limit) if i128::from(total) * 10 >= i128::from(limit) * 8 => (
            "caution",
            format!(
                "合計掛け金{}は、残り許容負け額{}の80%以上です。",
                yen(total),
                yen(limit)
            ),
        ),
        Some(limit) => (
            "none",
            format!(
                "合計掛け金{}は、残り許容負け額{}の範囲内です。",
                yen(total),
                yen(limit)
            ),
        ),
    };
    json!({"total_amount": total, "loss_limit": loss_limit, "warning_level": level, "comment": comment})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_levels_follow_the_limit() {
        assert_eq!(
            amount_feedback(7_900, Some(10_000))["warning_level"],
            "none"
        );
        assert_eq!(
            amount_feedback(8_000, Some(10_000))["warning_level"],
            "caution"
        );
        assert_eq!(
            amount_feedback(10_000, Some(10_000))["warning_level"],
            "warning"
        );
        // Regression: a loss limit near i64::MAX panicked with "attempt to multiply with overflow".
        assert_eq!(
            amount_feedback(i64::MAX, Some(i64::MAX - 1))["warning_level"],
            "warning"
        );
        assert_eq!(
            amount_feedback(100, Some(i64::MAX))["warning_level"],
            "none"
        );
        let over = amount_feedback(12_000, Some(10_000));
        assert_eq!(over["warning_level"], "warning");
        assert_eq!(
            over["comment"],
            "合計掛け金¥12,000は、残り許容負け額¥10,000を超えています。"
        );
        assert_eq!(amount_feedback(12_000, None)["loss_limit"], Value::Null);
    }
}

#[cfg(test)]
mod feedback_tests {
    use super::*;
    use crate::advisor::rule_based::RuleBasedAdvisor;
    use crate::races::mock::MockRaces;
    use chrono::NaiveDate;

    fn item(race: &Race, bet: &str, numbers: Vec<u8>) -> CartItem {
        CartItem {
            item_id: "i".into(),
            race_id: race.race_id.clone(),
            race_name: race.race_name.clone(),
            bet_type: bet.into(),
            horse_numbers: numbers,
            amount: 1000,
            added_at: "2020-01-01T00:00:00Z".into(),
        }
    }

    /// A race of the past whose horse 1 is scratched and which has fewer than 18 runners.
    fn closed_race() -> Race {
        let date = NaiveDate::from_ymd_opt(2020, 1, 5).unwrap();
        let mut race = MockRaces::generate(&MockRaces::race_id(date, "06", 1)).unwrap();
        race.runners.truncate(10);
        race.runners[0].scratched = true;
        race
    }

    #[tokio::test]
    async fn a_closed_race_a_scratched_horse_and_a_missing_one_are_called_out_not_crashed_on() {
        let race = closed_race();
        let races = vec![(race.race_id.clone(), Some(race.clone()))];
        let it = item(&race, "trifecta", vec![17, 1, 2]);
        let v = view(&it, &races);
        assert!(v.closed);
        assert_eq!(
            (v.scratched.clone(), v.missing.clone()),
            (vec![1], vec![17])
        );
        let fb = data_feedback(&RuleBasedAdvisor, &v).await;
        let comment = fb["overall_comment"].as_str().unwrap();
        assert!(comment.contains("投票締め切りを過ぎています"), "{comment}");
        assert!(comment.contains("1番は出走取消・競走除外です"), "{comment}");
        assert!(
            comment.contains("17番はこのレースの出走表にありません"),
            "{comment}"
        );
        let summaries = fb["horse_summaries"].as_array().unwrap();
        let numbers: Vec<u64> = summaries
            .iter()
            .map(|s| s["horse_number"].as_u64().unwrap())
            .collect();
        assert_eq!(numbers, vec![17, 1, 2], "the bet's own order");
        assert_eq!(summaries[0]["horse_name"], "出走表にありません");
        assert!(summaries[1]["horse_name"]
            .as_str()
            .unwrap()
            .ends_with("（出走取消）"));
        assert_eq!(
            summaries[2]["horse_name"],
            race.runners[1].horse_name.as_str()
        );
    }

    #[tokio::test]
    async fn a_race_the_source_cannot_give_still_gets_feedback() {
        let race = closed_race();
        let it = item(&race, "win", vec![3]);
        let races = vec![(race.race_id.clone(), None)];
        let fb = data_feedback(&RuleBasedAdvisor, &view(&it, &races)).await;
        assert!(fb["overall_comment"]
            .as_str()
            .unwrap()
            .contains("レース情報を取得できない"));
        assert_eq!(fb["horse_summaries"][0]["recent_results"], "データなし");
    }

    #[tokio::test]
    async fn a_bracket_bet_lists_the_horses_of_each_bracket() {
        let date = NaiveDate::from_ymd_opt(2031, 3, 1).unwrap();
        let race = MockRaces::generate(&MockRaces::race_id(date, "06", 2)).unwrap();
        let races = vec![(race.race_id.clone(), Some(race.clone()))];
        let it = item(&race, "bracket_quinella", vec![8, 8]);
        let fb = data_feedback(&RuleBasedAdvisor, &view(&it, &races)).await;
        let in_eight: Vec<u64> = race
            .runners
            .iter()
            .filter(|r| r.bracket_number == 8)
            .map(|r| r.horse_number as u64)
            .collect();
        let listed: Vec<u64> = fb["horse_summaries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["horse_number"].as_u64().unwrap())
            .collect();
        assert_eq!(listed, in_eight);
    }
}
