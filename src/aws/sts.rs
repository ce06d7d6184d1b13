//! STS: who we are. The account id goes into ARNs that are derived rather than read back.

use futures::future::{BoxFuture, FutureExt, Shared};

use super::{AwsError, Clients};

/// The account id, known or still being looked up: a read that needs it only for an ARN after
/// its first call (DynamoDB's tags) waits for it there, so the lookup can run alongside the
/// first round of reads.
#[derive(Clone)]
pub struct AccountId(Shared<BoxFuture<'static, Result<String, AwsError>>>);

impl AccountId {
    pub fn known(id: &str) -> AccountId {
        let id = id.to_string();
        AccountId(async move { Ok(id) }.boxed().shared())
    }

    /// GetCallerIdentity, started now and answered to every waiter.
    pub fn lookup(clients: &Clients) -> AccountId {
        let clients = clients.clone();
        AccountId(async move { account_id(&clients).await }.boxed().shared())
    }

    pub async fn get(&self) -> Result<String, AwsError> {
        self.0.clone().await
    }
}

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
