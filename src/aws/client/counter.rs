//! Counts the requests the SDK sends, split into reads and writes by operation name, so every
//! command can report how many AWS calls it made (and a no-op deploy can prove it wrote nothing).
//! Inside `for_step`, each request's time on the wire is also recorded, so a deploy can say how
//! many requests each step made and how many of them had to follow one another.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

#[derive(Debug, Default)]
pub struct RequestCounter {
    reads: AtomicU64,
    writes: AtomicU64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct RequestCounts {
    pub reads: u64,
    pub writes: u64,
}

impl RequestCounter {
    pub fn counts(&self) -> RequestCounts {
        RequestCounts {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }
}

/// Operations that change nothing. Every other operation counts as a write.
pub fn is_read_operation(name: &str) -> bool {
    [
        "Get", "List", "Describe", "Scan", "Query", "BatchGet", "Filter",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// One step's requests: when each was sent and when its answer came.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StepRequests {
    pub requests: u64,
    /// The longest chain of requests each sent after the previous one's answer: the round trips
    /// the step cannot do without, however fast the network.
    pub rounds: u64,
}

tokio::task_local! {
    static STEP: Arc<Mutex<Vec<(Instant, Option<Instant>)>>>;
}

/// Runs `step`, recording its requests (the SDK futures it awaits run inside its task).
pub async fn for_step<F: Future>(step: F) -> (F::Output, StepRequests) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let out = STEP.scope(seen.clone(), step).await;
    let spans = seen.lock().expect("step requests").clone();
    (out, measure(&spans))
}

/// Requests and rounds of a set of (sent, answered) times; an unanswered request ends never.
pub fn measure(spans: &[(Instant, Option<Instant>)]) -> StepRequests {
    let mut sorted: Vec<(Instant, Option<Instant>)> = spans.to_vec();
    sorted.sort_by_key(|s| s.0);
    let mut chain: Vec<u64> = Vec::with_capacity(sorted.len());
    for (i, (sent, _)) in sorted.iter().enumerate() {
        let before = (0..i)
            .filter(|j| sorted[*j].1.is_some_and(|answered| answered <= *sent))
            .map(|j| chain[j])
            .max()
            .unwrap_or(0);
        chain.push(before + 1);
    }
    StepRequests {
        requests: sorted.len() as u64,
        rounds: chain.into_iter().max().unwrap_or(0),
    }
}

/// Where in the step's list this attempt's span is (kept in the request's config bag).
#[derive(Debug, Clone, Copy)]
struct SpanIndex(usize);
impl Storable for SpanIndex {
    type Storer = StoreReplace<SpanIndex>;
}

#[derive(Debug, Clone)]
pub struct CountingInterceptor(pub Arc<RequestCounter>);

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "baken-request-counter"
    }

    // Runs once per attempt, so retries are counted: they are requests AWS saw.
    fn read_before_transmit(
        &self,
        _ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let read = cfg
            .load::<Metadata>()
            .map(|m| is_read_operation(m.name()))
            .unwrap_or(false);
        let slot = if read { &self.0.reads } else { &self.0.writes };
        slot.fetch_add(1, Ordering::Relaxed);
        let _ = STEP.try_with(|spans| {
            let mut spans = spans.lock().expect("step requests");
            spans.push((Instant::now(), None));
            cfg.interceptor_state()
                .store_put(SpanIndex(spans.len() - 1));
        });
        Ok(())
    }

    fn read_after_transmit(
        &self,
        _ctx: &BeforeDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(SpanIndex(i)) = cfg.load::<SpanIndex>().copied() {
            let _ = STEP.try_with(|spans| {
                if let Some(span) = spans.lock().expect("step requests").get_mut(i) {
                    span.1 = Some(Instant::now());
                }
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rounds_are_the_longest_chain_of_requests_that_waited_for_each_other() {
        let t = Instant::now();
        let at = |ms: u64| t + Duration::from_millis(ms);
        // Two in parallel, then one after both, then one sent before the third was answered.
        let spans = [
            (at(0), Some(at(100))),
            (at(0), Some(at(100))),
            (at(100), Some(at(200))),
            (at(150), Some(at(250))),
        ];
        assert_eq!(
            measure(&spans),
            StepRequests {
                requests: 4,
                rounds: 2
            }
        );
        let sequential = [
            (at(0), Some(at(10))),
            (at(10), Some(at(20))),
            (at(20), None),
        ];
        assert_eq!(measure(&sequential).rounds, 3);
        assert_eq!(measure(&[]), StepRequests::default());
    }
}
