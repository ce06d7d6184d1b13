//! Reading a JSON request body field by field, with a 400 that names the field when it is
//! missing or of the wrong type.

use serde_json::{Map, Value};

use crate::http::{ApiError, ApiRequest, MAX_BODY_BYTES};

pub struct Body(Map<String, Value>);

impl Body {
    pub fn parse(req: &ApiRequest) -> Result<Body, ApiError> {
        let bytes = req
            .body
            .as_deref()
            .filter(|b| !b.iter().all(u8::is_ascii_whitespace));
        let Some(bytes) = bytes else {
            return Err(ApiError::bad_request("Request body is required"));
        };
        if bytes.len() > MAX_BODY_BYTES {
            return Err(ApiError::bad_request(format!(
                "Request body is too large (at most {MAX_BODY_BYTES} bytes)"
            )));
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(m)) => Ok(Body(m)),
            Ok(_) => Err(ApiError::bad_request("Request body must be a JSON object")),
            Err(e) => Err(ApiError::bad_request(format!("Invalid JSON: {e}"))),
        }
    }

    fn present(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub fn optional_str(&self, key: &str) -> Result<Option<&str>, ApiError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(ApiError::bad_request(format!("{key} must be a string"))),
        }
    }

    pub fn required_str(&self, key: &str) -> Result<&str, ApiError> {
        match self.optional_str(key)? {
            Some(s) if !s.trim().is_empty() => Ok(s),
            _ => Err(ApiError::bad_request(format!("{key} is required"))),
        }
    }

    pub fn optional_int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(_) => Err(ApiError::bad_request(format!(
                "{key} must be a whole number"
            ))),
        }
    }

    pub fn required_int(&self, key: &str) -> Result<i64, ApiError> {
        self.optional_int(key)?
            .ok_or_else(|| ApiError::bad_request(format!("{key} is required")))
    }

    pub fn required_int_list(&self, key: &str) -> Result<Vec<i64>, ApiError> {
        match self.present(key) {
            None => Err(ApiError::bad_request(format!("{key} is required"))),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_i64().filter(|_| v.is_i64()).ok_or_else(|| {
                        ApiError::bad_request(format!("{key} must be a list of whole numbers"))
                    })
                })
                .collect(),
            Some(_) => Err(ApiError::bad_request(format!(
                "{key} must be a list of whole numbers"
            ))),
        }
    }
}
