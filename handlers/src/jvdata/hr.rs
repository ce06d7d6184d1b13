//! HR 払戻 (docs/jvdata.md §5, 719 bytes).

use super::{Fields, Header, RecordError};

pub const LENGTH: usize = 719;

/// One paid combination: the horse (or bracket) numbers, yen per ¥100, popularity.
#[derive(Debug, Clone, PartialEq)]
pub struct Payout {
    pub numbers: Vec<u8>,
    pub yen: u64,
    pub popularity: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Payouts {
    pub win: Vec<Payout>,
    pub place: Vec<Payout>,
    pub bracket_quinella: Vec<Payout>,
    pub quinella: Vec<Payout>,
    pub quinella_place: Vec<Payout>,
    pub exacta: Vec<Payout>,
    pub trio: Vec<Payout>,
    pub trifecta: Vec<Payout>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hr {
    pub header: Header,
    pub registered: u8,
    pub starters: u8,
    pub payouts: Payouts,
}

/// A block of `slots` slots of `combo` digits (`per` digits per number), 9-digit payout and a
/// `pop`-digit popularity; slots with a zero or blank combination are left out.
struct Block {
    field: &'static str,
    start: usize,
    slots: usize,
    combo: usize,
    per: usize,
    pop: usize,
}

fn block(f: &Fields, b: Block) -> Result<Vec<Payout>, RecordError> {
    let slot = b.combo + 9 + b.pop;
    let mut out = Vec::new();
    for k in 0..b.slots {
        let at = b.start + slot * k;
        let raw = f.raw(b.field, at, b.combo)?;
        if raw.iter().all(|c| *c == b' ' || *c == b'0') {
            continue;
        }
        let mut numbers = Vec::new();
        for i in 0..b.combo / b.per {
            numbers.push(f.number(b.field, at + i * b.per, b.per)?.unwrap_or(0) as u8);
        }
        let Some(yen) = f.number(b.field, at + b.combo, 9)? else {
            continue;
        };
        out.push(Payout {
            numbers,
            yen,
            popularity: f
                .number(b.field, at + b.combo + 9, b.pop)?
                .map(|p| p as u32),
        });
    }
    Ok(out)
}

pub fn parse(bytes: &[u8]) -> Result<Hr, RecordError> {
    let f = Fields::new("HR", bytes, LENGTH)?;
    let b = |field, start, slots, combo, per, pop| Block {
        field,
        start,
        slots,
        combo,
        per,
        pop,
    };
    Ok(Hr {
        header: f.header()?,
        registered: f.number("registered runners", 28, 2)?.unwrap_or(0) as u8,
        starters: f.number("starters", 30, 2)?.unwrap_or(0) as u8,
        payouts: Payouts {
            win: block(&f, b("win payout", 103, 3, 2, 2, 2))?,
            place: block(&f, b("place payout", 142, 5, 2, 2, 2))?,
            bracket_quinella: block(&f, b("bracket quinella payout", 207, 3, 2, 1, 2))?,
            quinella: block(&f, b("quinella payout", 246, 3, 4, 2, 3))?,
            quinella_place: block(&f, b("quinella place payout", 294, 7, 4, 2, 3))?,
            exacta: block(&f, b("exacta payout", 454, 6, 4, 2, 3))?,
            trio: block(&f, b("trio payout", 550, 3, 6, 2, 3))?,
            trifecta: block(&f, b("trifecta payout", 604, 6, 6, 2, 4))?,
        },
    })
}
