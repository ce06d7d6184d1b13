//! Counts the requests the SDK sends, split into reads and writes by operation name, so every
//! command can report how many AWS calls it made (and a no-op deploy can prove it wrote nothing).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

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
        Ok(())
    }
}
