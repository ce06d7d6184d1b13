//! The DynamoDB store on moto, through `baken dev`: concurrent adds to one cart all land, and
//! records carry their time to live.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use serde_json::json;

use crate::harness::{sdk, unique};
use crate::http::Dev;
use crate::moto;

pub async fn create_table(ddb: &aws_sdk_dynamodb::Client, name: &str, key: &str) {
    ddb.create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_adds_to_one_cart_all_land_in_dynamodb() {
    let cfg = sdk().await;
    let ddb = aws_sdk_dynamodb::Client::new(&cfg);
    let (cart_table, session_table) = (unique("store-cart"), unique("store-session"));
    create_table(&ddb, &cart_table, "cart_id").await;
    create_table(&ddb, &session_table, "session_id").await;
    let dev = Dev::start(
        &["--dynamodb-endpoint", moto::url()],
        &[
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "ap-northeast-1"),
            ("CART_TABLE_NAME", &cart_table),
            ("SESSION_TABLE_NAME", &session_table),
        ],
    )
    .await;
    let race = &dev.get("/races?date=2031-03-01").await.body["races"][0];
    let race_id = race["race_id"].as_str().unwrap().to_string();
    let runners = dev.get(&format!("/races/{race_id}")).await.body["runners"]
        .as_array()
        .unwrap()
        .clone();
    let horse = runners.iter().find(|r| r["scratched"] == false).unwrap()["horse_number"].clone();
    let first = dev.post("/cart/items", &json!({"race_id": race_id, "bet_type": "win", "horse_numbers": [horse], "amount": 100}).to_string()).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let cart_id = first.body["cart_id"].as_str().unwrap().to_string();

    let adds = (0..50).map(|i| {
        let body = json!({"cart_id": cart_id, "race_id": race_id, "bet_type": "win", "horse_numbers": [horse], "amount": 100 * (i + 1)}).to_string();
        let url = format!("{}/cart/items", dev.url);
        tokio::spawn(async move { crate::http::send("POST", &url, Some(&body)).await })
    });
    let mut item_ids = vec![first.body["item_id"].as_str().unwrap().to_string()];
    for r in futures::future::join_all(adds).await {
        let r = r.unwrap();
        assert_eq!(r.status, 201, "{}", r.body);
        item_ids.push(r.body["item_id"].as_str().unwrap().to_string());
    }
    let cart = dev.get(&format!("/cart/{cart_id}")).await;
    let stored: Vec<&str> = cart.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["item_id"].as_str().unwrap())
        .collect();
    assert_eq!(stored.len(), 51, "every concurrent add landed");
    for id in &item_ids {
        assert!(stored.contains(&id.as_str()), "item {id} was lost");
    }
    assert_eq!(
        cart.body["total_amount"],
        100 + (1..=50).map(|i| 100 * i).sum::<i64>()
    );

    // Read the record itself: TTL 24 hours after the last change.
    let now = chrono_now();
    let item = ddb
        .get_item()
        .table_name(&cart_table)
        .key("cart_id", AttributeValue::S(cart_id.clone()))
        .send()
        .await
        .unwrap();
    let ttl: i64 = item.item().unwrap()["ttl"].as_n().unwrap().parse().unwrap();
    assert!(
        (now + 24 * 3600 - 120..=now + 24 * 3600 + 120).contains(&ttl),
        "cart ttl {ttl} vs now {now}"
    );

    // A session in DynamoDB: readable again, odds intact, TTL 7 days.
    let started = dev
        .post(
            "/consultations",
            &json!({"cart_id": cart_id, "loss_limit": 5000}).to_string(),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.body);
    let session_id = started.body["session_id"].as_str().unwrap().to_string();
    let got = dev.get(&format!("/consultations/{session_id}")).await;
    assert_eq!(got.body["data_feedbacks"], started.body["data_feedbacks"]);
    assert!(got.body["data_feedbacks"][0]["horse_summaries"][0]["current_odds"].is_f64());
    let record = ddb
        .get_item()
        .table_name(&session_table)
        .key("session_id", AttributeValue::S(session_id.clone()))
        .send()
        .await
        .unwrap();
    let ttl: i64 = record.item().unwrap()["ttl"]
        .as_n()
        .unwrap()
        .parse()
        .unwrap();
    assert!((now + 7 * 86400 - 120..=now + 7 * 86400 + 120).contains(&ttl));

    // Concurrent messages to one session: each lands once, none lost.
    let path = format!("{}/consultations/{session_id}/messages", dev.url);
    let sends = (0..5).map(|i| {
        let path = path.clone();
        tokio::spawn(async move {
            crate::http::send(
                "POST",
                &path,
                Some(&json!({"content": format!("質問{i}")}).to_string()),
            )
            .await
        })
    });
    for r in futures::future::join_all(sends).await {
        assert_eq!(r.unwrap().status, 200);
    }
    let got = dev.get(&format!("/consultations/{session_id}")).await;
    assert_eq!(got.body["messages"].as_array().unwrap().len(), 1 + 5 * 2);
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}
