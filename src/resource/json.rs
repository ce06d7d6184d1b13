//! JSON compared by content, and policy documents as IAM returns them.

use std::collections::BTreeMap;

/// JSON with object keys sorted at every level, so documents compare by content whatever order
/// AWS (or serde_json's map) keeps.
pub fn canonical_json(v: &serde_json::Value) -> String {
    fn sort(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let sorted: BTreeMap<&String, serde_json::Value> =
                    m.iter().map(|(k, v)| (k, sort(v))).collect();
                serde_json::Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    let sorted = sort(v);
    // serde_json keeps insertion order only with `preserve_order`; sorting before insertion makes
    // the output sorted either way.
    serde_json::to_string(&sorted).unwrap_or_default()
}

/// IAM returns policy documents URL-encoded (RFC 3986); emulators sometimes do not.
pub fn decode_policy_document(doc: &str) -> String {
    if !doc.starts_with('%') {
        return doc.to_string();
    }
    let bytes = doc.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&doc[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_ignores_key_order() {
        let a: serde_json::Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[{"y":1,"x":2}],"c":2}}"#).unwrap();
        let b: serde_json::Value =
            serde_json::from_str(r#"{"a":{"c":2,"d":[{"x":2,"y":1}]},"b":1}"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
    }

    #[test]
    fn url_encoded_policy_documents_are_decoded() {
        assert_eq!(
            decode_policy_document("%7B%22a%22%3A%20%22b%22%7D"),
            r#"{"a": "b"}"#
        );
        assert_eq!(decode_policy_document(r#"{"a":1}"#), r#"{"a":1}"#);
    }
}
