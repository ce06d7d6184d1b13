//! The language-model advisor against a local fake of Bedrock's Converse endpoint: its answers
//! reach the person, and a failing or slow model falls back to the rule-based answer.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};

use crate::http::Dev;

#[derive(Clone, Copy)]
enum Behaviour {
    Answer,
    Fail,
    Slow,
}

/// Answers POST /model/{id}/converse like Bedrock; remembers the request bodies.
async fn fake_converse(behaviour: Behaviour) -> (String, Arc<Mutex<Vec<(String, Value)>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let seen = seen2.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let seen = seen.clone();
                    async move {
                        let path = req.uri().path().to_string();
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        seen.lock()
                            .unwrap()
                            .push((path, serde_json::from_slice(&body).unwrap_or(Value::Null)));
                        let resp = match behaviour {
                            Behaviour::Fail => Response::builder()
                                .status(500)
                                .header("x-amzn-errortype", "InternalServerException")
                                .body(Full::new(Bytes::from(r#"{"message":"model broke"}"#)))
                                .unwrap(),
                            Behaviour::Slow | Behaviour::Answer => {
                                if let Behaviour::Slow = behaviour {
                                    tokio::time::sleep(Duration::from_secs(5)).await;
                                }
                                let answer = json!({
                                    "output": {"message": {"role": "assistant", "content": [{"text": "モデルの回答です。今日は控えめにしましょう。"}]}},
                                    "stopReason": "end_turn",
                                    "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
                                    "metrics": {"latencyMs": 3}
                                });
                                Response::builder()
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from(answer.to_string())))
                                    .unwrap()
                            }
                        };
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, seen)
}

async fn dev_with(endpoint: &str) -> Dev {
    Dev::start(
        &[],
        &[
            ("ADVISOR", "bedrock"),
            ("BEDROCK_MODEL_ID", "anthropic.test-model"),
            ("BEDROCK_ENDPOINT", endpoint),
            ("ADVISOR_TIMEOUT_MS", "1500"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("AWS_REGION", "ap-northeast-1"),
        ],
    )
    .await
}

/// A cart with one win bet and a consultation on it; returns the consultation's answer.
async fn consult(dev: &Dev) -> (Value, Value) {
    let race = dev.get("/races?date=2031-03-01").await.body["races"][0].clone();
    let id = race["race_id"].as_str().unwrap();
    let runners = dev.get(&format!("/races/{id}")).await.body["runners"].clone();
    let horse = runners
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scratched"] == false)
        .unwrap()["horse_number"]
        .clone();
    let cart = dev
        .post(
            "/cart/items",
            &json!({"race_id": id, "bet_type": "win", "horse_numbers": [horse], "amount": 500})
                .to_string(),
        )
        .await;
    let started = dev
        .post(
            "/consultations",
            &json!({"cart_id": cart.body["cart_id"]}).to_string(),
        )
        .await;
    assert_eq!(started.status, 201, "{}", started.body);
    let session = started.body["session_id"].as_str().unwrap();
    let reply = dev
        .post(
            &format!("/consultations/{session}/messages"),
            r#"{"content": "この馬券どう思う？"}"#,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    (started.body, reply.body)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_models_answers_reach_the_person() {
    let (url, seen) = fake_converse(Behaviour::Answer).await;
    let dev = dev_with(&url).await;
    let (started, reply) = consult(&dev).await;
    assert_eq!(
        started["data_feedbacks"][0]["overall_comment"],
        "モデルの回答です。今日は控えめにしましょう。"
    );
    assert_eq!(
        reply["ai_message"]["content"],
        "モデルの回答です。今日は控えめにしましょう。"
    );
    let seen = seen.lock().unwrap();
    let (path, last) = seen.last().unwrap();
    assert_eq!(path, "/model/anthropic.test-model/converse");
    assert!(last["system"][0]["text"]
        .as_str()
        .unwrap()
        .contains("賭け金を増やすことや追加の購入を勧めてはいけません"));
    let turns = last["messages"].as_array().unwrap();
    assert_eq!(turns.last().unwrap()["role"], "user");
    assert!(turns.last().unwrap()["content"][0]["text"]
        .as_str()
        .unwrap()
        .contains("この馬券どう思う？"));
}

/// Both the item comment and the chat answer are the rule-based advisor's.
#[track_caller]
fn assert_rule_based(started: &Value, reply: &Value) {
    let comment = started["data_feedbacks"][0]["overall_comment"]
        .as_str()
        .unwrap();
    assert!(comment.contains("単勝の的中確率"), "{comment}");
    let answer = reply["ai_message"]["content"].as_str().unwrap();
    assert!(answer.contains("合計掛け金"), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_model_falls_back_to_the_rule_based_answer() {
    let (url, seen) = fake_converse(Behaviour::Fail).await;
    let dev = dev_with(&url).await;
    let (started, reply) = consult(&dev).await;
    assert_rule_based(&started, &reply);
    assert!(!seen.lock().unwrap().is_empty(), "the model was asked");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_model_is_cut_off_at_the_deadline() {
    let (url, _) = fake_converse(Behaviour::Slow).await;
    let dev = dev_with(&url).await;
    let (started, reply) = consult(&dev).await;
    // The fake would answer with the model's text after 5 s; the rule-based text shows the
    // 1.5 s deadline cut it off.
    assert_rule_based(&started, &reply);
}
