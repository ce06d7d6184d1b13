//! A new REST API's resource tree as one OpenAPI 3 definition, put with one PutRestApi.
//!
//! AWS: PutRestApi is limited to one request a second (against 10 for every other call, and 5
//! CreateResource), and with `failonwarnings` a definition it cannot apply whole is refused whole.
//! In merge mode the root resource stays. A method without `security` is open (authorization type
//! NONE); OpenAPI requires each `{name}` of a path to be declared on its operations.

use aws_sdk_apigateway::types::PutMode;
use serde_json::{json, Map, Value};

use super::api_res;
use crate::aws::client::error::on;
use crate::aws::{AwsError, Clients};
use crate::desired::RestApiSpec;

/// The OpenAPI 3 definition of the API's resource tree: each path's Lambda proxy methods and its
/// CORS preflight, the same methods `put_methods` makes one call at a time. No `security`: the
/// methods are open (authorization type NONE), as the original's are.
pub fn definition(spec: &RestApiSpec) -> Value {
    let mut paths = Map::new();
    for resource in &spec.tree {
        // Each `{name}` of the path, declared on every operation (OpenAPI requires it).
        let parameters: Vec<Value> = resource
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut operations = Map::new();
        for m in &resource.methods {
            operations.insert(
                m.http_method.to_ascii_lowercase(),
                json!({
                    "parameters": parameters,
                    "responses": {"200": {"description": "the function's answer"}},
                    "x-amazon-apigateway-integration": {
                        "type": "AWS_PROXY",
                        "httpMethod": "POST",
                        "uri": m.integration_uri,
                    },
                }),
            );
        }
        let headers: Map<String, Value> = resource
            .cors_headers
            .keys()
            .map(|h| (h.clone(), json!({"schema": {"type": "string"}})))
            .collect();
        let mapped: Map<String, Value> = resource
            .cors_headers
            .iter()
            .map(|(h, v)| (format!("method.response.header.{h}"), json!(v)))
            .collect();
        operations.insert(
            "options".into(),
            json!({
                "parameters": parameters,
                "responses": {"200": {"description": "CORS preflight", "headers": headers}},
                "x-amazon-apigateway-integration": {
                    "type": "MOCK",
                    "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                    "responses": {"default": {"statusCode": "200", "responseParameters": mapped}},
                },
            }),
        );
        paths.insert(resource.path.clone(), Value::Object(operations));
    }
    // The API's own fields baken compares go in too: an import may set them from the document
    // (an emulator blanked the description of a definition without one, and the next deploy had
    // to set it again).
    json!({
        "openapi": "3.0.1",
        "info": {"title": spec.name, "description": spec.description, "version": "1"},
        "paths": paths,
    })
}

/// Puts the whole resource tree into a new, empty API in one call (merge mode: the root stays),
/// instead of a CreateResource, PutMethod and PutIntegration per path and method under API
/// Gateway's 10 requests a second.
pub async fn import_tree(
    clients: &Clients,
    api_id: &str,
    spec: &RestApiSpec,
) -> Result<(), AwsError> {
    let body = serde_json::to_vec(&definition(spec)).expect("a JSON value serialises");
    clients
        .apigateway
        .put_rest_api()
        .rest_api_id(api_id)
        .mode(PutMode::Merge)
        .fail_on_warnings(true)
        .body(aws_smithy_types::Blob::new(body))
        .send()
        .await
        .map_err(on("PutRestApi", api_res(&spec.name)))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{ApiResourceSpec, MethodSpec};

    /// Written by hand from API Gateway's OpenAPI extensions (x-amazon-apigateway-integration),
    /// not from the builder: one routed path with a parameter, and the API's description (an
    /// import that sets the API's fields from the document keeps it: one deploy converges).
    #[test]
    fn a_path_becomes_its_proxy_methods_and_its_preflight() {
        let spec = RestApiSpec {
            name: "s-api".into(),
            description: "d".into(),
            tags: Default::default(),
            tree: vec![ApiResourceSpec {
                path: "/races/{race_id}".into(),
                methods: vec![MethodSpec {
                    http_method: "GET".into(),
                    function_name: "s-get-race-detail".into(),
                    integration_uri: "arn:aws:apigateway:ap-northeast-1:lambda:path/2015-03-31/functions/arn:aws:lambda:ap-northeast-1:123456789012:function:s-get-race-detail/invocations".into(),
                }],
                cors_headers: [("Access-Control-Allow-Origin".to_string(), "'*'".to_string())].into(),
            }],
        };
        let by_hand = r#"{
          "openapi": "3.0.1",
          "info": {"title": "s-api", "description": "d", "version": "1"},
          "paths": {
            "/races/{race_id}": {
              "get": {
                "parameters": [{"name": "race_id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "the function's answer"}},
                "x-amazon-apigateway-integration": {
                  "type": "AWS_PROXY",
                  "httpMethod": "POST",
                  "uri": "arn:aws:apigateway:ap-northeast-1:lambda:path/2015-03-31/functions/arn:aws:lambda:ap-northeast-1:123456789012:function:s-get-race-detail/invocations"
                }
              },
              "options": {
                "parameters": [{"name": "race_id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "CORS preflight",
                  "headers": {"Access-Control-Allow-Origin": {"schema": {"type": "string"}}}}},
                "x-amazon-apigateway-integration": {
                  "type": "MOCK",
                  "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                  "responses": {"default": {"statusCode": "200",
                    "responseParameters": {"method.response.header.Access-Control-Allow-Origin": "'*'"}}}
                }
              }
            }
          }
        }"#;
        let expected: Value = serde_json::from_str(by_hand).unwrap();
        assert_eq!(definition(&spec), expected);
    }
}
