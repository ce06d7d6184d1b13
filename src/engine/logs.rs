//! `baken logs`: the functions' CloudWatch log groups (and the gateway's bootstrap report) read
//! as one stream, interleaved by time. A cursor per source lets `--follow` poll without showing
//! an event twice.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::aws::logs::{self, LogEvent};
use crate::aws::{ssm, AwsError, Clients};
use crate::live::BootstrapReport;
use crate::model::names::{bootstrap_status_parameter, log_group_name};
use crate::model::Stack;

/// The name that selects the gateway instance's bootstrap report.
pub const GATEWAY: &str = "gateway";

/// Where events come from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A function's log group; `label` is its route name (`get-races`).
    Function { name: String, label: String },
    /// The Systems Manager parameter the instance bootstrap reports to.
    Gateway { parameter: String },
}

impl Source {
    pub fn label(&self) -> &str {
        match self {
            Source::Function { label, .. } => label,
            Source::Gateway { .. } => GATEWAY,
        }
    }
}

/// The sources `names` select (route names, full function names, `gateway`); all functions and
/// the gateway when empty. An unknown name is an error that lists the known ones.
pub fn sources(stack: &Stack, names: &[String]) -> Result<Vec<Source>, String> {
    let function = |f: &crate::model::Function| Source::Function {
        name: f.name.clone(),
        label: f.def.suffix.to_string(),
    };
    let gateway = Source::Gateway {
        parameter: bootstrap_status_parameter(&stack.name),
    };
    if names.is_empty() {
        let mut all: Vec<Source> = stack.functions.iter().map(function).collect();
        all.push(gateway);
        return Ok(all);
    }
    let mut out: Vec<Source> = Vec::new();
    for n in names {
        let found = if n == GATEWAY {
            Some(gateway.clone())
        } else {
            stack
                .functions
                .iter()
                .find(|f| f.def.suffix == n || &f.name == n)
                .map(function)
        };
        let Some(source) = found else {
            let known: Vec<&str> = stack.functions.iter().map(|f| f.def.suffix).collect();
            return Err(format!(
                "`{n}` is not a function of stack {}: expected one of {}, or {GATEWAY}",
                stack.name,
                known.join(", ")
            ));
        };
        if !out.contains(&source) {
            out.push(source);
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub source: String,
    #[serde(flatten)]
    pub event: LogEvent,
}

/// What one poll found.
#[derive(Debug, Default)]
pub struct Batch {
    /// Every source's new events, oldest first.
    pub entries: Vec<Entry>,
    /// Sources that had more events than the limit; the next poll goes on from the last shown.
    pub truncated: Vec<String>,
    /// Sources that do not exist (a function never deployed, a stack without a gateway).
    pub missing: Vec<String>,
}

/// Where a source's next read starts: the newest timestamp shown and the events shown at it
/// (FilterLogEvents' start time is inclusive, and several events can share a millisecond).
#[derive(Debug, Clone, Default)]
struct Cursor {
    from_ms: i64,
    seen_at_from: BTreeSet<String>,
}

impl Cursor {
    fn keep(&mut self, mut events: Vec<LogEvent>) -> Vec<LogEvent> {
        events.retain(|e| {
            e.timestamp > self.from_ms
                || (e.timestamp == self.from_ms && !self.seen_at_from.contains(&e.event_id))
        });
        for e in &events {
            if e.timestamp > self.from_ms {
                self.from_ms = e.timestamp;
                self.seen_at_from.clear();
            }
            if e.timestamp == self.from_ms {
                self.seen_at_from.insert(e.event_id.clone());
            }
        }
        events
    }
}

pub struct Reader {
    sources: Vec<Source>,
    cursors: BTreeMap<Source, Cursor>,
    filter: Option<String>,
    limit: usize,
}

impl Reader {
    pub fn new(
        sources: Vec<Source>,
        start_ms: i64,
        filter: Option<String>,
        limit: usize,
    ) -> Reader {
        let cursors = sources
            .iter()
            .map(|s| {
                (
                    s.clone(),
                    Cursor {
                        from_ms: start_ms,
                        seen_at_from: BTreeSet::new(),
                    },
                )
            })
            .collect();
        Reader {
            sources,
            cursors,
            filter,
            limit,
        }
    }

    /// Reads every source once, in parallel, from where the last poll stopped.
    pub async fn poll(&mut self, clients: &Clients) -> Result<Batch, AwsError> {
        let reads = self.sources.iter().map(|s| {
            let from = self.cursors[s].from_ms;
            read(clients, s, from, self.filter.as_deref(), self.limit)
        });
        let results = futures::future::try_join_all(reads).await?;
        let mut batch = Batch::default();
        for (source, result) in self.sources.iter().zip(results) {
            let Some((events, more)) = result else {
                batch.missing.push(source.label().to_string());
                continue;
            };
            let cursor = self.cursors.get_mut(source).expect("a cursor per source");
            for event in cursor.keep(events) {
                batch.entries.push(Entry {
                    source: source.label().to_string(),
                    event,
                });
            }
            if more {
                batch.truncated.push(source.label().to_string());
            }
        }
        // Stable: events of one source keep their order when timestamps tie.
        batch.entries.sort_by_key(|e| e.event.timestamp);
        Ok(batch)
    }
}

async fn read(
    clients: &Clients,
    source: &Source,
    from_ms: i64,
    filter: Option<&str>,
    limit: usize,
) -> Result<Option<(Vec<LogEvent>, bool)>, AwsError> {
    match source {
        Source::Function { name, .. } => {
            logs::events(clients, &log_group_name(name), from_ms, filter, limit).await
        }
        Source::Gateway { parameter } => {
            let found = ssm::parameters(clients, std::slice::from_ref(parameter)).await?;
            let Some(ssm::Reported {
                text: value,
                modified_millis,
            }) = found.into_values().next()
            else {
                return Ok(None);
            };
            let timestamp = modified_millis.unwrap_or_default();
            if timestamp < from_ms {
                return Ok(Some((Vec::new(), false)));
            }
            Ok(Some((
                vec![gateway_event(parameter, &value, timestamp)],
                false,
            )))
        }
    }
}

/// The bootstrap's report as one event; the full log stays on the instance.
fn gateway_event(parameter: &str, value: &str, timestamp: i64) -> LogEvent {
    let message = match BootstrapReport::parse(Some(value)) {
        Some(r) => format!(
            "bootstrap {}: {} (full log: C:\\baken\\bootstrap.log on the instance)",
            r.state, r.step
        ),
        None => value.to_string(),
    };
    LogEvent {
        timestamp,
        log_stream: parameter.to_string(),
        event_id: format!("{parameter}@{timestamp}"),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(ts: i64, id: &str) -> LogEvent {
        LogEvent {
            timestamp: ts,
            log_stream: "s".into(),
            event_id: id.into(),
            message: id.into(),
        }
    }

    #[test]
    fn a_cursor_never_shows_an_event_twice_when_timestamps_tie() {
        let mut c = Cursor {
            from_ms: 100,
            seen_at_from: BTreeSet::new(),
        };
        let first = c.keep(vec![event(100, "a"), event(105, "b"), event(105, "c")]);
        assert_eq!(first.len(), 3);
        // The next read starts at 105 inclusive: b and c come again, with a new d beside them.
        let second = c.keep(vec![event(105, "b"), event(105, "c"), event(105, "d")]);
        assert_eq!(second, [event(105, "d")]);
        let third = c.keep(vec![event(105, "d"), event(106, "e")]);
        assert_eq!(third, [event(106, "e")]);
    }

    #[test]
    fn sources_accept_route_and_full_names_and_refuse_others() {
        let stack = crate::manifest::parse(std::path::Path::new("m.yaml"), "stack: t\n").unwrap();
        let all = sources(&stack, &[]).unwrap();
        assert_eq!(all.len(), 10, "nine functions and the gateway");
        let two = sources(
            &stack,
            &["get-races".into(), "t-get-races".into(), "gateway".into()],
        )
        .unwrap();
        assert_eq!(two.len(), 2);
        assert_eq!(two[0].label(), "get-races");
        let err = sources(&stack, &["get-race".into()]).unwrap_err();
        assert!(
            err.contains("`get-race` is not a function of stack t"),
            "{err}"
        );
        assert!(err.contains("get-race-detail"), "{err}");
    }
}
