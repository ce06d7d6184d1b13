//! Generated races for any date, the same in every process: everything derives from the date and
//! the race id through a fixed hash, never from a random source or the clock.

use chrono::{Datelike, NaiveDate};

use super::{parse_race_id, Race, RaceProvider, Runner};
use crate::domain::time::jst_at;
use crate::http::ApiError;

/// SplitMix64: small, fast, and fixed forever (a library's generator could change its stream).
struct Rng(u64);

impl Rng {
    fn new(seed: &str) -> Rng {
        // FNV-1a over the seed text.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const NAME_HEADS: [&str; 24] = [
    "サクラ",
    "キング",
    "メイショウ",
    "ゴールド",
    "シルバー",
    "ダイワ",
    "トウカイ",
    "マイネル",
    "エイシン",
    "アドマイヤ",
    "ナリタ",
    "ビッグ",
    "スマート",
    "ホッコー",
    "レッド",
    "ブルー",
    "グラン",
    "ミラクル",
    "ハッピー",
    "スター",
    "ウイン",
    "タガノ",
    "ロード",
    "カフェ",
];
const NAME_TAILS: [&str; 24] = [
    "オーカン",
    "ヘイロー",
    "ボス",
    "シップ",
    "アロー",
    "ジャーニー",
    "テイオー",
    "ダンサー",
    "ブリーズ",
    "フラッシュ",
    "ライト",
    "ストーム",
    "クラウン",
    "ハート",
    "ドリーム",
    "ファイター",
    "ローズ",
    "サンデー",
    "リボン",
    "マーチ",
    "ウインド",
    "スピリット",
    "ソング",
    "ノヴァ",
];
const JOCKEYS: [(&str, f64); 12] = [
    ("川村 拓", 18.2),
    ("武田 豊", 16.4),
    ("福原 祐", 14.6),
    ("横井 武", 13.1),
    ("戸田 大", 12.8),
    ("松本 弘", 11.5),
    ("岩城 康", 10.9),
    ("池田 謙", 9.7),
    ("坂本 瑠", 8.8),
    ("丹羽 健", 7.4),
    ("西原 勇", 6.3),
    ("藤井 晃", 5.2),
];
const TRAINERS: [&str; 10] = [
    "国枝 修",
    "堀田 宣",
    "矢野 英",
    "友田 道",
    "中内 幸",
    "藤原 英",
    "池上 学",
    "木村 哲",
    "須田 尚",
    "音羽 孝",
];
const CONDITIONS: [&str; 6] = [
    "2歳未勝利",
    "3歳以上1勝クラス",
    "3歳以上2勝クラス",
    "3歳以上3勝クラス",
    "2歳新馬",
    "3歳以上オープン",
];
const SPECIAL_RACES: [(&str, &str); 6] = [
    ("ディセンバーステークス", "L"),
    ("ターコイズステークス", "G3"),
    ("カペラステークス", "G3"),
    ("阪神カップ", "G2"),
    ("朝日杯フューチュリティステークス", "G1"),
    ("ホープフルステークス", "G1"),
];
const GOINGS: [&str; 4] = ["良", "良", "稍重", "重"];

/// The three venues that race on a date (deterministic; JRA's real calendar is the jravan
/// provider's business).
fn venues_on(date: NaiveDate) -> [&'static str; 3] {
    const SETS: [[&str; 3]; 4] = [
        ["06", "07", "08"],
        ["05", "08", "03"],
        ["01", "04", "10"],
        ["06", "07", "09"],
    ];
    SETS[(date.month0() / 3) as usize]
}

pub struct MockRaces;

impl MockRaces {
    pub fn race_id(date: NaiveDate, venue: &str, number: u8) -> String {
        let kai = date.month0() / 3 + 1;
        let nichi = (date.day0() % 8) + 1;
        format!(
            "{}{venue}{kai:02}{nichi:02}{number:02}",
            date.format("%Y%m%d")
        )
    }

    pub fn generate(race_id: &str) -> Option<Race> {
        let (date, venue, _, _, number) = parse_race_id(race_id)?;
        if !venues_on(date).contains(&venue) || Self::race_id(date, venue, number) != race_id {
            return None;
        }
        let mut rng = Rng::new(race_id);
        // First race 10:00, then every 30 to 35 minutes: the start depends on the earlier races.
        let mut day = Rng::new(&format!("{}{venue}", date.format("%Y%m%d")));
        let mut minutes = 10 * 60;
        for _ in 1..number {
            minutes += 30 + day.below(6) as u32;
        }
        let start_time = jst_at(date, minutes / 60, minutes % 60);
        let obstacle = number == 1 && rng.below(4) == 0;
        let track_type = if obstacle {
            "障害"
        } else if rng.below(2) == 0 {
            "芝"
        } else {
            "ダート"
        };
        let distance = match track_type {
            "障害" => *rng.pick(&[2880, 3110, 3350]),
            "芝" => *rng.pick(&[1200, 1400, 1600, 1800, 2000, 2200, 2400, 2500]),
            _ => *rng.pick(&[1000, 1150, 1200, 1400, 1700, 1800, 1900, 2100]),
        };
        let (race_name, grade) = if number == 11 {
            let (n, g) = *rng.pick(&SPECIAL_RACES);
            (n.to_string(), g.to_string())
        } else if obstacle {
            ("障害3歳以上未勝利".to_string(), String::new())
        } else {
            (rng.pick(&CONDITIONS).to_string(), String::new())
        };
        let count = 8 + rng.below(11) as usize;
        let runners = runners(&mut rng, count);
        Some(Race {
            race_id: race_id.to_string(),
            race_name,
            race_number: number,
            venue_code: venue.to_string(),
            start_time,
            track_type: track_type.to_string(),
            distance,
            track_condition: rng.pick(&GOINGS).to_string(),
            grade,
            runner_count: runners.len(),
            runners,
        })
    }
}

/// JRA's bracket (枠番) for a horse number in a field of `count`: with more than 8 runners each
/// bracket holds `count / 8` horses and the last `count % 8` brackets one more.
pub fn bracket_of(number: usize, count: usize) -> u8 {
    if count <= 8 {
        return number as u8;
    }
    let (base, extra) = (count / 8, count % 8);
    let mut last = 0;
    for bracket in 1..=8 {
        last += base + usize::from(bracket > 8 - extra);
        if number <= last {
            return bracket as u8;
        }
    }
    8
}

fn runners(rng: &mut Rng, count: usize) -> Vec<Runner> {
    let scratched_number = (rng.below(5) == 0).then(|| 1 + rng.below(count as u64) as usize);
    let strengths: Vec<f64> = (0..count).map(|_| 0.2 + rng.unit().powi(2) * 3.0).collect();
    let running: f64 = strengths
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(i + 1) != scratched_number)
        .map(|(_, s)| s)
        .sum();
    let mut runners: Vec<Runner> = (0..count)
        .map(|i| {
            let number = i + 1;
            let scratched = Some(number) == scratched_number;
            // Odds from the win chance and the 80 % payout rate of the win pool.
            let odds = (!scratched).then(|| {
                let p = strengths[i] / running;
                ((0.8 / p).max(1.1) * 10.0).round() / 10.0
            });
            let (jockey, rate) = *rng.pick(&JOCKEYS);
            let recent: Vec<u8> = (0..rng.below(6)).map(|_| 1 + rng.below(16) as u8).collect();
            Runner {
                horse_number: number as u8,
                bracket_number: bracket_of(number, count),
                horse_name: format!("{}{}", rng.pick(&NAME_HEADS), rng.pick(&NAME_TAILS)),
                jockey_name: jockey.to_string(),
                trainer_name: rng.pick(&TRAINERS).to_string(),
                weight_carried: *rng.pick(&[54.0, 55.0, 56.0, 57.0, 58.0]),
                odds,
                popularity: None,
                scratched,
                recent_finishes: recent,
                jockey_win_rate: Some(rate),
            }
        })
        .collect();
    // Popularity is the rank of the odds among horses that run.
    let mut by_odds: Vec<(f64, u8)> = runners
        .iter()
        .filter_map(|r| r.odds.map(|o| (o, r.horse_number)))
        .collect();
    by_odds.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (rank, (_, number)) in by_odds.iter().enumerate() {
        if let Some(r) = runners.iter_mut().find(|r| r.horse_number == *number) {
            r.popularity = Some(rank as u8 + 1);
        }
    }
    runners
}

#[async_trait::async_trait]
impl RaceProvider for MockRaces {
    async fn races_on(&self, date: NaiveDate) -> Result<Vec<Race>, ApiError> {
        let mut venues = venues_on(date).to_vec();
        venues.sort_unstable();
        Ok(venues
            .iter()
            .flat_map(|v| {
                (1..=12).filter_map(move |n| MockRaces::generate(&MockRaces::race_id(date, v, n)))
            })
            .collect())
    }

    async fn race(&self, race_id: &str) -> Result<Option<Race>, ApiError> {
        Ok(MockRaces::generate(race_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_follow_jra_allocation() {
        let b: Vec<u8> = (1..=18).map(|n| bracket_of(n, 18)).collect();
        assert_eq!(
            b,
            vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 7, 8, 8, 8]
        );
        assert_eq!(
            (1..=8).map(|n| bracket_of(n, 8)).collect::<Vec<_>>(),
            (1..=8).collect::<Vec<u8>>()
        );
        // 10 runners: brackets 1-6 single, 7 and 8 doubled.
        assert_eq!(
            (1..=10).map(|n| bracket_of(n, 10)).collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5, 6, 7, 7, 8, 8]
        );
        assert_eq!(
            (1..=16).map(|n| bracket_of(n, 16)).collect::<Vec<_>>(),
            vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8]
        );
    }

    #[test]
    fn popularity_is_consistent_with_odds() {
        let race = MockRaces::generate(&MockRaces::race_id(
            NaiveDate::from_ymd_opt(2026, 12, 27).unwrap(),
            "06",
            11,
        ))
        .unwrap();
        let mut running: Vec<&Runner> = race.runners.iter().filter(|r| !r.scratched).collect();
        running.sort_by_key(|r| r.popularity);
        assert!(running.windows(2).all(|w| w[0].odds <= w[1].odds));
        assert!(race
            .runners
            .iter()
            .filter(|r| r.scratched)
            .all(|r| r.odds.is_none() && r.popularity.is_none()));
    }
}
