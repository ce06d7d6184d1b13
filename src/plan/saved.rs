//! A saved plan (`baken plan --out FILE`): the plan a review saw, with everything it was computed
//! from, so that `baken deploy --plan FILE` applies exactly it or refuses. It records where
//! (account, region, stack), from what (the manifest's and the artefact's hashes, the desired
//! state's hash, the baken version) and against what: the lock's version and a fingerprint of
//! every live resource the plan was computed from, including the absence of each it creates.
//! A plan that creates a stack is therefore refused once the stack exists (Terraform applies a
//! plan made against an empty state twice: hashicorp/terraform#24078).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Plan;
use crate::desired::Desired;
use crate::live::{Health, LiveState, Owner};
use crate::resource::hash::sha256_hex;
use crate::resource::json::canonical_json;

/// The document's kind and version: a reader refuses another.
pub const FORMAT: &str = "baken-plan";
pub const VERSION: u32 = 1;

/// The plan file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    pub version: u32,
    /// The baken that made it: another computes plans its own way.
    pub baken_version: String,
    pub stack: String,
    /// The environment (`--env`), when the manifest has environments.
    pub environment: Option<String>,
    pub account: String,
    pub region: String,
    pub mode: String,
    /// The mode came from `--mode` (a switch is intended).
    pub explicit_mode: bool,
    /// sha256 of the manifest file as read.
    pub manifest_sha256: String,
    /// The Lambda package the plan deploys: where it was, and its hash.
    pub artefact: Option<Artefact>,
    /// sha256 of the desired state (every wanted resource's attributes): the manifest, the
    /// package, the gateway's software and the account's facts, as the plan saw them.
    pub desired_sha256: String,
    /// The deploy lock's version when the plan was read: every writing run counts it on.
    pub lock_version: i64,
    /// `kind name` → fingerprint of the live resource, or `absent`.
    pub live: BTreeMap<String, String>,
    /// The plan, as `baken plan --json` prints it.
    pub plan: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artefact {
    pub path: String,
    /// The package's sha256, base64 (Lambda's CodeSha256).
    pub sha256_base64: String,
}

/// What a fingerprint says of a resource that does not exist.
pub const ABSENT: &str = "absent";

impl SavedPlan {
    /// Why this baken cannot apply it to `manifest` (sha256 `manifest_sha256`): another baken
    /// made it, or the manifest changed since. None: both as they were.
    pub fn made_by(
        &self,
        baken_version: &str,
        manifest: &std::path::Path,
        manifest_sha256: &str,
    ) -> Option<String> {
        if self.baken_version != baken_version {
            return Some(format!(
                "it was made by baken {}, this is baken {baken_version}",
                self.baken_version
            ));
        }
        (self.manifest_sha256 != manifest_sha256)
            .then(|| format!("the manifest {} changed since", manifest.display()))
    }

    /// Why it is not for the environment this run chose, or None.
    pub fn made_for(&self, environment: Option<&str>) -> Option<String> {
        (self.environment.as_deref() != environment).then(|| {
            format!(
                "it was made for environment {}, this run is for {}",
                self.environment.as_deref().unwrap_or("(none)"),
                environment.unwrap_or("(none)")
            )
        })
    }
}

/// A fingerprint of every live resource, and `absent` for every wanted one that is not there.
pub fn fingerprints(desired: &[Desired], live: &LiveState) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = live
        .resources
        .values()
        .map(|r| {
            let owner = match &r.owner {
                Owner::Ours => "ours".to_string(),
                other => format!("{other:?}"),
            };
            let health = match &r.health {
                Health::Ok => String::new(),
                other => format!("{other:?}"),
            };
            let doc = serde_json::json!({
                "attrs": r.attrs,
                "owner": owner,
                "health": health,
                "aws_id": r.aws_id,
            });
            (
                r.id.to_string(),
                sha256_hex(canonical_json(&doc).as_bytes()),
            )
        })
        .collect();
    for d in desired {
        out.entry(d.id.to_string())
            .or_insert_with(|| ABSENT.to_string());
    }
    out
}

/// sha256 of the desired state.
pub fn desired_hash(desired: &[Desired]) -> String {
    let doc: Vec<serde_json::Value> = desired
        .iter()
        .map(|d| serde_json::json!({ "id": d.id.to_string(), "attrs": d.spec.attrs() }))
        .collect();
    sha256_hex(canonical_json(&serde_json::Value::Array(doc)).as_bytes())
}

/// How a live resource moved since the plan was made, in words (`table t-cart changed`).
pub fn moved(saved: &BTreeMap<String, String>, now: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (id, was) in saved {
        match now.get(id).map(String::as_str) {
            Some(is) if is == was => {}
            None | Some(ABSENT) if was != ABSENT => out.push(format!("{id} was deleted")),
            Some(_) if was == ABSENT => out.push(format!("{id} was created")),
            _ => out.push(format!("{id} changed")),
        }
    }
    for (id, is) in now {
        if !saved.contains_key(id) && is != ABSENT {
            out.push(format!("{id} was created"));
        }
    }
    out
}

/// The plan as the file keeps it.
pub fn plan_value(plan: &Plan) -> serde_json::Value {
    serde_json::to_value(plan).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn what_moved_is_named_created_changed_or_deleted() {
        let saved = map(&[("table a", "1"), ("table b", ABSENT), ("role c", "3")]);
        let now = map(&[("table a", "2"), ("table b", "9"), ("function d", "4")]);
        let moved = moved(&saved, &now);
        assert_eq!(
            moved,
            [
                "role c was deleted",
                "table a changed",
                "table b was created",
                "function d was created"
            ]
        );
        assert!(super::moved(&saved, &saved).is_empty());
    }
}
