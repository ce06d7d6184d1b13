//! STS: who we are. The account id goes into ARNs that are derived rather than read back.

use super::{AwsError, Clients};

pub async fn account_id(clients: &Clients) -> Result<String, AwsError> {
    let out = clients
        .sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetCallerIdentity", "the current credentials", e))?;
    out.account.ok_or_else(|| {
        AwsError::new(
            "GetCallerIdentity",
            "the current credentials",
            "no account id in the answer",
        )
    })
}

/// GetCallerIdentity needs no permission: AWS answers it for any valid credentials.
pub fn permissions(_: &super::permissions::Scope) -> Vec<super::permissions::Statement> {
    Vec::new()
}
