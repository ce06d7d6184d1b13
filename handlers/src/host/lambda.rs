//! The Lambda host: API Gateway proxy events in, proxy responses out, through the Lambda Runtime
//! API (`lambda_runtime`).

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayProxyResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue};
use base64::Engine as _;
use lambda_runtime::{service_fn, Error, LambdaEvent};

use crate::app::App;
use crate::http::{ApiError, ApiRequest, ApiResponse};
use crate::routes::handle;

pub fn to_api_request(event: ApiGatewayProxyRequest) -> Result<ApiRequest, ApiError> {
    let body = match event.body {
        None => None,
        Some(b) if event.is_base64_encoded => Some(
            base64::engine::general_purpose::STANDARD
                .decode(b.as_bytes())
                .map_err(|_| ApiError::bad_request("Request body is not valid base64"))?,
        ),
        Some(b) => Some(b.into_bytes()),
    };
    Ok(ApiRequest {
        method: event.http_method.as_str().to_string(),
        path: event.path.unwrap_or_default(),
        query: event
            .query_string_parameters
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body,
    })
}

pub fn to_proxy_response(resp: ApiResponse) -> ApiGatewayProxyResponse {
    let mut headers = HeaderMap::new();
    for (k, v) in resp.headers() {
        if let Ok(v) = HeaderValue::from_str(&v) {
            headers.insert(k, v);
        }
    }
    let mut out = ApiGatewayProxyResponse::default();
    out.status_code = resp.status as i64;
    out.headers = headers;
    out.body = Some(Body::Text(resp.body_text()));
    out.is_base64_encoded = false;
    out
}

/// Runs until the Lambda service stops the process.
pub async fn run(app: App) -> Result<(), Error> {
    let app = &app;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayProxyRequest>| async move {
            let resp = match to_api_request(event.payload) {
                Ok(req) => handle(app, req).await,
                Err(e) => e.into_response(),
            };
            Ok::<_, Error>(to_proxy_response(resp))
        },
    ))
    .await
}
