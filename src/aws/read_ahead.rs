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
}
