//! The deploy lock as a command uses it: a lease taken before the first write of `deploy` or
//! `teardown`, renewed in the background while the plan is carried out, released at the end. A
//! second run waits up to its `--lock-timeout`, or refuses at once, naming the holder. A holder
//! that died stops renewing, and its lease expires after `LEASE`.
//!
//! No-op runs never take it: they write nothing to protect. Reads (`plan`, `status`) never do.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::aws::lock::{self, Holder};
use crate::aws::{AwsError, Clients};

/// How long a lease lasts without renewal: a killed run blocks the stack at most this long.
pub const LEASE: Duration = Duration::from_secs(120);
/// Renewed three times per lease, so one lost renewal does not lose it.
const RENEW_EVERY: Duration = Duration::from_secs(40);
/// How often a waiting run tries again.
const POLL: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(
        "stack {stack} is locked by {} (`{}`, since {}, lease until {}){}; nothing was changed\n  hint: wait for it to finish, or run again with --lock-timeout 10m to wait; if that run is dead, its lease expires by itself, or `baken unlock` clears it now",
        holder.holder, holder.command, when(holder.started_at), when(holder.expires_at),
        if waited.is_zero() { String::new() } else { format!(" after waiting {}s", waited.as_secs()) }
    )]
    Held {
        stack: String,
        /// Boxed: every command's error carries this one.
        holder: Box<Holder>,
        waited: Duration,
    },
}

/// Seconds since the epoch as UTC `YYYY-MM-DDTHH:MM:SSZ`.
pub fn when(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// `user@host pid N`, and the CI run when the environment names one.
pub fn who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "someone".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "a machine".into());
    let mut who = format!("{user}@{host} pid {}", std::process::id());
    if let (Ok(repo), Ok(run)) = (
        std::env::var("GITHUB_REPOSITORY"),
        std::env::var("GITHUB_RUN_ID"),
    ) {
        who.push_str(&format!(" (GitHub Actions {repo} run {run})"));
    }
    who
}

/// A token no other run has: the conditions on the lock item compare it, so a retried write of
/// this run's own is told from another run's holding.
fn run_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // RandomState's keys come from the operating system's randomness.
    let part = |salt: u64| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        h.write_u64(salt);
        h.finish()
    };
    format!("{:016x}{:016x}", part(1), part(2))
}

/// What a writing command saw of the lock before it planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// The item's version (0 with no table yet): a run that gets the lock later can tell whether
    /// another run changed the stack meanwhile.
    pub version: i64,
    /// Whether the lock table exists: without it, the first writing run makes it before trying,
    /// rather than after a write that is sure to fail.
    pub table: bool,
    /// What the last release recorded (hints for the reads).
    pub left: lock::Left,
}

impl Seen {
    /// A run released the lock before: the stack has been deployed, so what the manifest names
    /// is expected to exist and can be read ahead.
    pub fn deployed(&self) -> bool {
        self.table && self.version > 0
    }
}

/// Reads the lock as a writing command does before planning.
pub async fn seen(clients: &Clients, stack: &str) -> Result<Seen, AwsError> {
    let item = lock::read(clients, stack).await?;
    let table = item.is_some();
    let item = item.unwrap_or_default();
    Ok(Seen {
        table,
        version: item.version,
        left: item.left,
    })
}

/// A held lock. Dropping it without `release` leaves the lease to expire.
pub struct Lease {
    clients: Clients,
    stack: String,
    token: String,
    /// Who took it, for what: recorded as the last run when it is released.
    holder: String,
    command: String,
    lost: Arc<AtomicBool>,
    renewal: tokio::task::JoinHandle<()>,
    /// What the run leaves, once it knows: recorded at release for the next run.
    left: std::sync::Mutex<lock::Left>,
    /// The version when it was taken: another run released the lock since the caller's read
    /// when this differs from the version read before planning.
    pub version: i64,
}

impl Lease {
    /// The lease expired and another run took the lock: start nothing new.
    pub fn lost(&self) -> &AtomicBool {
        &self.lost
    }

    /// What gives this lease up from elsewhere (the interrupt handler, before the run applies):
    /// a release that records nothing for the next run.
    pub fn releaser(&self) -> super::interrupt::Release {
        let (clients, stack, token) =
            (self.clients.clone(), self.stack.clone(), self.token.clone());
        let (holder, command) = (self.holder.clone(), self.command.clone());
        Box::new(move || {
            Box::pin(async move {
                let last = lock::LastRun {
                    holder,
                    command,
                    at: now(),
                };
                let left = lock::Left::default();
                let _ = lock::release(&clients, &stack, &token, &left, &last).await;
            })
        })
    }

    /// Notes what the run leaves, for the release to record.
    pub fn remember(&self, left: lock::Left) {
        *self.left.lock().expect("left lock") = left;
    }

    pub async fn release(self) -> Result<(), AwsError> {
        self.renewal.abort();
        let left = self.left.lock().expect("left lock").clone();
        let last = lock::LastRun {
            holder: self.holder,
            command: self.command,
            at: now(),
        };
        lock::release(&self.clients, &self.stack, &self.token, &left, &last).await
    }

    /// Teardown's end: the stack is gone, and the lock table goes with it.
    pub async fn release_and_remove(self) -> Result<(), AwsError> {
        self.renewal.abort();
        lock::delete_table(&self.clients, &self.stack).await
    }
}

/// Takes the lock for `command`, trying again every 2 s for up to `timeout`. `seen`: what the
/// command read of the lock before planning, if it did.
pub async fn acquire(
    clients: &Clients,
    stack: &str,
    command: &str,
    timeout: Duration,
    seen: Option<&Seen>,
) -> Result<Lease, LockError> {
    if seen.is_some_and(|s| !s.table) {
        lock::ensure_table(clients, stack).await?;
    }
    let holder = who();
    let token = run_token();
    let started = std::time::Instant::now();
    loop {
        let t = now();
        let me = Holder {
            holder: holder.clone(),
            token: token.clone(),
            command: command.to_string(),
            started_at: t,
            expires_at: t + LEASE.as_secs() as i64,
        };
        let tried = match lock::try_acquire(clients, stack, &me, t).await {
            // No lock table yet (the stack's first writing run), or teardown removed it while
            // this run waited: make it, then try again.
            Err(e) if e.code_is("ResourceNotFoundException") => {
                lock::ensure_table(clients, stack).await?;
                continue;
            }
            other => other?,
        };
        match tried {
            Ok(version) => {
                let lost = Arc::new(AtomicBool::new(false));
                let renewal = tokio::spawn(renew(
                    clients.clone(),
                    stack.to_string(),
                    token.clone(),
                    lost.clone(),
                ));
                return Ok(Lease {
                    clients: clients.clone(),
                    stack: stack.to_string(),
                    token,
                    holder: holder.clone(),
                    command: command.to_string(),
                    lost,
                    renewal,
                    left: Default::default(),
                    version,
                });
            }
            // Released between the failed write and the read: free again, so try at once.
            Err(None) => {}
            Err(Some(other)) if started.elapsed() >= timeout => {
                return Err(LockError::Held {
                    stack: stack.to_string(),
                    holder: Box::new(other),
                    waited: started.elapsed(),
                });
            }
            Err(Some(_)) => tokio::time::sleep(POLL.min(timeout)).await,
        }
    }
}

async fn renew(clients: Clients, stack: String, token: String, lost: Arc<AtomicBool>) {
    let mut tick = tokio::time::interval(RENEW_EVERY);
    tick.tick().await;
    loop {
        tick.tick().await;
        let until = now() + LEASE.as_secs() as i64;
        match lock::renew(&clients, &stack, &token, until).await {
            Ok(true) => {}
            // Taken by another run after it expired: this run must stop starting steps.
            Ok(false) => {
                lost.store(true, Ordering::SeqCst);
                return;
            }
            // A failed renewal is tried again at the next tick; the lease outlasts two.
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::when;

    #[test]
    fn epoch_seconds_render_as_utc_dates() {
        assert_eq!(when(0), "1970-01-01T00:00:00Z");
        assert_eq!(when(1_796_134_989), "2026-12-01T14:23:09Z");
        assert_eq!(when(951_782_400), "2000-02-29T00:00:00Z");
    }
}
