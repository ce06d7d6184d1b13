//! The live state: what exists in the account for this stack, read through the `aws` modules and
//! expressed in the same attribute form as the desired state, so the two can be compared.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::desired::{Attrs, ResourceId};
use crate::model::names::TAG_STACK;
use crate::model::Mode;

/// Whose a resource with one of our names is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "owner", content = "stack", rename_all = "kebab-case")]
pub enum Owner {
    Ours,
    /// Tagged for another baken stack.
    OtherStack(String),
    /// Not made by baken, or its tags were removed.
    Unmanaged,
}

impl Owner {
    pub fn from_tags<'a>(stack: &str, mut tags: impl Iterator<Item = (&'a str, &'a str)>) -> Owner {
        match tags.find(|(k, _)| *k == TAG_STACK) {
            Some((_, v)) if v == stack => Owner::Ours,
            Some((_, v)) => Owner::OtherStack(v.to_string()),
            None => Owner::Unmanaged,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "health", content = "reason", rename_all = "kebab-case")]
pub enum Health {
    Ok,
    /// Exists but cannot serve (a Lambda function in the Failed state, ...).
    Unhealthy(String),
}

#[derive(Debug, Clone)]
pub struct LiveResource {
    pub id: ResourceId,
    pub attrs: Attrs,
    pub owner: Owner,
    pub health: Health,
}

impl LiveResource {
    pub fn new(id: ResourceId, attrs: Attrs, owner: Owner) -> LiveResource {
        LiveResource {
            id,
            attrs,
            owner,
            health: Health::Ok,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct LiveState {
    pub resources: BTreeMap<ResourceId, LiveResource>,
    /// The REST API's id, when ours exists.
    pub api_id: Option<String>,
    /// API Gateway resource path → resource id, for the REST API above.
    pub api_resource_ids: BTreeMap<String, String>,
    /// The mode the stack was last deployed in, read from its functions' environment.
    pub deployed_mode: Option<Mode>,
    /// AWS-assigned ids (and the instance's private IP) of what exists, by reference key.
    pub refs: crate::desired::refs::Refs,
    /// The image the live gateway instance runs: the pinned AMI.
    pub instance_ami: Option<String>,
    /// The gateway instance's id and addresses, when it exists.
    pub gateway: Option<crate::aws::ec2::GatewayAddresses>,
    /// What the instance bootstrap last reported (its Systems Manager parameter), when any.
    pub bootstrap_report: Option<String>,
}

impl LiveState {
    pub fn insert(&mut self, r: LiveResource) {
        self.resources.insert(r.id.clone(), r);
    }

    pub fn get(&self, id: &ResourceId) -> Option<&LiveResource> {
        self.resources.get(id)
    }
}

/// What the instance bootstrap (windows-bootstrap/user-data.ps1) reports in its parameter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct BootstrapReport {
    /// running, failed, manual-step or complete.
    pub state: String,
    pub step: String,
    pub at: String,
}

impl BootstrapReport {
    pub fn parse(text: Option<&str>) -> Option<BootstrapReport> {
        serde_json::from_str(text?).ok()
    }
}

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
