//! Parser tests on records built from field values (`build.rs`), and random and truncated input.

use super::build::{self, OddsText, RaceFields, RunnerFields};
use super::o1::Odds;
use super::*;

const RACE: &str = "2026122706050811";

fn arima() -> RaceFields<'static> {
    RaceFields {
        race_id: RACE,
        kubun: '2',
        name: "有馬記念",
        grade: 'A',
        kind: 13,
        condition: 999,
        distance: 2500,
        track: 17,
        start: Some(1525),
        registered: 16,
        weather: '1',
        turf_going: '2',
        dirt_going: '1',
    }
}

fn runner(number: u64, name: &'static str, jockey: &'static str) -> RunnerFields<'static> {
    RunnerFields {
        race_id: RACE,
        bracket: number.div_ceil(2),
        number,
        horse_id: "2021104321",
        name,
        sex: '1',
        age: 5,
        trainer_code: "01071",
        trainer: "国枝栄",
        weight_carried: 570,
        jockey_code: "05339",
        jockey,
        abnormal: '0',
        finish: None,
        win_odds: Some(35),
        popularity: Some(1),
    }
}

#[test]
fn ra_gives_names_times_and_codes() {
    let ra = ra::parse(&build::ra(&arima())).unwrap();
    assert_eq!(ra.header.race_id, RACE);
    assert_eq!(ra.header.venue_code(), "06");
    assert_eq!(ra.header.race_number(), 11);
    assert_eq!(ra.display_name(), "有馬記念");
    assert_eq!(ra.grade, "G1");
    assert_eq!(ra.distance, 2500);
    assert_eq!(ra.track_type, "芝");
    assert_eq!(ra.going, "稍重", "turf going for a turf race");
    assert_eq!(ra.weather, "晴");
    assert_eq!(
        ra.start_time.unwrap().to_rfc3339(),
        "2026-12-27T15:25:00+09:00"
    );

    let ordinary = RaceFields {
        name: "",
        grade: ' ',
        condition: 5,
        track: 24,
        start: None,
        weather: ' ',
        turf_going: ' ',
        dirt_going: ' ',
        ..arima()
    };
    let ra = ra::parse(&build::ra(&ordinary)).unwrap();
    assert_eq!(ra.display_name(), "3歳以上1勝クラス");
    assert_eq!(
        (ra.track_type, ra.grade, ra.going, ra.weather),
        ("ダート", "", "", "")
    );
    assert_eq!(ra.start_time, None, "blank before the card is fixed");
}

#[test]
fn se_fields_after_full_width_names_are_read_at_their_byte_positions() {
    let se = se::parse(&build::se(&runner(7, "ドウデュース", "武豊"))).unwrap();
    assert_eq!(se.horse_number, Some(7));
    assert_eq!(se.bracket, Some(4));
    assert_eq!(se.horse_name, "ドウデュース");
    assert_eq!(se.jockey_name, "武豊");
    assert_eq!(se.trainer_name, "国枝栄");
    assert_eq!(se.weight_carried, Some(57.0));
    assert_eq!((se.win_odds, se.popularity), (Some(3.5), Some(1)));
    assert_eq!(se.sex, "牡");
    assert!(!se.scratched());
    // Decoding the whole record and slicing by byte positions reads the wrong text here.
    let decoded = encoding_rs::SHIFT_JIS
        .decode(&build::se(&runner(7, "ドウデュース", "武豊")))
        .0
        .into_owned();
    assert_ne!(
        decoded.chars().skip(306).take(4).collect::<String>(),
        "武豊"
    );

    let scratched = RunnerFields {
        abnormal: '1',
        win_odds: None,
        popularity: None,
        ..runner(3, "ジャスティンパレス", "ルメール")
    };
    let se = se::parse(&build::se(&scratched)).unwrap();
    assert!(se.scratched());
    assert_eq!((se.win_odds, se.popularity), (None, None));
}

#[test]
fn o1_reads_odds_and_their_special_values() {
    let bytes = build::o1(
        RACE,
        '1',
        16,
        15,
        &[
            (1, OddsText::Tenths(35), Some(1)),
            (2, OddsText::Tenths(9999), Some(16)),
            (3, OddsText::NoVotes, None),
            (4, OddsText::CancelledBefore, None),
            (5, OddsText::CancelledAfter, None),
        ],
    );
    assert_eq!(bytes.len(), 962);
    let o1 = o1::parse(&bytes).unwrap();
    let odds: Vec<(u8, Odds, Option<u8>)> = o1
        .win
        .iter()
        .map(|w| (w.horse_number, w.odds, w.popularity))
        .collect();
    assert_eq!(
        odds,
        vec![
            (1, Odds::Value(3.5), Some(1)),
            (2, Odds::Value(999.9), Some(16)),
            (3, Odds::NoVotes, None),
            (4, Odds::CancelledBeforeSale, None),
            (5, Odds::CancelledAfterSale, None),
        ]
    );
    assert_eq!(
        (o1.registered, o1.starters, o1.sale_flags),
        (16, 15, [7, 7, 7])
    );
    assert_eq!(o1.announced, None);
}

#[test]
fn hr_reads_payouts() {
    let hr = hr::parse(&build::hr(
        RACE,
        16,
        (7, 350, 1),
        &[(7, 140, 1), (3, 420, 6), (12, 990, 9)],
        ([7, 3, 12], 123_450, 201),
    ))
    .unwrap();
    assert_eq!(
        hr.payouts.win,
        vec![hr::Payout {
            numbers: vec![7],
            yen: 350,
            popularity: Some(1)
        }]
    );
    assert_eq!(hr.payouts.place.len(), 3);
    assert_eq!(hr.payouts.trifecta[0].numbers, vec![7, 3, 12]);
    assert_eq!(hr.payouts.trifecta[0].yen, 123_450);
    assert!(hr.payouts.quinella.is_empty());
}

#[test]
fn records_have_the_documented_lengths() {
    assert_eq!(build::ra(&arima()).len(), 1272);
    assert_eq!(build::se(&runner(1, "ア", "イ")).len(), 555);
    assert_eq!(
        build::hr(RACE, 8, (1, 100, 1), &[], ([1, 2, 3], 100, 1)).len(),
        719
    );
}

#[test]
fn errors_name_record_field_and_offset() {
    let mut bad = build::ra(&arima());
    bad[697..701].copy_from_slice(b"2a00");
    let e = ra::parse(&bad).unwrap_err();
    assert_eq!((e.record, e.field, e.offset), ("RA", "distance", 698));
    assert!(e
        .to_string()
        .contains("RA record: field distance at byte 698"));

    let e = se::parse(&build::se(&runner(1, "ア", "イ"))[..500]).unwrap_err();
    assert_eq!((e.record, e.field), ("SE", "record length"));

    let mut bad = build::ra(&arima());
    bad[32] = 0x81; // a lead byte followed by a half-width space: not Shift_JIS
    bad[33] = 0x20;
    assert_eq!(ra::parse(&bad).unwrap_err().field, "race name");

    assert_eq!(parse(b"ZZ123").unwrap_err().field, "record type");
}

/// SplitMix64, for reproducible random input.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[test]
fn random_truncated_and_mutated_records_never_panic() {
    let valid = [
        build::ra(&arima()),
        build::se(&runner(2, "イクイノックス", "ルメール")),
        build::o1(RACE, '3', 16, 16, &[(1, OddsText::Tenths(12), Some(1))]),
        build::hr(RACE, 16, (1, 120, 1), &[], ([1, 2, 3], 5000, 12)),
    ];
    let mut seed = 42u64;
    let mut errors = 0;
    for round in 0..20_000 {
        let base = &valid[round % valid.len()];
        let mut bytes = base.clone();
        match next(&mut seed) % 4 {
            0 => bytes.truncate((next(&mut seed) as usize) % (base.len() + 1)),
            1 => {
                for _ in 0..1 + next(&mut seed) % 8 {
                    let i = (next(&mut seed) as usize) % bytes.len();
                    bytes[i] = next(&mut seed) as u8;
                }
            }
            2 => {
                bytes = (0..(next(&mut seed) % 1400))
                    .map(|_| next(&mut seed) as u8)
                    .collect()
            }
            _ => {
                // Valid type, random body of the right length.
                for b in bytes[2..base.len() - 2].iter_mut() {
                    *b = next(&mut seed) as u8;
                }
            }
        }
        if let Err(e) = parse(&bytes) {
            errors += 1;
            assert!(!e.field.is_empty() && e.offset >= 1, "{e:?}");
            assert!(["RA", "SE", "O1", "HR", "JV-Data"].contains(&e.record));
        }
    }
    assert!(
        errors > 10_000,
        "most random input is refused, {errors} were"
    );
}
