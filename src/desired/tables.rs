use serde::Serialize;

use super::{ownership_tags, Desired, Replace, ReplaceRisk, Spec, Wanted};

use crate::model::Stack;
use crate::resource::{Attrs, Kind, ResourceId};

/// An on-demand table with a string partition key, one `user_id` index, TTL and KMS encryption.
#[derive(Debug, Clone, Serialize)]
pub struct TableSpec {
    pub name: String,
    pub partition_key: String,
    pub gsi_name: String,
    pub gsi_key: String,
    pub ttl_attribute: String,
    pub tags: std::collections::BTreeMap<String, String>,
}

impl Wanted for TableSpec {
    const REPLACED_ON: &'static [Replace] = &[Replace::new(
        "partition_key",
        "DynamoDB cannot change a table's key schema",
    )];
    const REPLACE_RISK: ReplaceRisk = ReplaceRisk::Loses {
        flag: "--replace-table",
        what: "the table's items are deleted with it",
    };
    fn attrs(&self) -> Attrs {
        Attrs::from([
            (
                "partition_key".into(),
                format!("{} (S)", self.partition_key),
            ),
            (
                format!("index.{}", self.gsi_name),
                format!("{} (S), projection ALL", self.gsi_key),
            ),
            ("billing_mode".into(), "PAY_PER_REQUEST".into()),
            ("encryption".into(), "KMS".into()),
            ("ttl".into(), format!("{} enabled", self.ttl_attribute)),
        ])
    }
}

pub(super) fn add(out: &mut Vec<Desired>, stack: &Stack) {
    for (name, key) in [
        (&stack.cart_table, "cart_id"),
        (&stack.session_table, "session_id"),
    ] {
        out.push(Desired {
            id: ResourceId::new(Kind::Table, name.clone()),
            spec: Spec::Table(TableSpec {
                name: name.clone(),
                partition_key: key.into(),
                gsi_name: "user_id-index".into(),
                gsi_key: "user_id".into(),
                ttl_attribute: "ttl".into(),
                tags: ownership_tags(&stack.name),
            }),
            depends_on: vec![],
        });
    }
}
