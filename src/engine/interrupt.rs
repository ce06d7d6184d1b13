//! Interrupting a run that writes (`deploy`, `teardown`, `adopt --yes`), as Terraform does: the
//! first SIGINT (Ctrl-C) or SIGTERM (a cancelled CI job, `docker stop`) starts no new step, lets
//! the steps in flight finish for up to `grace`, releases the deploy lock and reports what was
//! done and what was not; the second exits at once (the lease then runs out by itself).
//!
//! Before the run applies anything (it is reading, planning, or asking at the terminal), the
//! first signal releases the lock if one is held and exits at once: nothing was changed. Commands
//! that only read (`plan`, `status`, `logs --follow`) install nothing and stop at once.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::sync::Notify;

/// How long the steps in flight may take to finish after the first signal, unless
/// `BAKEN_INTERRUPT_GRACE` (seconds) says otherwise.
pub const GRACE: Duration = Duration::from_secs(30);

/// Gives the deploy lock up; run by the signal handler when it exits before applying.
pub type Release = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

pub struct Interrupt {
    /// The first signal's number; 0 before any.
    signal: AtomicI32,
    applying: AtomicBool,
    notify: Notify,
    grace: Duration,
    release: Mutex<Option<Release>>,
}

static CURRENT: OnceLock<Interrupt> = OnceLock::new();

/// The exit code of a run a signal ended before it changed anything: 128 + the signal's number
/// (130 for SIGINT, 143 for SIGTERM), as a shell reports it.
pub fn exit_code(signal: i32) -> u8 {
    (128 + signal).clamp(0, 255) as u8
}

fn grace() -> Duration {
    std::env::var("BAKEN_INTERRUPT_GRACE")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(GRACE)
}

/// `SIGINT`, `SIGTERM`: how the messages name a signal.
pub fn name(signal: i32) -> &'static str {
    match signal {
        2 => "SIGINT",
        15 => "SIGTERM",
        _ => "a signal",
    }
}

/// Handles SIGINT and SIGTERM from now on, for this process. Call it once, from a command that
/// writes; a second call changes nothing.
pub fn install() -> &'static Interrupt {
    let mut first = false;
    let current = CURRENT.get_or_init(|| {
        first = true;
        Interrupt {
            signal: AtomicI32::new(0),
            applying: AtomicBool::new(false),
            notify: Notify::new(),
            grace: grace(),
            release: Mutex::new(None),
        }
    });
    if first {
        tokio::spawn(listen(current));
    }
    current
}

/// The interrupt of this process, if a command installed one.
pub fn current() -> Option<&'static Interrupt> {
    CURRENT.get()
}

/// The first signal received by a run that installed the handler, if any.
pub fn requested() -> Option<i32> {
    current().and_then(Interrupt::signal)
}

async fn listen(me: &'static Interrupt) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    loop {
        let got = tokio::select! {
            _ = int.recv() => 2,
            _ = term.recv() => 15,
        };
        if me.signal.load(Ordering::SeqCst) != 0 {
            eprintln!("\n{}: exiting at once; the deploy lock's lease runs out by itself within two minutes (`baken unlock` clears it sooner)", name(got));
            std::process::exit(exit_code(got).into());
        }
        me.signal.store(got, Ordering::SeqCst);
        if !me.applying.load(Ordering::SeqCst) {
            let release = me.release.lock().expect("release lock").take();
            if let Some(release) = release {
                // Bounded: a dead network must not hold the exit.
                let _ = tokio::time::timeout(Duration::from_secs(10), release()).await;
            }
            eprintln!(
                "\n{}: stopped before changing anything; nothing was changed",
                name(got)
            );
            std::process::exit(exit_code(got).into());
        }
        eprintln!(
            "\n{}: starting no new step; the steps in flight may finish within {}s, then the deploy lock is released and what was done is reported. A second signal exits at once.",
            name(got),
            me.grace.as_secs_f64()
        );
        me.notify.notify_waiters();
    }
}

/// Resolves once an interrupt's grace is over (what runs then is abandoned); never without an
/// interrupt installed.
pub async fn grace_over() {
    match current() {
        Some(i) => i.grace_over().await,
        None => futures::future::pending().await,
    }
}

/// Runs `work`, unless an interrupt's grace runs out first: then it is abandoned (dropped, its
/// requests with it) and the signal's number is the answer.
pub async fn within_grace<F: std::future::Future>(work: F) -> Result<F::Output, i32> {
    tokio::select! {
        done = work => Ok(done),
        _ = grace_over() => Err(requested().unwrap_or_default()),
    }
}

impl Interrupt {
    pub fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s),
        }
    }

    /// The run holds the deploy lock: a signal before it applies releases it with `release`.
    pub fn hold(&self, release: Release) {
        *self.release.lock().expect("release lock") = Some(release);
    }

    /// The run gave the lock up itself.
    pub fn let_go(&self) {
        self.release.lock().expect("release lock").take();
    }

    /// From now on the run changes things: a signal lets the steps in flight finish.
    pub fn applying(&self) {
        self.applying.store(true, Ordering::SeqCst);
    }

    /// Resolves `grace` after the first signal: the steps still in flight then are abandoned.
    pub async fn grace_over(&self) {
        loop {
            let notified = self.notify.notified();
            if self.signal().is_some() {
                break;
            }
            notified.await;
        }
        tokio::time::sleep(self.grace).await;
    }
}
