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
    /// Deletion protection on (the manifest's `protection`).
    pub protected: bool,
    pub tags: std::collections::BTreeMap<String, String>,
}

crate::attribute_keys! {
    /// A table's key, each global secondary index by name, billing, encryption and TTL.
    pub enum TableAttr<'a> {
        PartitionKey = "partition_key",
        BillingMode = "billing_mode",
        Encryption = "encryption",
        Ttl = "ttl",
        DeletionProtection = "deletion_protection";
        Index = "index.",
    }
}

impl Wanted for TableSpec {
    const DELETION_LOSES: Option<&'static str> = Some("the table and every item in it");
    const HOLDS_DATA: bool = true;
    const DELETED_AFTER: &'static [Kind] = &[Kind::Permission, Kind::RestApi];
    const PROTECTED_BY: Option<&'static str> = Some(TableAttr::DeletionProtection.name());
    const REPLACED_ON: &'static [Replace] = &[Replace::new(
        TableAttr::PartitionKey.name(),
        "DynamoDB cannot change a table's key schema",
    )];
    const REPLACE_RISK: ReplaceRisk = ReplaceRisk::Loses {
        flag: "--replace-table",
        what: "the table's items are deleted with it",
    };
    fn attrs(&self) -> Attrs {
        Attrs::from([
            (
                TableAttr::PartitionKey.key(),
                format!("{} (S)", self.partition_key),
            ),
            (
                TableAttr::Index(&self.gsi_name).key(),
                format!("{} (S), projection ALL", self.gsi_key),
            ),
            (TableAttr::BillingMode.key(), "PAY_PER_REQUEST".into()),
            (TableAttr::Encryption.key(), "KMS".into()),
            (
                TableAttr::Ttl.key(),
                format!("{} enabled", self.ttl_attribute),
            ),
            (
                TableAttr::DeletionProtection.key(),
                on_off(self.protected).into(),
            ),
        ])
    }
}

/// A protection's state as AWS's settings read back: `enabled` or `disabled`.
pub fn on_off(on: bool) -> &'static str {
    if on {
        "enabled"
    } else {
        "disabled"
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
                protected: stack.protection,
                tags: ownership_tags(&stack.name),
            }),
            depends_on: vec![],
        });
    }
}
