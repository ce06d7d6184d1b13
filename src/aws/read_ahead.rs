//! Reading ahead. A service's reader lists what the stack has, then reads each listed resource.
//! On a stack that has been deployed (the deploy lock says so) the resources the desired state
//! names are expected to exist, so they are read by name alongside the list rather than after
//! it: a no-op deploy then reads in one round after the lock's version. The list still decides
//! what exists; a name it gives that was not read ahead is read after it.

use std::future::Future;

use futures::future::{try_join, try_join_all};

use super::AwsError;

/// The reads of `list`'s names: those in `ahead` started alongside the list, the others after
/// it. An early read of a name the list does not give is dropped (it found nothing, or something
/// made since the list, which the next run sees).
pub async fn listed_then_read<T, L, R, F>(
    list: L,
    ahead: &[String],
    read: R,
) -> Result<Vec<T>, AwsError>
where
    L: Future<Output = Result<Vec<String>, AwsError>>,
    R: Fn(String) -> F,
    F: Future<Output = Result<Option<T>, AwsError>>,
{
    let early = try_join_all(ahead.iter().map(|n| read(n.clone())));
    let (listed, early) = try_join(list, early).await?;
    let late = listed.iter().filter(|n| !ahead.contains(n)).cloned();
    let late = try_join_all(late.map(&read)).await?;
    let kept = ahead
        .iter()
        .zip(early)
        .filter(|(n, _)| listed.contains(n))
        .map(|(_, found)| found);
    Ok(kept.chain(late).flatten().collect())
}

/// A read by an id the last run recorded, sent before the list that confirms the id. What it
/// found is used only for that id; a failed early read is dropped (the id may be stale: EC2
/// answers `InvalidVpcID.NotFound` and the like), and the listed id is read again.
pub struct ReadById<T> {
    id: Option<String>,
    found: Option<T>,
}

impl<T> ReadById<T> {
    /// Reads `id` now, when there is one.
    pub async fn start<R, F>(id: Option<&str>, read: R) -> Self
    where
        R: FnOnce(String) -> F,
        F: Future<Output = Result<T, AwsError>>,
    {
        let Some(id) = id else {
            return Self {
                id: None,
                found: None,
            };
        };
        Self {
            found: read(id.to_string()).await.ok(),
            id: Some(id.to_string()),
        }
    }

    /// What the early read found, if it was of `id` and succeeded.
    pub fn take(&mut self, id: &str) -> Option<T> {
        match self.id.as_deref() == Some(id) {
            true => self.found.take(),
            false => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// The early reads go out before the list answers; the list decides what is kept.
    #[tokio::test]
    async fn names_read_ahead_go_out_with_the_list_and_the_list_decides() {
        let order = Mutex::new(Vec::new());
        let list = async {
            tokio::task::yield_now().await;
            order.lock().unwrap().push("list answered".to_string());
            Ok(vec!["a".to_string(), "orphan".to_string()])
        };
        let ahead = ["a".to_string(), "new".to_string()];
        let found = listed_then_read(list, &ahead, |n| {
            order.lock().unwrap().push(format!("read {n}"));
            async move { Ok(Some(n)) }
        })
        .await
        .unwrap();
        assert_eq!(
            found,
            ["a", "orphan"],
            "`new` was not listed: its read is dropped"
        );
        assert_eq!(
            *order.lock().unwrap(),
            ["read a", "read new", "list answered", "read orphan"]
        );
    }

    /// An early read by id is used only for that id, and one that failed is not used at all.
    #[tokio::test]
    async fn a_read_by_a_recorded_id_serves_that_id_once_and_a_failed_one_none() {
        let mut early = ReadById::start(Some("vpc-1"), |id| async move { Ok(id + " flags") }).await;
        assert_eq!(
            early.take("vpc-2"),
            None,
            "another id is read after the list"
        );
        assert_eq!(early.take("vpc-1").as_deref(), Some("vpc-1 flags"));
        assert_eq!(
            early.take("vpc-1"),
            None,
            "a second VPC of the id is read again"
        );
        let mut stale = ReadById::<String>::start(Some("vpc-gone"), |id| async move {
            Err(AwsError::new(
                "DescribeVpcAttribute",
                id,
                "InvalidVpcID.NotFound",
            ))
        })
        .await;
        assert_eq!(stale.take("vpc-gone"), None);
        let mut none = ReadById::<String>::start(None, |_| async { unreachable!() }).await;
        assert_eq!(none.take("vpc-1"), None);
    }
}
