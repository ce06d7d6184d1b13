//! Writes byte-exact JV-Data records from field values: the fixtures of the parser's tests and of
//! the gateway's are built here, never typed by hand. Positions are docs/jvdata.md's, 1-based.

use encoding_rs::SHIFT_JIS;

/// A record of `length` bytes, blank (half-width spaces) and ending in CR LF.
pub struct RecordBuilder {
    bytes: Vec<u8>,
}

impl RecordBuilder {
    pub fn new(record_type: &str, length: usize) -> RecordBuilder {
        let mut bytes = vec![b' '; length];
        bytes[..2].copy_from_slice(record_type.as_bytes());
        bytes[length - 2..].copy_from_slice(b"\r\n");
        RecordBuilder { bytes }
    }

    /// The 27-byte header: type, データ区分, 作成日, race id.
    pub fn header(
        record_type: &str,
        length: usize,
        kubun: char,
        make_date: &str,
        race_id: &str,
    ) -> RecordBuilder {
        let mut b = RecordBuilder::new(record_type, length);
        b.ascii(3, 1, &kubun.to_string())
            .ascii(4, 8, make_date)
            .ascii(12, 16, race_id);
        b
    }

    fn put(&mut self, start: usize, len: usize, value: &[u8]) -> &mut Self {
        assert!(
            value.len() <= len,
            "{} bytes do not fit a {len}-byte field at {start}",
            value.len()
        );
        self.bytes[start - 1..start - 1 + value.len()].copy_from_slice(value);
        self
    }

    /// Half-width text, left-aligned, padded with spaces.
    pub fn ascii(&mut self, start: usize, len: usize, value: &str) -> &mut Self {
        assert!(value.is_ascii());
        self.put(start, len, value.as_bytes())
    }

    /// A number, zero-padded to the field's width.
    pub fn num(&mut self, start: usize, len: usize, value: u64) -> &mut Self {
        self.ascii(start, len, &format!("{value:0len$}"))
    }

    /// Shift_JIS text, padded with full-width spaces (and one half-width space for an odd byte).
    pub fn text(&mut self, start: usize, len: usize, value: &str) -> &mut Self {
        let (encoded, _, had_errors) = SHIFT_JIS.encode(value);
        assert!(!had_errors, "{value} has characters Shift_JIS lacks");
        let mut field = encoded.into_owned();
        while field.len() + 2 <= len {
            field.extend_from_slice(&[0x81, 0x40]);
        }
        if field.len() < len {
            field.push(b' ');
        }
        self.put(start, len, &field)
    }

    pub fn finish(&self) -> Vec<u8> {
        self.bytes.clone()
    }
}

/// What a test or fixture says about one race (RA).
pub struct RaceFields<'a> {
    pub race_id: &'a str,
    pub kubun: char,
    pub name: &'a str,
    pub grade: char,
    pub kind: u64,
    pub condition: u64,
    pub distance: u64,
    pub track: u64,
    /// `hhmm`, or None for a blank 発走時刻.
    pub start: Option<u64>,
    pub registered: u64,
    pub weather: char,
    pub turf_going: char,
    pub dirt_going: char,
}

pub fn ra(r: &RaceFields) -> Vec<u8> {
    let mut b = RecordBuilder::header("RA", super::ra::LENGTH, r.kubun, &r.race_id[..8], r.race_id);
    b.text(33, 60, r.name)
        .text(93, 60, "")
        .text(153, 60, "")
        .ascii(615, 1, &r.grade.to_string())
        .num(617, 2, r.kind)
        .num(623, 3, r.condition)
        .num(626, 3, r.condition)
        .num(629, 3, r.condition)
        .num(632, 3, r.condition)
        .num(635, 3, r.condition)
        .num(698, 4, r.distance)
        .num(706, 2, r.track)
        .num(882, 2, r.registered)
        .ascii(888, 1, &r.weather.to_string())
        .ascii(889, 1, &r.turf_going.to_string())
        .ascii(890, 1, &r.dirt_going.to_string());
    if let Some(hhmm) = r.start {
        b.num(874, 4, hhmm);
    }
    b.finish()
}

/// One runner (SE).
pub struct RunnerFields<'a> {
    pub race_id: &'a str,
    pub bracket: u64,
    pub number: u64,
    pub horse_id: &'a str,
    pub name: &'a str,
    pub sex: char,
    pub age: u64,
    pub trainer_code: &'a str,
    pub trainer: &'a str,
    /// 0.1 kg.
    pub weight_carried: u64,
    pub jockey_code: &'a str,
    pub jockey: &'a str,
    pub abnormal: char,
    pub finish: Option<u64>,
    /// ×10; None leaves the field blank (before odds exist, and for scratched horses).
    pub win_odds: Option<u64>,
    pub popularity: Option<u64>,
}

pub fn se(r: &RunnerFields) -> Vec<u8> {
    let mut b = RecordBuilder::header("SE", super::se::LENGTH, '7', &r.race_id[..8], r.race_id);
    b.num(28, 1, r.bracket)
        .num(29, 2, r.number)
        .ascii(31, 10, r.horse_id)
        .text(41, 36, r.name)
        .ascii(79, 1, &r.sex.to_string())
        .num(83, 2, r.age)
        .ascii(86, 5, r.trainer_code)
        .text(91, 8, r.trainer)
        .num(289, 3, r.weight_carried)
        .ascii(297, 5, r.jockey_code)
        .text(307, 8, r.jockey)
        .ascii(332, 1, &r.abnormal.to_string());
    if let Some(f) = r.finish {
        b.num(335, 2, f);
    }
    if let Some(o) = r.win_odds {
        b.num(360, 4, o);
    }
    if let Some(p) = r.popularity {
        b.num(364, 2, p);
    }
    b.finish()
}

/// A win-odds slot as written: digits (×10) or one of the special patterns.
pub enum OddsText {
    Tenths(u64),
    NoVotes,
    CancelledBefore,
    CancelledAfter,
}

/// O1 with win odds and popularity per horse (place and bracket blocks left blank).
pub fn o1(
    race_id: &str,
    kubun: char,
    registered: u64,
    starters: u64,
    win: &[(u64, OddsText, Option<u64>)],
) -> Vec<u8> {
    let mut b = RecordBuilder::header("O1", super::o1::LENGTH, kubun, &race_id[..8], race_id);
    b.ascii(28, 8, "00000000")
        .num(36, 2, registered)
        .num(38, 2, starters)
        .ascii(40, 3, "777")
        .ascii(43, 1, "3");
    for (number, odds, pop) in win {
        let at = 44 + 8 * (*number as usize - 1);
        b.num(at, 2, *number);
        match odds {
            OddsText::Tenths(t) => b.num(at + 2, 4, *t),
            OddsText::NoVotes => b.ascii(at + 2, 4, "0000"),
            OddsText::CancelledBefore => b.ascii(at + 2, 4, "----"),
            OddsText::CancelledAfter => b.ascii(at + 2, 4, "****"),
        };
        match (odds, pop) {
            (OddsText::CancelledBefore, _) => b.ascii(at + 6, 2, "--"),
            (OddsText::CancelledAfter, _) => b.ascii(at + 6, 2, "**"),
            (_, Some(p)) => b.num(at + 6, 2, *p),
            (_, None) => b.ascii(at + 6, 2, "  "),
        };
    }
    b.finish()
}

/// HR with win, place and trifecta payouts.
pub fn hr(
    race_id: &str,
    starters: u64,
    win: (u64, u64, u64),
    places: &[(u64, u64, u64)],
    trifecta: ([u64; 3], u64, u64),
) -> Vec<u8> {
    let mut b = RecordBuilder::header("HR", super::hr::LENGTH, '2', &race_id[..8], race_id);
    b.num(28, 2, starters)
        .num(30, 2, starters)
        .ascii(32, 27, &"0".repeat(27));
    b.num(103, 2, win.0).num(105, 9, win.1).num(114, 2, win.2);
    for (k, (n, yen, pop)) in places.iter().enumerate() {
        let at = 142 + 13 * k;
        b.num(at, 2, *n).num(at + 2, 9, *yen).num(at + 11, 2, *pop);
    }
    let ([x, y, z], yen, pop) = trifecta;
    b.num(604, 2, x)
        .num(606, 2, y)
        .num(608, 2, z)
        .num(610, 9, yen)
        .num(619, 4, pop);
    b.finish()
}
