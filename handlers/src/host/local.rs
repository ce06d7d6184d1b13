//! `baken dev`: the router on a local HTTP port.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::app::App;
use crate::http::{ApiError, ApiRequest, ApiResponse, MAX_BODY_BYTES};
use crate::routes::handle;

/// Percent-decoding for query strings (`+` is a space there).
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn parse_query(q: Option<&str>) -> BTreeMap<String, String> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

fn to_http(resp: ApiResponse) -> Response<Full<Bytes>> {
    let mut builder = Response::builder().status(resp.status);
    for (k, v) in resp.headers() {
        builder = builder.header(k, v);
    }
    builder
        .body(Full::new(Bytes::from(resp.body_text())))
        .expect("valid response")
}

async fn serve_one(
    app: Arc<App>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = std::time::Instant::now();
    let (parts, body) = req.into_parts();
    let target = parts.uri.path_and_query().map_or_else(
        || parts.uri.path().to_string(),
        |pq| pq.as_str().to_string(),
    );
    let method = parts.method.clone();
    let resp = respond(&app, parts, body).await;
    // One line per request, like a local server's access log.
    eprintln!(
        "{method} {target} {} {} ms",
        resp.status().as_u16(),
        started.elapsed().as_millis()
    );
    Ok(resp)
}

async fn respond(
    app: &App,
    parts: hyper::http::request::Parts,
    body: Incoming,
) -> Response<Full<Bytes>> {
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return to_http(
                ApiError::bad_request(format!(
                    "Request body is too large (at most {MAX_BODY_BYTES} bytes)"
                ))
                .into_response(),
            )
        }
    };
    let api_req = ApiRequest {
        method: parts.method.as_str().to_string(),
        path: decode(parts.uri.path()),
        query: parse_query(parts.uri.query()),
        body: (!body.is_empty()).then(|| body.to_vec()),
    };
    to_http(handle(app, api_req).await)
}

/// Binds `addr` and returns the bound address with the serving future.
pub async fn bind(
    app: App,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, impl std::future::Future<Output = ()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = Arc::new(app);
    let serve = async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let app = app.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| serve_one(app.clone(), req));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    };
    Ok((local, serve))
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_strings_are_decoded() {
        let q = super::parse_query(Some("date=2026-12-27&venue=%E4%B8%AD%E5%B1%B1&x=a+b"));
        assert_eq!(q["venue"], "中山");
        assert_eq!(q["x"], "a b");
        assert_eq!(q["date"], "2026-12-27");
    }
}
