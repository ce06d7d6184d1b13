//! Odds-implied chances of each bet type. Win odds give each runner's market chance (scaled so
//! the chances of the runners add up to 1); combinations follow the Harville model, the usual
//! first approximation for finishing orders.

use crate::domain::bet::BetType;
use crate::races::Race;

/// Market win chance of each running horse: (horse number, chance).
pub fn win_chances(race: &Race) -> Vec<(u8, f64)> {
    let raw: Vec<(u8, f64)> = race
        .runners
        .iter()
        .filter(|r| !r.scratched)
        .filter_map(|r| {
            r.odds
                .filter(|o| *o > 0.0)
                .map(|o| (r.horse_number, 1.0 / o))
        })
        .collect();
    let sum: f64 = raw.iter().map(|(_, p)| p).sum();
    if sum <= 0.0 {
        return Vec::new();
    }
    raw.into_iter().map(|(n, p)| (n, p / sum)).collect()
}

fn chance(p: &[(u8, f64)], n: u8) -> f64 {
    p.iter()
        .find(|(h, _)| *h == n)
        .map(|(_, c)| *c)
        .unwrap_or(0.0)
}

/// P(a first, b second) under Harville.
fn exacta(p: &[(u8, f64)], a: u8, b: u8) -> f64 {
    let pa = chance(p, a);
    if a == b || pa >= 1.0 {
        return 0.0;
    }
    pa * chance(p, b) / (1.0 - pa)
}

fn trifecta(p: &[(u8, f64)], a: u8, b: u8, c: u8) -> f64 {
    let (pa, pb) = (chance(p, a), chance(p, b));
    if a == b || b == c || a == c || pa + pb >= 1.0 {
        return 0.0;
    }
    exacta(p, a, b) * chance(p, c) / (1.0 - pa - pb)
}

fn top3_orders(p: &[(u8, f64)]) -> impl Iterator<Item = (u8, u8, u8, f64)> + '_ {
    p.iter().flat_map(move |(a, _)| {
        p.iter().flat_map(move |(b, _)| {
            p.iter()
                .map(move |(c, _)| (*a, *b, *c, trifecta(p, *a, *b, *c)))
        })
    })
}

/// The chance that the bet hits, from the market's odds; None without odds.
pub fn hit_chance(race: &Race, bet: BetType, numbers: &[u8]) -> Option<f64> {
    let p = win_chances(race);
    if p.is_empty() {
        return None;
    }
    let n = numbers;
    let v = match bet {
        BetType::Win => chance(&p, n[0]),
        BetType::Place => {
            // JRA pays places to the first two when there are 7 runners or fewer.
            if p.len() <= 7 {
                chance(&p, n[0]) + p.iter().map(|(b, _)| exacta(&p, *b, n[0])).sum::<f64>()
            } else {
                top3_orders(&p)
                    .filter(|(a, b, c, _)| [a, b, c].contains(&&n[0]))
                    .map(|t| t.3)
                    .sum()
            }
        }
        BetType::Quinella => exacta(&p, n[0], n[1]) + exacta(&p, n[1], n[0]),
        BetType::Exacta => exacta(&p, n[0], n[1]),
        BetType::QuinellaPlace => top3_orders(&p)
            .filter(|(a, b, c, _)| [a, b, c].contains(&&n[0]) && [a, b, c].contains(&&n[1]))
            .map(|t| t.3)
            .sum(),
        BetType::Trio => top3_orders(&p)
            .filter(|(a, b, c, _)| n.iter().all(|x| [a, b, c].contains(&x)))
            .map(|t| t.3)
            .sum(),
        BetType::Trifecta => trifecta(&p, n[0], n[1], n[2]),
        BetType::BracketQuinella => {
            let in_bracket = |b: u8| -> Vec<u8> {
                race.runners
                    .iter()
                    .filter(|r| r.bracket_number == b && !r.scratched)
                    .map(|r| r.horse_number)
                    .collect()
            };
            let (x, y) = (in_bracket(n[0]), in_bracket(n[1]));
            let mut total = 0.0;
            for a in &x {
                for b in &y {
                    if a != b {
                        total += exacta(&p, *a, *b)
                            + if n[0] == n[1] {
                                0.0
                            } else {
                                exacta(&p, *b, *a)
                            };
                    }
                }
            }
            total
        }
    };
    Some(v.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::races::mock::MockRaces;
    use chrono::NaiveDate;

    fn race() -> Race {
        MockRaces::generate(&MockRaces::race_id(
            NaiveDate::from_ymd_opt(2030, 1, 5).unwrap(),
            "06",
            3,
        ))
        .unwrap()
    }

    #[test]
    fn win_chances_add_up_to_one_and_combinations_are_rarer() {
        let r = race();
        let p = win_chances(&r);
        assert!((p.iter().map(|x| x.1).sum::<f64>() - 1.0).abs() < 1e-9);
        let (a, b) = (p[0].0, p[1].0);
        let win = hit_chance(&r, BetType::Win, &[a]).unwrap();
        let quinella = hit_chance(&r, BetType::Quinella, &[a, b]).unwrap();
        let exacta = hit_chance(&r, BetType::Exacta, &[a, b]).unwrap();
        let wide = hit_chance(&r, BetType::QuinellaPlace, &[a, b]).unwrap();
        assert!(exacta < quinella && quinella < wide && quinella < win);
        // Every possible trifecta together is certain.
        let all: f64 = top3_orders(&p).map(|t| t.3).sum();
        assert!((all - 1.0).abs() < 1e-6);
    }
}
