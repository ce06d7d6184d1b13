//! A small HTTP client for the API tests, and `baken dev` as a child process.

use std::process::Stdio;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

pub struct Reply {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Value,
}

pub async fn send(method: &str, url: &str, body: Option<&str>) -> Reply {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.unwrap_or("").to_string())))
        .unwrap();
    let resp = client.request(req).await.expect("the server answers");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)));
    Reply {
        status,
        headers,
        body,
    }
}

/// `baken dev` on a free port; stopped when dropped.
pub struct Dev {
    pub url: String,
    /// What `baken dev` wrote on stderr so far (its request log).
    pub stderr: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _child: tokio::process::Child,
}

impl Dev {
    pub async fn start(args: &[&str], env: &[(&str, &str)]) -> Dev {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_baken"));
        cmd.args(["dev", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("baken dev starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines
            .next_line()
            .await
            .unwrap()
            .expect("baken dev prints its URL");
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("a URL on the first line")
            .to_string();
        // Keep reading so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut errors = BufReader::new(child.stderr.take().unwrap()).lines();
        let sink = stderr.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = errors.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        Dev {
            url,
            stderr,
            _child: child,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        send("GET", &format!("{}{path}", self.url), None).await
    }

    pub async fn post(&self, path: &str, body: &str) -> Reply {
        send("POST", &format!("{}{path}", self.url), Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        send("DELETE", &format!("{}{path}", self.url), None).await
    }
}
