//! The rule-based advisor: Japanese comments argued from the data. It never tells a person to bet
//! more; its arithmetic is the odds-implied chance, JRA's payout rate and the loss limit.

use super::chance::hit_chance;
use super::{Advisor, ChatView, ItemView};
use crate::domain::money::yen;

pub struct RuleBasedAdvisor;

fn percent(p: f64) -> String {
    if p < 0.001 {
        "0.1%未満".to_string()
    } else {
        format!("{:.1}%", p * 100.0)
    }
}

/// A selection counts as a long shot when the market gives it less than a 5 % chance.
const LONG_SHOT: f64 = 0.05;

impl RuleBasedAdvisor {
    fn item_text(view: &ItemView<'_>) -> String {
        let bet = view.bet;
        let mut parts = Vec::new();
        if view.race.is_none() {
            return "レース情報を取得できないため、データに基づく確認ができません。".into();
        }
        if view.closed {
            parts.push(
                "このレースは投票締め切りを過ぎています。この買い目は購入できません。".to_string(),
            );
        }
        if !view.scratched.is_empty() {
            parts.push(format!(
                "{}番は出走取消・競走除外です。この買い目は成立しません。",
                join(&view.scratched)
            ));
        }
        if !view.missing.is_empty() {
            parts.push(format!(
                "{}番はこのレースの出走表にありません。",
                join(&view.missing)
            ));
        }
        if let Some(p) = view
            .race
            .and_then(|r| hit_chance(r, bet, &view.item.horse_numbers))
        {
            let rate = bet.payout_rate();
            parts.push(format!(
                "{}の的中確率はオッズから見て約{}です。JRAの払戻率は{}で約{:.0}%なので、平均すると賭け金{}のうち約{}が戻る計算です。",
                bet.japanese(),
                percent(p),
                bet.japanese(),
                rate * 100.0,
                yen(view.item.amount),
                yen(((view.item.amount as f64) * rate / 10.0).round() as i64 * 10)
            ));
            if p < LONG_SHOT {
                parts.push("人気薄への集中です。当たれば大きい一方、外れる可能性の方がずっと高い買い目です。".into());
            }
        } else {
            parts.push("まだオッズが出ていないため、的中確率を見積もれません。".into());
        }
        parts.join("")
    }
}

fn join(numbers: &[u8]) -> String {
    numbers
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join("・")
}

#[async_trait::async_trait]
impl Advisor for RuleBasedAdvisor {
    async fn item_comment(&self, view: &ItemView<'_>) -> String {
        Self::item_text(view)
    }

    async fn reply(&self, view: &ChatView<'_>) -> String {
        let q = view.question.to_lowercase();
        let has = |words: &[&str]| words.iter().any(|w| q.contains(w));
        let mut out = Vec::new();
        if has(&["オッズ", "odds", "倍率", "確率"]) {
            for v in view.items {
                if let Some(p) = v
                    .race
                    .and_then(|r| hit_chance(r, v.bet, &v.item.horse_numbers))
                {
                    out.push(format!(
                        "{}{}の的中確率は約{}です。",
                        v.item.race_name,
                        v.bet.japanese(),
                        percent(p)
                    ));
                }
            }
        }
        if has(&["騎手", "ジョッキー", "jockey"]) {
            for v in view.items {
                let Some(race) = v.race else { continue };
                for n in &v.item.horse_numbers {
                    if let Some(r) = race.runner(*n) {
                        let rate = r
                            .jockey_win_rate
                            .map(|w| format!("勝率{w:.1}%"))
                            .unwrap_or_else(|| "データなし".into());
                        out.push(format!(
                            "{}番{}の騎手は{}（{}）です。",
                            n, r.horse_name, r.jockey_name, rate
                        ));
                    }
                }
            }
        }
        if has(&["調子", "成績", "近走", "着順", "form"]) {
            out.push("近走成績は各買い目の馬ごとのまとめに載せています。直近の着順だけで判断せず、距離や馬場の違いも見てください。".into());
        }
        if has(&["金額", "予算", "掛け金", "資金", "負け", "stake", "budget"]) || out.is_empty()
        {
            out.push(match view.loss_limit {
                Some(limit) if view.total_amount >= limit => format!(
                    "合計掛け金{}は、残り許容負け額{}に達しています。買い目を減らすか、今日はここまでにすることをおすすめします。",
                    yen(view.total_amount),
                    yen(limit)
                ),
                Some(limit) => format!(
                    "合計掛け金{}は、残り許容負け額{}の範囲内です。全部外れても生活に影響しない金額かを、もう一度確かめてください。",
                    yen(view.total_amount),
                    yen(limit)
                ),
                None => format!(
                    "合計掛け金は{}です。今日使ってよい上限（残り許容負け額）を決めておくと、熱くなっても冷静でいられます。",
                    yen(view.total_amount)
                ),
            });
        }
        if has(&["勘", "直感", "なんとなく", "気がする"]) {
            out.push("直感で選ぶのも競馬の楽しみですが、その買い目の的中確率を一度確認してから決めましょう。".into());
        }
        out.join("")
    }
}
