//! The API of docs/api.md over HTTP, served by `baken dev` (the same router the Lambda functions run).

use serde_json::{json, Value};

use crate::http::{send, Dev, Reply};

const FUTURE: &str = "2031-03-01";
const PAST: &str = "2020-01-05";

#[track_caller]
fn bad_request(r: &Reply, message: &str) {
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "BAD_REQUEST");
    let text = r.body["error"]["message"].as_str().unwrap();
    assert!(text.contains(message), "`{message}` not in `{text}`");
}

#[track_caller]
fn has_cors(r: &Reply) {
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    assert_eq!(
        r.headers["access-control-allow-headers"],
        "Content-Type,Authorization"
    );
    assert_eq!(
        r.headers["access-control-allow-methods"],
        "GET,POST,PUT,DELETE,OPTIONS"
    );
    assert_eq!(r.headers["content-type"], "application/json");
}

async fn races(dev: &Dev, date: &str) -> Vec<Value> {
    dev.get(&format!("/races?date={date}")).await.body["races"]
        .as_array()
        .unwrap()
        .clone()
}

async fn runners(dev: &Dev, race_id: &str) -> Vec<Value> {
    dev.get(&format!("/races/{race_id}")).await.body["runners"]
        .as_array()
        .unwrap()
        .clone()
}

/// A race on `date` matching `want` (on its runners).
async fn find_race(dev: &Dev, date: &str, want: impl Fn(&[Value]) -> bool) -> (String, Vec<Value>) {
    for r in races(dev, date).await {
        let id = r["race_id"].as_str().unwrap().to_string();
        let rs = runners(dev, &id).await;
        if want(&rs) {
            return (id, rs);
        }
    }
    panic!("no such race on {date}");
}

fn running(rs: &[Value]) -> Vec<u64> {
    rs.iter()
        .filter(|r| r["scratched"] == false)
        .map(|r| r["horse_number"].as_u64().unwrap())
        .collect()
}

async fn add(dev: &Dev, body: Value) -> Reply {
    dev.post("/cart/items", &body.to_string()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn races_are_listed_by_venue_and_number_with_japan_times() {
    let dev = Dev::start(&[], &[]).await;
    let r = dev.get(&format!("/races?date={FUTURE}")).await;
    assert_eq!(r.status, 200);
    has_cors(&r);
    let list = r.body["races"].as_array().unwrap();
    assert_eq!(list.len(), 36, "three venues, 12 races each");
    assert_eq!(r.body["target_date"], FUTURE);
    assert_eq!(r.body["venues"], json!(["中山", "中京", "京都"]));
    let keys: Vec<(String, u64)> = list
        .iter()
        .map(|x| {
            (
                x["venue_code"].as_str().unwrap().into(),
                x["race_number"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    let first = &list[0];
    assert_eq!(first["start_time"], "2031-03-01T10:00:00+09:00");
    assert_eq!(first["betting_deadline"], "2031-03-01T09:58:00+09:00");
    assert_eq!(first["race_id"].as_str().unwrap().len(), 16);
    assert!(first["race_id"].as_str().unwrap().starts_with("2031030106"));
    // Race 2 starts 30 to 35 minutes after race 1.
    let second = list[1]["start_time"].as_str().unwrap();
    assert!(
        ("2031-03-01T10:30:00+09:00"..="2031-03-01T10:35:00+09:00").contains(&second),
        "{second}"
    );

    let by_name = dev
        .get(&format!("/races?date={FUTURE}&venue=%E4%B8%AD%E4%BA%AC"))
        .await;
    let by_code = dev.get(&format!("/races?date={FUTURE}&venue=07")).await;
    assert_eq!(by_name.body, by_code.body);
    assert_eq!(by_code.body["races"].as_array().unwrap().len(), 12);
    assert_eq!(by_code.body["venues"], json!(["中京"]));

    bad_request(&dev.get("/races").await, "date parameter is required");
    bad_request(
        &dev.get("/races?date=2031-3-1").await,
        "Invalid date format. Use YYYY-MM-DD",
    );
    bad_request(
        &dev.get("/races?date=2031-02-30").await,
        "Invalid date format",
    );
    bad_request(
        &dev.get(&format!("/races?date={FUTURE}&venue=大井")).await,
        "Unknown venue",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn race_detail_lists_runners_by_number_with_odds_and_popularity() {
    let dev = Dev::start(&[], &[]).await;
    let id = races(&dev, FUTURE).await[5]["race_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = dev.get(&format!("/races/{id}")).await;
    assert_eq!(r.status, 200);
    let rs = r.body["runners"].as_array().unwrap();
    assert_eq!(
        r.body["race"]["runner_count"].as_u64().unwrap() as usize,
        rs.len()
    );
    assert!((8..=18).contains(&rs.len()));
    let numbers: Vec<u64> = rs
        .iter()
        .map(|x| x["horse_number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=rs.len() as u64).collect::<Vec<_>>());
    let mut by_pop: Vec<&Value> = rs.iter().filter(|x| x["scratched"] == false).collect();
    by_pop.sort_by_key(|x| x["popularity"].as_u64().unwrap());
    assert!(by_pop
        .windows(2)
        .all(|w| w[0]["odds"].as_f64().unwrap() <= w[1]["odds"].as_f64().unwrap()));
    for missing in ["2031030106010199", "abc", "2031030199010101"] {
        let r = dev.get(&format!("/races/{missing}")).await;
        assert_eq!(
            (r.status, r.body["error"]["message"].as_str()),
            (404, Some("Race not found"))
        );
        has_cors(&r);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mock_races_are_the_same_in_two_processes() {
    let (a, b) = (Dev::start(&[], &[]).await, Dev::start(&[], &[]).await);
    for date in [FUTURE, "2026-12-27", PAST] {
        assert_eq!(
            a.get(&format!("/races?date={date}")).await.body,
            b.get(&format!("/races?date={date}")).await.body
        );
    }
    let id = races(&a, FUTURE).await[17]["race_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        a.get(&format!("/races/{id}")).await.body,
        b.get(&format!("/races/{id}")).await.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_bets_are_400s_that_say_what_is_wrong() {
    let dev = Dev::start(&[], &[]).await;
    let (id, rs) = find_race(&dev, FUTURE, |rs| {
        rs.iter().all(|r| r["scratched"] == false)
    })
    .await;
    let n = rs.len() as u64;
    let bet = |extra: Value| {
        let mut b = json!({"race_id": id, "race_name": "x", "bet_type": "win", "horse_numbers": [1], "amount": 100});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v.clone();
            }
        }
        b.to_string()
    };
    let cases: Vec<(String, &str)> = vec![
        (bet(json!({"race_id": null})), "race_id is required"),
        (bet(json!({"bet_type": null})), "bet_type is required"),
        (
            bet(json!({"horse_numbers": null})),
            "horse_numbers is required",
        ),
        (bet(json!({"amount": null})), "amount is required"),
        (
            bet(json!({"amount": "100"})),
            "amount must be a whole number",
        ),
        (
            bet(json!({"amount": 100.5})),
            "amount must be a whole number",
        ),
        (
            bet(json!({"horse_numbers": "1"})),
            "horse_numbers must be a list of whole numbers",
        ),
        (
            bet(json!({"horse_numbers": [1.5]})),
            "horse_numbers must be a list of whole numbers",
        ),
        (bet(json!({"race_id": 5})), "race_id must be a string"),
        (
            bet(json!({"bet_type": "superfecta"})),
            "Unknown bet_type `superfecta`",
        ),
        (
            bet(json!({"bet_type": "exacta", "horse_numbers": [1]})),
            "馬単は2頭選択が必要です（現在1頭）",
        ),
        (
            bet(json!({"bet_type": "trifecta", "horse_numbers": [1, 2]})),
            "三連単は3頭選択が必要です（現在2頭）",
        ),
        (
            bet(json!({"bet_type": "bracket_quinella", "horse_numbers": [1]})),
            "枠連は2枠選択が必要です（現在1枠）",
        ),
        (
            bet(json!({"bet_type": "quinella", "horse_numbers": [2, 2]})),
            "同じ馬番が重複しています",
        ),
        (
            bet(json!({"horse_numbers": [0]})),
            "馬番は1〜18で指定してください（0）",
        ),
        (
            bet(json!({"horse_numbers": [19]})),
            "馬番は1〜18で指定してください（19）",
        ),
        (
            bet(json!({"bet_type": "bracket_quinella", "horse_numbers": [1, 9]})),
            "枠番は1〜8で指定してください（9）",
        ),
        (
            bet(json!({"amount": 50})),
            "金額は100円以上、100円単位で指定してください",
        ),
        (
            bet(json!({"amount": 250})),
            "金額は100円以上、100円単位で指定してください",
        ),
        (
            bet(json!({"amount": -100})),
            "金額は100円以上、100円単位で指定してください",
        ),
        (
            bet(json!({"amount": 1_000_100})),
            "金額は¥1,000,000以下で指定してください",
        ),
        (
            bet(json!({"race_id": "2031030106010199"})),
            "Race not found",
        ),
        (
            bet(json!({"horse_numbers": [n + 1]})),
            "番はこのレースに出走しません",
        ),
        (bet(json!({"cart_id": 7})), "cart_id must be a string"),
        ("{not json".into(), "Invalid JSON"),
        ("[1, 2]".into(), "Request body must be a JSON object"),
        ("".into(), "Request body is required"),
        (
            format!("{{\"pad\": \"{}\"}}", "x".repeat(70_000)),
            "Request body is too large",
        ),
    ];
    for (body, message) in &cases {
        let r = dev.post("/cart/items", body).await;
        bad_request(&r, message);
        has_cors(&r);
    }
    let unknown_cart = add(&dev, json!({"cart_id": "no-such-cart", "race_id": id, "bet_type": "win", "horse_numbers": [1], "amount": 100})).await;
    assert_eq!(
        (
            unknown_cart.status,
            unknown_cart.body["error"]["message"].as_str()
        ),
        (404, Some("Cart not found"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_races_and_scratched_horses_cannot_be_bet_on() {
    let dev = Dev::start(&[], &[]).await;
    let past = &races(&dev, PAST).await[0];
    let r = add(
        &dev,
        json!({"race_id": past["race_id"], "bet_type": "win", "horse_numbers": [1], "amount": 100}),
    )
    .await;
    bad_request(
        &r,
        &format!(
            "{}の投票締め切りを過ぎています",
            past["race_name"].as_str().unwrap()
        ),
    );

    let (id, rs) = find_race(&dev, FUTURE, |rs| rs.iter().any(|r| r["scratched"] == true)).await;
    let scratched = rs.iter().find(|r| r["scratched"] == true).unwrap();
    let r = add(&dev, json!({"race_id": id, "bet_type": "place", "horse_numbers": [scratched["horse_number"]], "amount": 100})).await;
    bad_request(&r, "出走取消のため選択できません");
    assert!(scratched["odds"].is_null() && scratched["popularity"].is_null());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cart_keeps_order_sorts_unordered_bets_and_can_be_emptied() {
    let dev = Dev::start(&[], &[]).await;
    let (id, rs) = find_race(&dev, FUTURE, |rs| running(rs).len() >= 4).await;
    let h = running(&rs);
    let first = add(&dev, json!({"race_id": id, "bet_type": "TRIO", "horse_numbers": [h[3], h[0], h[2]], "amount": 300})).await;
    assert_eq!(first.status, 201, "{}", first.body);
    has_cors(&first);
    let cart = first.body["cart_id"].as_str().unwrap().to_string();
    assert_eq!(
        (
            first.body["item_count"].as_u64(),
            first.body["total_amount"].as_u64()
        ),
        (Some(1), Some(300))
    );
    let second = add(&dev, json!({"cart_id": cart, "race_id": id, "bet_type": "trifecta", "horse_numbers": [h[3], h[0], h[2]], "amount": 1000})).await;
    assert_eq!(
        (
            second.body["item_count"].as_u64(),
            second.body["total_amount"].as_u64()
        ),
        (Some(2), Some(1300))
    );
    let empty_id = add(&dev, json!({"cart_id": "", "race_id": id, "bet_type": "win", "horse_numbers": [h[0]], "amount": 100})).await;
    assert_ne!(
        empty_id.body["cart_id"], cart,
        "an empty cart_id starts a new cart"
    );

    let got = dev.get(&format!("/cart/{cart}")).await;
    assert_eq!(got.status, 200);
    let items = got.body["items"].as_array().unwrap();
    assert_eq!(items[0]["bet_type"], "trio");
    let mut sorted = vec![h[3], h[0], h[2]];
    sorted.sort();
    assert_eq!(
        items[0]["horse_numbers"],
        json!(sorted),
        "unordered bets are stored sorted"
    );
    assert_eq!(
        items[1]["horse_numbers"],
        json!([h[3], h[0], h[2]]),
        "ordered bets keep the given order"
    );
    assert_eq!(got.body["total_amount"], 1300);
    assert_eq!(got.body["is_empty"], false);
    assert!(items[0]["added_at"].as_str().unwrap().ends_with('Z'));

    let item = items[0]["item_id"].as_str().unwrap();
    let removed = dev.delete(&format!("/cart/{cart}/items/{item}")).await;
    assert_eq!(
        removed.body,
        json!({"success": true, "item_count": 1, "total_amount": 1000})
    );
    let again = dev.delete(&format!("/cart/{cart}/items/{item}")).await;
    assert_eq!(
        (again.status, again.body["error"]["message"].as_str()),
        (404, Some("Item not found"))
    );
    let no_cart = dev.delete("/cart/nope/items/x").await;
    assert_eq!(
        (no_cart.status, no_cart.body["error"]["message"].as_str()),
        (404, Some("Cart not found"))
    );

    let cleared = dev.delete(&format!("/cart/{cart}")).await;
    assert_eq!(
        cleared.body,
        json!({"success": true, "item_count": 0, "total_amount": 0})
    );
    assert_eq!(
        dev.get(&format!("/cart/{cart}")).await.body["is_empty"],
        true
    );
    assert_eq!(dev.get("/cart/unknown").await.status, 404);

    let unknown = dev.get("/nowhere").await;
    assert_eq!(unknown.status, 404);
    has_cors(&unknown);
    let preflight = send("OPTIONS", &format!("{}/cart/items", dev.url), None).await;
    assert_eq!(preflight.status, 200);
    has_cors(&preflight);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consultation_gives_feedback_in_the_bets_own_order_and_chats() {
    let dev = Dev::start(&[], &[]).await;
    let (id, rs) = find_race(&dev, FUTURE, |rs| running(rs).len() >= 3).await;
    let h = running(&rs);
    let name_of = |n: u64| {
        rs.iter().find(|r| r["horse_number"] == n).unwrap()["horse_name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let cart = add(
        &dev,
        json!({"race_id": id, "bet_type": "exacta", "horse_numbers": [h[2], h[0]], "amount": 6000}),
    )
    .await;
    let cart_id = cart.body["cart_id"].as_str().unwrap().to_string();
    add(&dev, json!({"cart_id": cart_id, "race_id": id, "bet_type": "win", "horse_numbers": [h[1]], "amount": 3000})).await;

    bad_request(
        &dev.post("/consultations", "{}").await,
        "cart_id is required",
    );
    bad_request(
        &dev.post(
            "/consultations",
            &json!({"cart_id": cart_id, "loss_limit": "lots"}).to_string(),
        )
        .await,
        "loss_limit must be a whole number",
    );
    // Regression: i64::MAX as the loss limit answered 500 (multiply overflow in the feedback).
    bad_request(
        &dev.post(
            "/consultations",
            &format!(r#"{{"cart_id": "{cart_id}", "loss_limit": 9223372036854775807}}"#),
        )
        .await,
        "loss_limit must be at most 1000000000000 yen",
    );
    assert_eq!(
        dev.post("/consultations", r#"{"cart_id": "none"}"#)
            .await
            .status,
        404
    );

    let started = dev
        .post(
            "/consultations",
            &json!({"cart_id": cart_id, "loss_limit": 10000}).to_string(),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.body);
    assert_eq!(started.body["status"], "in_progress");
    assert_eq!(started.body["total_amount"], 9000);
    let amount = &started.body["amount_feedback"];
    assert_eq!(
        (
            amount["warning_level"].as_str(),
            amount["loss_limit"].as_i64()
        ),
        (Some("caution"), Some(10000))
    );
    let fb = &started.body["data_feedbacks"][0];
    let summaries = fb["horse_summaries"].as_array().unwrap();
    // 馬単 h2→h0: the summaries follow the bet's order, each name with its own number.
    assert_eq!(
        summaries
            .iter()
            .map(|s| s["horse_number"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![h[2], h[0]]
    );
    for s in summaries {
        assert_eq!(
            s["horse_name"].as_str().unwrap(),
            name_of(s["horse_number"].as_u64().unwrap())
        );
        assert!(s["jockey_stats"].as_str().unwrap().starts_with("勝率"));
        assert!(s["current_odds"].is_number() && s["popularity"].is_number());
    }
    let comment = fb["overall_comment"].as_str().unwrap();
    assert!(
        comment.contains("馬単の的中確率はオッズから見て約"),
        "{comment}"
    );
    assert!(comment.contains("JRAの払戻率は馬単で約75%"), "{comment}");

    let session = started.body["session_id"].as_str().unwrap().to_string();
    let path = format!("/consultations/{session}/messages");
    bad_request(
        &dev.post(&path, r#"{"content": ""}"#).await,
        "content is required",
    );
    bad_request(
        &dev.post(&path, r#"{"content": 5}"#).await,
        "content must be a string",
    );
    bad_request(
        &dev.post(&path, &json!({"content": "あ".repeat(1001)}).to_string())
            .await,
        "content is too long",
    );
    assert_eq!(
        dev.post("/consultations/none/messages", r#"{"content": "hi"}"#)
            .await
            .status,
        404
    );

    let reply = dev.post(&path, r#"{"content": "騎手はどう？"}"#).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer = reply.body["ai_message"]["content"].as_str().unwrap();
    assert!(
        answer.contains(&name_of(h[2])) && answer.contains("勝率"),
        "{answer}"
    );
    let over = dev.post(&path, r#"{"content": "予算は大丈夫？"}"#).await;
    assert!(over.body["ai_message"]["content"]
        .as_str()
        .unwrap()
        .contains("¥10,000"));

    let got = dev.get(&format!("/consultations/{session}")).await;
    assert_eq!(got.status, 200);
    let kinds: Vec<&str> = got.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["system", "user", "ai", "user", "ai"]);
    assert!(got.body["ended_at"].is_null());
    assert_eq!(
        dev.get("/consultations/none").await.body["error"]["message"],
        "Session not found"
    );

    // The history is bounded: past the limit a 400 says so.
    let mut last = None;
    for _ in 0..60 {
        let r = dev.post(&path, r#"{"content": "オッズは？"}"#).await;
        if r.status != 200 {
            last = Some(r);
            break;
        }
    }
    bad_request(
        &last.expect("the limit was reached"),
        "limit of 100 messages",
    );

    // An empty cart cannot be consulted on.
    dev.delete(&format!("/cart/{cart_id}")).await;
    bad_request(
        &dev.post("/consultations", &json!({"cart_id": cart_id}).to_string())
            .await,
        "Cart is empty",
    );
}

/// Every number a client sends is bounded where it enters: out-of-range, oversized and
/// non-integral values are a 400 naming the field, never a 500 or a wrapped value.
#[tokio::test(flavor = "multi_thread")]
async fn numbers_at_and_beyond_the_integer_limits_are_400s() {
    let dev = Dev::start(&[], &[]).await;
    let id = races(&dev, FUTURE).await[0]["race_id"]
        .as_str()
        .unwrap()
        .to_string();
    let item = |numbers: &str, amount: &str| {
        format!(
            r#"{{"race_id": "{id}", "bet_type": "win", "horse_numbers": [{numbers}], "amount": {amount}}}"#
        )
    };
    for (body, message) in [
        (item("1", "9223372036854775807"), "金額は"),
        (
            item("1", "18446744073709551616"),
            "amount must be a whole number",
        ),
        (item("1", "-9223372036854775808"), "金額は100円以上"),
        (item("1", "100.5"), "amount must be a whole number"),
        (item("1", "1e400"), "Invalid JSON"),
        (
            item("99999999999999999999", "100"),
            "horse_numbers must be a list of whole numbers",
        ),
        (item("-9223372036854775808", "100"), "馬番は1〜18"),
        (item("4294967297", "100"), "馬番は1〜18"),
    ] {
        bad_request(&dev.post("/cart/items", &body).await, message);
    }
    for limit in ["-1", "1000000000001", "18446744073709551616"] {
        let r = dev
            .post(
                "/consultations",
                &format!(r#"{{"cart_id": "c", "loss_limit": {limit}}}"#),
            )
            .await;
        assert_eq!(r.status, 400, "loss_limit {limit}: {}", r.body);
    }
}
