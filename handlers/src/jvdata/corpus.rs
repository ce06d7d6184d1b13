//! The fixture corpus: a race day at two venues written as JV-Data, byte-exact, from field
//! values. The files under `windows-bootstrap/gateway/tests/fixtures/` are this corpus; the
//! gateway's tests replay them through a fake JV-Link and the parser's tests read them back.
//! `cargo run -p baken-handlers --bin jvdata-fixtures` writes them again.

use super::build::{self, OddsText, RaceFields, RunnerFields};

pub const DATE: &str = "20261227";
/// 中山 (06) and 阪神 (09), meeting 5, day 8.
pub const VENUES: [&str; 2] = ["06", "09"];
pub const RACES_PER_VENUE: u64 = 3;

const HORSES: [&str; 18] = [
    "ドウデュース",
    "ジャスティンパレス",
    "スターズオンアース",
    "タイトルホルダー",
    "スルーセブンシーズ",
    "シャフリヤール",
    "ディープボンド",
    "ハーパー",
    "ソールオリエンス",
    "タスティエーラ",
    "ライラック",
    "ウインマリリン",
    "ブローザホーン",
    "アイアンバローズ",
    "プラダリア",
    "ホウオウエミーズ",
    "ヒートオンビート",
    "シュトルーヴェ",
];
const JOCKEYS: [(&str, &str); 6] = [
    ("01096", "武豊"),
    ("05339", "ルメール"),
    ("01088", "川田将雅"),
    ("01126", "横山武史"),
    ("01170", "坂井瑠星"),
    ("01075", "戸崎圭太"),
];
const TRAINERS: [(&str, &str); 3] = [
    ("01071", "国枝栄"),
    ("01064", "友道康夫"),
    ("01142", "田中博康"),
];

pub fn race_id(venue: &str, number: u64) -> String {
    format!("{DATE}{venue}0508{number:02}")
}

/// The bracket of horse `n` in a field of `count` (JRA's allocation).
fn bracket(n: u64, count: u64) -> u64 {
    crate::races::mock::bracket_of(n as usize, count as usize) as u64
}

fn field_size(venue: &str, number: u64) -> u64 {
    match (venue, number) {
        ("06", 3) | ("09", 3) => 18,
        (_, 1) => 12,
        _ => 16,
    }
}

/// Records of one race: RA, one SE per runner, O1 and (for finished races) HR.
fn race_records(venue: &str, number: u64) -> Vec<Vec<u8>> {
    let id = race_id(venue, number);
    let count = field_size(venue, number);
    // Race 1 is still before the race (blank start-day fields); races 2 and 3 are run.
    let finished = number > 1;
    let special = number == 3;
    let ra = build::ra(&RaceFields {
        race_id: &id,
        kubun: if finished { '7' } else { '2' },
        name: match (venue, special) {
            ("06", true) => "有馬記念",
            ("09", true) => "阪神カップ",
            _ => "",
        },
        grade: match (venue, special) {
            ("06", true) => 'A',
            ("09", true) => 'B',
            _ => ' ',
        },
        kind: if number == 1 { 11 } else { 13 },
        condition: match number {
            1 => 703,
            2 => 5,
            _ => 999,
        },
        distance: [1200, 1800, 2500][number as usize - 1],
        track: if number == 2 { 24 } else { 17 },
        start: Some([1010, 1045, 1525][number as usize - 1]),
        registered: count,
        weather: if finished { '1' } else { ' ' },
        turf_going: if finished { '1' } else { ' ' },
        dirt_going: if finished { '2' } else { ' ' },
    });
    let mut out = vec![ra];
    // One scratched horse in each run race: number 5.
    let scratched = |n: u64| finished && n == 5;
    let mut win = Vec::new();
    for n in 1..=count {
        let (jcode, jname) = JOCKEYS[(n as usize + number as usize) % JOCKEYS.len()];
        let (tcode, tname) = TRAINERS[n as usize % TRAINERS.len()];
        let odds = 15 + (n * 37 + number * 11) % 400;
        // The same horse (name and id) runs in several races of the corpus, so it has a history.
        let horse = (n as usize - 1 + venue.len() * number as usize) % HORSES.len();
        let runner = RunnerFields {
            race_id: &id,
            bracket: bracket(n, count),
            number: n,
            horse_id: &format!("20{:02}10{:04}", 19 + horse % 4, horse * 7 + 1),
            name: HORSES[horse],
            sex: ['1', '2', '3'][n as usize % 3],
            age: 3 + n % 4,
            trainer_code: tcode,
            trainer: tname,
            weight_carried: [550, 560, 570, 580][n as usize % 4],
            jockey_code: jcode,
            jockey: jname,
            abnormal: if scratched(n) { '1' } else { '0' },
            finish: (finished && !scratched(n)).then(|| if n < 5 { n } else { n - 1 }),
            win_odds: (finished && !scratched(n)).then_some(odds),
            popularity: None,
        };
        out.push(build::se(&runner));
        win.push((n, odds));
    }
    // O1: final odds for run races (special values on horses 5 and 6 of race 2), none before.
    let mut ranked: Vec<(u64, u64)> = win
        .iter()
        .copied()
        .filter(|(n, _)| !scratched(*n))
        .collect();
    ranked.sort_by_key(|(n, o)| (*o, *n));
    let pop = |n: u64| {
        ranked
            .iter()
            .position(|(m, _)| *m == n)
            .map(|p| p as u64 + 1)
    };
    let slots: Vec<(u64, OddsText, Option<u64>)> = win
        .iter()
        .map(|(n, o)| {
            if !finished {
                (*n, OddsText::NoVotes, None)
            } else if scratched(*n) {
                (
                    *n,
                    if number == 2 {
                        OddsText::CancelledBefore
                    } else {
                        OddsText::CancelledAfter
                    },
                    None,
                )
            } else {
                (*n, OddsText::Tenths(*o), pop(*n))
            }
        })
        .collect();
    out.push(build::o1(
        &id,
        if finished { '4' } else { '1' },
        count,
        count - u64::from(finished),
        &slots,
    ));
    if finished {
        let (a, b, c) = (ranked[0].0, ranked[1].0, ranked[2].0);
        out.push(build::hr(
            &id,
            count - 1,
            (a, ranked[0].1 * 10, 1),
            &[(a, 110, 1), (b, 180, 2), (c, 240, 3)],
            ([a, b, c], 4_560, 12),
        ));
    }
    out
}

/// The corpus as JV-Link would deliver it: one file per venue of the stored `RACE` data.
pub fn files() -> Vec<(String, Vec<u8>)> {
    VENUES
        .iter()
        .map(|v| {
            let bytes: Vec<u8> = (1..=RACES_PER_VENUE)
                .flat_map(|n| race_records(v, n))
                .flatten()
                .collect();
            (format!("RACE-{DATE}-{v}.jvd"), bytes)
        })
        .collect()
}

/// Splits a file of records at their CR LF ends.
pub fn records(file: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < file.len() {
        let len = match file.get(start..start + 2) {
            Some(b"RA") => super::ra::LENGTH,
            Some(b"SE") => super::se::LENGTH,
            Some(b"O1") => super::o1::LENGTH,
            Some(b"HR") => super::hr::LENGTH,
            _ => file.len() - start,
        };
        let end = (start + len).min(file.len());
        out.push(&file[start..end]);
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jvdata::{parse, Record};

    /// Read when the test runs: the target directory is shared between checkouts at different
    /// paths, and the compile-time value may name another one.
    fn fixture_dir() -> std::path::PathBuf {
        std::env::var_os("CARGO_MANIFEST_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
            .join("../windows-bootstrap/gateway/tests/fixtures")
    }

    #[test]
    fn the_committed_fixtures_are_the_generated_corpus() {
        for (name, bytes) in files() {
            let committed = std::fs::read(fixture_dir().join(&name)).unwrap_or_else(|e| {
                panic!("{name}: {e}; run `cargo run -p baken-handlers --bin jvdata-fixtures`")
            });
            assert!(committed == bytes, "{name} differs from the generator; run `cargo run -p baken-handlers --bin jvdata-fixtures`");
        }
    }

    #[test]
    fn every_fixture_record_parses_and_the_day_is_complete() {
        let mut races = 0;
        let mut scratched = 0;
        let mut full_fields = 0;
        for (_, bytes) in files() {
            for rec in records(&bytes) {
                match parse(rec).unwrap() {
                    Record::Ra(ra) => {
                        races += 1;
                        full_fields += usize::from(ra.registered == 18);
                    }
                    Record::Se(se) => scratched += usize::from(se.scratched()),
                    Record::O1(_) | Record::Hr(_) => {}
                }
            }
        }
        assert_eq!(races, 6);
        assert_eq!(scratched, 4);
        assert_eq!(full_fields, 2);
    }
}
