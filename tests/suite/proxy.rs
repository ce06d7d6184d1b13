//! A counting proxy in front of moto: every request baken sends passes through it, so a test can
//! say how many requests reached the emulator and which of them were writes. Each test has its
//! own proxy, so tests running side by side do not count each other.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    pub operation: String,
    pub write: bool,
    /// The signing name from the SigV4 credential scope (`…/ap-northeast-1/lambda/aws4_request`),
    /// which is also the service's prefix in IAM actions.
    pub service: String,
    /// The HTTP method, for the REST protocols (Lambda, API Gateway).
    pub method: String,
    /// When it arrived, since the Unix epoch.
    pub at: std::time::Duration,
}

/// What passed, the faults to inject, the requests to hold, and the answers to lose.
#[derive(Clone, Default)]
pub struct Log(
    Arc<Mutex<Vec<Seen>>>,
    Arc<Mutex<Vec<String>>>,
    Arc<Mutex<Vec<String>>>,
    Arc<Mutex<Vec<String>>>,
);

impl Log {
    /// The next request of `operation` (a JSON-protocol one: DynamoDB, Logs, SSM) is answered
    /// with a 400 ValidationException instead of reaching moto: a fault the SDK does not retry.
    pub fn fail_next(&self, operation: &str) {
        self.1.lock().unwrap().push(operation.to_string());
    }

    /// The next request of `operation` (any protocol) is recorded and never answered: the
    /// caller hangs in it, as a process does when it is killed mid-call.
    pub fn hold_next(&self, operation: &str) {
        self.2.lock().unwrap().push(operation.to_string());
    }

    /// The next request of `operation` (a JSON-protocol one) reaches moto and is applied, and
    /// its answer is replaced by a 500 InternalServerError: an answer lost after AWS did the
    /// work (a timeout, a dropped connection), which the SDK retries.
    pub fn lose_answer_next(&self, operation: &str) {
        self.3.lock().unwrap().push(operation.to_string());
    }

    fn take_hold(&self, operation: &str) -> bool {
        take(&self.2, operation)
    }

    fn take_fault(&self, operation: &str) -> bool {
        take(&self.1, operation)
    }

    pub fn seen(&self, operation: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.operation == operation)
            .count()
    }

    /// What passed so far, left in the log.
    pub fn snapshot(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }

    pub fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut self.0.lock().unwrap())
    }

    pub fn writes(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.write)
            .map(|s| s.operation.clone())
            .collect()
    }

    /// The writes but the deploy lock's two UpdateItem (take, release): what a run changed.
    pub fn writes_besides_lock(&self) -> Vec<String> {
        self.writes()
            .into_iter()
            .filter(|w| w != "UpdateItem")
            .collect()
    }

    pub fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Removes `operation` from `list`; whether it was there.
fn take(list: &Mutex<Vec<String>>, operation: &str) -> bool {
    let mut list = list.lock().unwrap();
    match list.iter().position(|f| f == operation) {
        Some(i) => {
            list.remove(i);
            true
        }
        None => false,
    }
}

fn is_read(op: &str) -> bool {
    [
        "Get", "List", "Describe", "Scan", "Query", "BatchGet", "Filter",
    ]
    .iter()
    .any(|p| op.starts_with(p))
}

/// `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, …` → SERVICE.
fn signing_service(authorization: &str) -> Option<String> {
    let scope = authorization
        .split("Credential=")
        .nth(1)?
        .split(',')
        .next()?;
    scope.split('/').nth(3).map(str::to_string)
}

/// The operation a request is, in each of the protocols the SDK speaks: JSON (X-Amz-Target),
/// query (Action= in the form body), RPC v2 CBOR (`/service/NAME/operation/OP`, CloudWatch) and
/// REST (method and path).
fn classify(method: &str, path: &str, target: Option<&str>, body: &[u8]) -> Seen {
    if let Some(op) = path
        .strip_prefix("/service/")
        .and_then(|rest| rest.split_once("/operation/"))
        .map(|(_, op)| op)
    {
        return Seen {
            write: !is_read(op),
            operation: op.to_string(),
            ..Seen::default()
        };
    }
    if let Some(t) = target {
        let op = t.rsplit('.').next().unwrap_or(t).to_string();
        return Seen {
            write: !is_read(&op),
            operation: op,
            ..Seen::default()
        };
    }
    let form = String::from_utf8_lossy(body);
    if let Some(action) = form.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return Seen {
            write: !is_read(action),
            operation: action.to_string(),
            ..Seen::default()
        };
    }
    Seen {
        write: !matches!(method, "GET" | "HEAD"),
        operation: format!("{method} {path}"),
        ..Seen::default()
    }
}

/// Starts a proxy to `upstream`; returns its URL and the log of what passed.
pub async fn start(upstream: &str) -> (String, Log) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let log = Log::default();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let upstream = upstream.to_string();
    let log2 = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (client, upstream, log) = (client.clone(), upstream.clone(), log2.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let (client, upstream, log) = (client.clone(), upstream.clone(), log.clone());
                    async move {
                        let (mut parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let target = parts
                            .headers
                            .get("x-amz-target")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        let service = parts
                            .headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .and_then(signing_service)
                            .unwrap_or_default();
                        let mut seen = classify(
                            parts.method.as_str(),
                            parts.uri.path(),
                            target.as_deref(),
                            &body,
                        );
                        seen.service = service;
                        seen.method = parts.method.to_string();
                        seen.at = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap_or_default();
                        let fault = target.is_some() && log.take_fault(&seen.operation);
                        let hold = log.take_hold(&seen.operation);
                        let lose = target.is_some() && take(&log.3, &seen.operation);
                        log.0.lock().unwrap().push(seen);
                        if hold {
                            futures::future::pending::<()>().await;
                        }
                        if fault {
                            return Ok::<_, Infallible>(
                                Response::builder()
                                    .status(400)
                                    .header("content-type", "application/x-amz-json-1.0")
                                    .body(Full::new(Bytes::from(
                                        r#"{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"fault injected by the test proxy"}"#,
                                    )))
                                    .unwrap(),
                            );
                        }
                        let pq = parts
                            .uri
                            .path_and_query()
                            .map(|p| p.as_str())
                            .unwrap_or("/");
                        parts.uri = format!("{upstream}{pq}").parse().unwrap();
                        let resp = client
                            .request(Request::from_parts(parts, Full::new(body)))
                            .await;
                        let resp = match resp {
                            Ok(_) if lose => Response::builder()
                                .status(500)
                                .header("content-type", "application/x-amz-json-1.0")
                                .body(Full::new(Bytes::from(
                                    r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"answer lost by the test proxy"}"#,
                                )))
                                .unwrap(),
                            Ok(r) => {
                                let (parts, body) = r.into_parts();
                                let bytes = body
                                    .collect()
                                    .await
                                    .map(|b| b.to_bytes())
                                    .unwrap_or_default();
                                Response::from_parts(parts, Full::new(bytes))
                            }
                            Err(e) => Response::builder()
                                .status(502)
                                .body(Full::new(Bytes::from(e.to_string())))
                                .unwrap(),
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
    (url, log)
}
