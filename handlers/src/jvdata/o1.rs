//! O1 オッズ1 単勝・複勝・枠連 (docs/jvdata.md §4, 962 bytes).

use super::{Fields, Header, RecordError};

pub const LENGTH: usize = 962;

/// One odds value with the special values of §4.4.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Odds {
    /// Decimal odds (`0035` → 3.5; `9999` means 999.9 or more).
    Value(f64),
    /// `0000`: on sale, no votes yet.
    NoVotes,
    /// `----`: cancelled before sale.
    CancelledBeforeSale,
    /// `****`: cancelled after sale.
    CancelledAfterSale,
}

impl Odds {
    pub fn value(self) -> Option<f64> {
        match self {
            Odds::Value(v) => Some(v),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct WinOdds {
    pub horse_number: u8,
    pub odds: Odds,
    pub popularity: Option<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlaceOdds {
    pub horse_number: u8,
    pub low: Odds,
    pub high: Odds,
    pub popularity: Option<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BracketOdds {
    pub brackets: (u8, u8),
    pub odds: Odds,
    pub popularity: Option<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct O1 {
    pub header: Header,
    /// 発表月日時分 `MMDDhhmm` of interim odds; None otherwise.
    pub announced: Option<String>,
    pub registered: u8,
    pub starters: u8,
    /// 発売フラグ 単勝 / 複勝 / 枠連: 0 not sold, 1 cancelled before, 3 cancelled after, 7 on sale.
    pub sale_flags: [u8; 3],
    pub win: Vec<WinOdds>,
    pub place: Vec<PlaceOdds>,
    pub bracket: Vec<BracketOdds>,
}

fn odds(
    f: &Fields,
    field: &'static str,
    start: usize,
    len: usize,
) -> Result<Option<Odds>, RecordError> {
    let raw = f.raw(field, start, len)?;
    Ok(match raw {
        r if r.iter().all(|b| *b == b' ') => None,
        r if r.iter().all(|b| *b == b'-') => Some(Odds::CancelledBeforeSale),
        r if r.iter().all(|b| *b == b'*') => Some(Odds::CancelledAfterSale),
        _ => match f.number(field, start, len)? {
            Some(0) => Some(Odds::NoVotes),
            Some(n) => Some(Odds::Value(n as f64 / 10.0)),
            None => None,
        },
    })
}

fn popularity(f: &Fields, field: &'static str, start: usize) -> Result<Option<u8>, RecordError> {
    let raw = f.raw(field, start, 2)?;
    if raw == b"--" || raw == b"**" {
        return Ok(None);
    }
    Ok(f.number(field, start, 2)?
        .map(|n| n as u8)
        .filter(|n| *n > 0))
}

pub fn parse(bytes: &[u8]) -> Result<O1, RecordError> {
    let f = Fields::new("O1", bytes, LENGTH)?;
    let announced = f.ascii("announced at", 28, 8)?;
    let mut sale_flags = [0u8; 3];
    for (i, flag) in sale_flags.iter_mut().enumerate() {
        *flag = f.number("sale flag", 40 + i, 1)?.unwrap_or(0) as u8;
    }
    let mut win = Vec::new();
    for n in 0..28 {
        let at = 44 + 8 * n;
        let (Some(number), Some(o)) = (
            f.number("win horse number", at, 2)?,
            odds(&f, "win odds", at + 2, 4)?,
        ) else {
            continue;
        };
        win.push(WinOdds {
            horse_number: number as u8,
            odds: o,
            popularity: popularity(&f, "win popularity", at + 6)?,
        });
    }
    let mut place = Vec::new();
    for n in 0..28 {
        let at = 268 + 12 * n;
        let Some(number) = f.number("place horse number", at, 2)? else {
            continue;
        };
        let (Some(low), Some(high)) = (
            odds(&f, "place odds low", at + 2, 4)?,
            odds(&f, "place odds high", at + 6, 4)?,
        ) else {
            continue;
        };
        place.push(PlaceOdds {
            horse_number: number as u8,
            low,
            high,
            popularity: popularity(&f, "place popularity", at + 10)?,
        });
    }
    let mut bracket = Vec::new();
    for k in 0..36 {
        let at = 604 + 9 * k;
        let Some(combo) = f.number("bracket combination", at, 2)? else {
            continue;
        };
        let Some(o) = odds(&f, "bracket odds", at + 2, 5)? else {
            continue;
        };
        bracket.push(BracketOdds {
            brackets: ((combo / 10) as u8, (combo % 10) as u8),
            odds: o,
            popularity: popularity(&f, "bracket popularity", at + 7)?,
        });
    }
    Ok(O1 {
        header: f.header()?,
        announced: Some(announced).filter(|a| !a.is_empty() && a != "00000000"),
        registered: f.number("registered runners", 36, 2)?.unwrap_or(0) as u8,
        starters: f.number("starters", 38, 2)?.unwrap_or(0) as u8,
        sale_flags,
        win,
        place,
        bracket,
    })
}
