//! End to end in jravan mode without Windows: the real gateway (uvicorn on 127.0.0.1, fake
//! JV-Link replaying the fixture corpus) and `baken dev` pointed at it. The API must give back
//! the fixture races exactly, parsed from the raw records that crossed the gateway.

use std::process::Stdio;

use baken_handlers::jvdata::{self, corpus, Record};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::http::Dev;

struct Gateway {
    url: String,
    _child: tokio::process::Child,
}

/// The gateway over the generated corpus, or (`by-hand`) over fixtures/by-hand/.
async fn start_gateway(fixtures: &[&str]) -> Gateway {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = crate::harness::checkout().join("windows-bootstrap/gateway/tests/serve_fake.py");
    let mut child = tokio::process::Command::new("python")
        .arg(script)
        .arg(port.to_string())
        .args(fixtures)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python from the test venv (scripts/test.sh puts it on PATH)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next_line().await.unwrap().as_deref(), Some("ready"));
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Gateway {
        url: format!("http://127.0.0.1:{port}"),
        _child: child,
    }
}

/// What the corpus says, parsed directly from the generator's bytes.
fn corpus_records() -> Vec<Record> {
    corpus::files()
        .iter()
        .flat_map(|(_, bytes)| {
            corpus::records(bytes)
                .into_iter()
                .map(|r| jvdata::parse(r).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_serves_the_fixture_races_through_the_real_gateway() {
    let gateway = start_gateway(&[]).await;
    let dev = Dev::start(&["--jravan-url", &gateway.url], &[]).await;
    let records = corpus_records();

    let day = dev.get("/races?date=2026-12-27").await;
    assert_eq!(day.status, 200, "{}", day.body);
    let races = day.body["races"].as_array().unwrap();
    let ras: Vec<&jvdata::ra::Ra> = records
        .iter()
        .filter_map(|r| {
            if let Record::Ra(ra) = r {
                Some(ra)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(races.len(), ras.len());
    assert_eq!(day.body["venues"], json!(["中山", "阪神"]));
    for ra in &ras {
        let api = races
            .iter()
            .find(|r| r["race_id"] == ra.header.race_id.as_str())
            .unwrap();
        let start = ra.start_time.unwrap();
        assert_eq!(api["race_name"], ra.display_name().as_str());
        assert_eq!(
            api["start_time"],
            start.format("%Y-%m-%dT%H:%M:%S+09:00").to_string()
        );
        assert_eq!(
            api["betting_deadline"],
            (start - std::time::Duration::from_secs(120))
                .format("%Y-%m-%dT%H:%M:%S+09:00")
                .to_string()
        );
        assert_eq!(api["distance"], ra.distance);
        assert_eq!(api["track_type"], ra.track_type);
        assert_eq!(api["track_condition"], ra.going);
        assert_eq!(
            api["runner_count"].as_u64().unwrap(),
            u64::from(ra.starters.unwrap_or(ra.registered))
        );
    }
    let names: Vec<&str> = races
        .iter()
        .map(|r| r["race_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "2歳未勝利",
            "3歳以上1勝クラス",
            "有馬記念",
            "2歳未勝利",
            "3歳以上1勝クラス",
            "阪神カップ"
        ]
    );
    assert_eq!(races[2]["grade"], "G1");
    assert_eq!(races[2]["start_time"], "2026-12-27T15:25:00+09:00");
    assert_eq!(races[1]["track_type"], "ダート");

    // One race with its runners: names, numbers, odds and popularity from O1, the scratch.
    let arima = "2026122706050803";
    let detail = dev.get(&format!("/races/{arima}")).await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    let runners = detail.body["runners"].as_array().unwrap();
    assert_eq!(runners.len(), 18);
    let o1 = records
        .iter()
        .find_map(|r| match r {
            Record::O1(o) if o.header.race_id == arima => Some(o),
            _ => None,
        })
        .unwrap();
    for se in records.iter().filter_map(|r| match r {
        Record::Se(se) if se.header.race_id == arima => Some(se),
        _ => None,
    }) {
        let n = se.horse_number.unwrap();
        let api = &runners[usize::from(n) - 1];
        assert_eq!(api["horse_number"], n);
        assert_eq!(api["horse_name"], se.horse_name.as_str());
        assert_eq!(api["jockey_name"], se.jockey_name.as_str());
        assert_eq!(api["bracket_number"], se.bracket.unwrap());
        assert_eq!(api["scratched"], se.scratched());
        let win = o1.win.iter().find(|w| w.horse_number == n).unwrap();
        match win.odds.value() {
            Some(v) if !se.scratched() => {
                assert_eq!(api["odds"].as_f64(), Some(v));
                assert_eq!(api["popularity"].as_u64(), win.popularity.map(u64::from));
            }
            _ => assert!(
                api["odds"].is_null() && api["popularity"].is_null(),
                "{api}"
            ),
        }
    }
    assert_eq!(
        runners[4]["scratched"], true,
        "horse 5 is scratched in the corpus"
    );

    // A consultation on a horse with earlier runs: its form and its jockey's figures come from
    // the fixtures.
    let pick = runners
        .iter()
        .find(|r| r["scratched"] == false && r["horse_number"] == 1)
        .unwrap();
    let cart = dev.post("/cart/items", &json!({"race_id": arima, "bet_type": "win", "horse_numbers": [pick["horse_number"]], "amount": 100}).to_string()).await;
    assert_eq!(cart.status, 201, "{}", cart.body);
    let started = dev
        .post(
            "/consultations",
            &json!({"cart_id": cart.body["cart_id"]}).to_string(),
        )
        .await;
    let summary = &started.body["data_feedbacks"][0]["horse_summaries"][0];
    let se = records
        .iter()
        .find_map(|r| match r {
            Record::Se(se) if se.header.race_id == arima && se.horse_number == Some(1) => {
                Some(se.clone())
            }
            _ => None,
        })
        .unwrap();
    let earlier: Vec<String> = {
        let mut runs: Vec<&jvdata::se::Se> = records
            .iter()
            .filter_map(|r| match r {
                Record::Se(s)
                    if s.horse_id == se.horse_id
                        && s.header.race_id.as_str() < arima
                        && s.finish.is_some() =>
                {
                    Some(s)
                }
                _ => None,
            })
            .collect();
        runs.sort_by(|a, b| b.header.race_id.cmp(&a.header.race_id));
        runs.iter()
            .take(5)
            .map(|s| s.finish.unwrap().to_string())
            .collect()
    };
    let expected_recent = if earlier.is_empty() {
        "データなし".to_string()
    } else {
        earlier.join("-")
    };
    assert_eq!(summary["recent_results"], expected_recent.as_str());
    let rides: Vec<&jvdata::se::Se> = records
        .iter()
        .filter_map(|r| match r {
            Record::Se(s) if s.jockey_code == se.jockey_code && s.finish.is_some() => Some(s),
            _ => None,
        })
        .collect();
    let wins = rides.iter().filter(|s| s.finish == Some(1)).count();
    assert_eq!(
        summary["jockey_stats"],
        format!("勝率{:.1}%", wins as f64 * 100.0 / rides.len() as f64).as_str()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_that_does_not_answer_is_a_503_not_a_hang() {
    // Nothing listens on this port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dev = Dev::start(&["--jravan-url", &format!("http://127.0.0.1:{port}")], &[]).await;
    let r = dev.get("/races?date=2026-12-27").await;
    assert_eq!(r.status, 503);
    assert_eq!(r.body["error"]["code"], "UPSTREAM_UNAVAILABLE");
}

/// Records written by hand from the layouts (windows-bootstrap/gateway/tests/fixtures/by-hand/),
/// not by the project's record builder; the expected figures are worked out by hand there too.
#[tokio::test(flavor = "multi_thread")]
async fn hand_written_records_give_the_right_races_runners_and_figures() {
    let gateway = start_gateway(&["by-hand"]).await;
    let dev = Dev::start(&["--jravan-url", &gateway.url], &[]).await;

    // Listed: race 1 (before the draw) and race 2. Not listed: 3 (deleted), 4 (cancelled), 5 (a
    // broken record: only its own race is lost), 6 and 7 (no start time).
    let day = dev.get("/races?date=2027-12-26").await;
    assert_eq!(day.status, 200, "{}", day.body);
    let ids: Vec<&str> = day.body["races"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["race_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["2027122606050701", "2027122606050702"]);
    assert_eq!(
        day.body["races"][1]["start_time"],
        "2027-12-26T10:30:00+09:00"
    );
    assert_eq!(day.body["races"][1]["race_name"], "3歳以上1勝クラス");
    for gone in ["03", "04", "06", "07"] {
        let r = dev.get(&format!("/races/20271226060507{gone}")).await;
        assert_eq!(r.status, 404, "race {gone}: {}", r.body);
    }
    assert_eq!(dev.get("/races/2027122606050705").await.status, 503);

    // Race 1 has nominations only: no runner has a number yet.
    let r1 = dev.get("/races/2027122606050701").await;
    assert_eq!(r1.status, 200, "{}", r1.body);
    assert_eq!(r1.body["runners"], json!([]));
    assert_eq!(r1.body["race"]["runner_count"], 3);

    // Race 2: the three horses drawn, the fourth nomination gone, C scratched.
    let r2 = dev.get("/races/2027122606050702").await;
    assert_eq!(r2.status, 200, "{}", r2.body);
    let runners = r2.body["runners"].as_array().unwrap();
    let names: Vec<(u64, &str, bool)> = runners
        .iter()
        .map(|r| {
            (
                r["horse_number"].as_u64().unwrap(),
                r["horse_name"].as_str().unwrap(),
                r["scratched"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            (1, "ハンドメイドスター", false),
            (2, "ミライノキシュ", false),
            (3, "トリケシバ", true)
        ]
    );
    assert_eq!(runners[0]["odds"], 3.5);
    assert_eq!(runners[0]["jockey_name"], "手書二郎");
    assert_eq!(runners[0]["weight_carried"], 57.0);

    // The consultation's figures: A's last five runs with a position (the scratch is not one),
    // J2's 2 wins in 3 rides (not 2 in 5 with the scratch and today's entry), J1 with only
    // today's entry has no figure.
    let cart = dev
        .post(
            "/cart/items",
            &json!({"race_id": "2027122606050702", "bet_type": "quinella", "horse_numbers": [1, 2], "amount": 100})
                .to_string(),
        )
        .await;
    assert_eq!(cart.status, 201, "{}", cart.body);
    let started = dev
        .post(
            "/consultations",
            &json!({"cart_id": cart.body["cart_id"]}).to_string(),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.body);
    let summaries = &started.body["data_feedbacks"][0]["horse_summaries"];
    assert_eq!(summaries[0]["recent_results"], "1-1-3-2-5");
    assert_eq!(summaries[0]["jockey_stats"], "勝率66.7%");
    assert_eq!(summaries[1]["recent_results"], "データなし");
    assert_eq!(summaries[1]["jockey_stats"], "データなし");
}
