//! SE 馬毎レース情報 (docs/jvdata.md §3, 555 bytes).

use super::{codes, Fields, Header, RecordError};

pub const LENGTH: usize = 555;

#[derive(Debug, Clone, PartialEq)]
pub struct Se {
    pub header: Header,
    pub bracket: Option<u8>,
    pub horse_number: Option<u8>,
    pub horse_id: String,
    pub horse_name: String,
    pub sex: &'static str,
    pub age: Option<u8>,
    pub trainer_code: String,
    pub trainer_name: String,
    /// kg.
    pub weight_carried: Option<f64>,
    pub jockey_code: String,
    pub jockey_name: String,
    /// 異常区分コード (§6.11); 0 normal.
    pub abnormal: u8,
    /// 確定着順; None before the result.
    pub finish: Option<u8>,
    /// 単勝オッズ; None when blank.
    pub win_odds: Option<f64>,
    pub popularity: Option<u8>,
}

impl Se {
    /// 出走取消, 発走除外 and 競走除外: the horse does not run, its bets are refunded.
    pub fn scratched(&self) -> bool {
        matches!(self.abnormal, 1..=3)
    }
}

pub fn parse(bytes: &[u8]) -> Result<Se, RecordError> {
    let f = Fields::new("SE", bytes, LENGTH)?;
    let abnormal = match f.raw("abnormal code", 332, 1)?[0] {
        b' ' => 0,
        d @ b'0'..=b'9' => d - b'0',
        other => {
            return Err(f.error(
                "abnormal code",
                332,
                format!("unknown code {:?}", other as char),
            ))
        }
    };
    // 単勝オッズ and 人気 hold their initial value (blank, or zeros) for scratched horses.
    let odds = f
        .number("win odds", 360, 4)?
        .filter(|o| *o > 0)
        .map(|o| o as f64 / 10.0);
    Ok(Se {
        header: f.header()?,
        bracket: f
            .number("bracket", 28, 1)?
            .map(|n| n as u8)
            .filter(|n| *n > 0),
        horse_number: f
            .number("horse number", 29, 2)?
            .map(|n| n as u8)
            .filter(|n| *n > 0),
        horse_id: f.ascii("horse id", 31, 10)?,
        horse_name: f.text("horse name", 41, 36)?,
        sex: codes::sex(f.raw("sex", 79, 1)?[0]),
        age: f.number("age", 83, 2)?.map(|n| n as u8),
        trainer_code: f.ascii("trainer code", 86, 5)?,
        trainer_name: f.text("trainer name", 91, 8)?,
        weight_carried: f.number("weight carried", 289, 3)?.map(|w| w as f64 / 10.0),
        jockey_code: f.ascii("jockey code", 297, 5)?,
        jockey_name: f.text("jockey name", 307, 8)?,
        abnormal,
        finish: f
            .number("finish", 335, 2)?
            .map(|n| n as u8)
            .filter(|n| *n > 0),
        win_odds: odds,
        popularity: f
            .number("popularity", 364, 2)?
            .map(|n| n as u8)
            .filter(|n| *n > 0),
    })
}
