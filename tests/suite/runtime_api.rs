//! A local Lambda Runtime API: hands out API Gateway proxy events one by one and collects what
//! the function answers, so the real `bootstrap` can be driven as Lambda drives it.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::Notify;

#[derive(Default)]
struct State {
    pending: VecDeque<(String, Value)>,
    answers: Vec<(String, Value)>,
    errors: Vec<String>,
}

#[derive(Clone, Default)]
pub struct RuntimeApi {
    state: Arc<Mutex<State>>,
    answered: Arc<Notify>,
}

impl RuntimeApi {
    /// Starts the API on a free port; returns `host:port` for AWS_LAMBDA_RUNTIME_API.
    pub async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let api = self.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let api = api.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let api = api.clone();
                        async move { Ok::<_, Infallible>(api.serve(req).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        addr
    }

    pub fn push(&self, request_id: &str, event: Value) {
        self.state
            .lock()
            .unwrap()
            .pending
            .push_back((request_id.to_string(), event));
    }

    /// Waits until `n` answers (responses or errors) arrived, then returns the responses.
    pub async fn answers(&self, n: usize) -> Vec<(String, Value)> {
        loop {
            {
                let s = self.state.lock().unwrap();
                if s.answers.len() + s.errors.len() >= n {
                    assert!(
                        s.errors.is_empty(),
                        "the function reported errors: {:?}",
                        s.errors
                    );
                    return s.answers.clone();
                }
            }
            self.answered.notified().await;
        }
    }

    async fn serve(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path().to_string();
        let method = req.method().clone();
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        if method == "GET" && path.ends_with("/runtime/invocation/next") {
            // Long poll: wait for the next event like the real API does.
            loop {
                if let Some((id, event)) = self.state.lock().unwrap().pending.pop_front() {
                    return Response::builder()
                        .header("Lambda-Runtime-Aws-Request-Id", id)
                        .header("Lambda-Runtime-Deadline-Ms", "4102444800000")
                        .header(
                            "Lambda-Runtime-Invoked-Function-Arn",
                            "arn:aws:lambda:ap-northeast-1:123456789012:function:t",
                        )
                        .header(
                            "Lambda-Runtime-Trace-Id",
                            "Root=1-00000000-000000000000000000000000",
                        )
                        .body(Full::new(Bytes::from(event.to_string())))
                        .unwrap();
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        {
            let mut s = self.state.lock().unwrap();
            match parts.as_slice() {
                [_, "runtime", "invocation", id, "response"] => s.answers.push((
                    id.to_string(),
                    serde_json::from_slice(&body).unwrap_or(Value::Null),
                )),
                _ => s
                    .errors
                    .push(format!("{path}: {}", String::from_utf8_lossy(&body))),
            }
        }
        self.answered.notify_waiters();
        Response::builder()
            .status(202)
            .body(Full::new(Bytes::from("{}")))
            .unwrap()
    }
}

/// An API Gateway (REST, proxy integration) event as Lambda delivers it.
pub fn proxy_event(
    method: &str,
    path: &str,
    resource: &str,
    query: &[(&str, &str)],
    body: Option<&str>,
) -> Value {
    let q: serde_json::Map<String, Value> = query
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    serde_json::json!({
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": if q.is_empty() { Value::Null } else { Value::Object(q.clone()) },
        "multiValueQueryStringParameters": if q.is_empty() { Value::Null } else {
            Value::Object(q.iter().map(|(k, v)| (k.clone(), Value::Array(vec![v.clone()]))).collect())
        },
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "accountId": "123456789012",
            "resourceId": "abc123",
            "stage": "prod",
            "requestId": "req",
            "identity": {"sourceIp": "127.0.0.1"},
            "resourcePath": resource,
            "httpMethod": method,
            "apiId": "api",
            "path": format!("/prod{path}")
        },
        "body": body,
        "isBase64Encoded": false
    })
}
