//! Progress for people (indicatif spinners at a terminal) and for logs (plain lines).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use baken::aws::AwsError;
use baken::engine::progress::Progress;
use baken::plan::Step;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

fn label(step: &Step) -> String {
    format!("{} {}", step.action.verb(), step.resource)
}

/// One spinner per running step, with its elapsed time.
pub struct Spinners {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Spinners {
    pub fn new() -> Spinners {
        Spinners {
            multi: MultiProgress::new(),
            bars: Mutex::new(HashMap::new()),
        }
    }
}

impl Progress for Spinners {
    fn started(&self, step: &Step) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
        );
        bar.set_message(label(step));
        bar.enable_steady_tick(Duration::from_millis(120));
        self.bars
            .lock()
            .expect("bars lock")
            .insert(label(step), bar);
    }

    fn running(&self, steps: &[(&Step, Duration, Option<String>)]) {
        let bars = self.bars.lock().expect("bars lock");
        for (step, _, what) in steps {
            if let Some(bar) = bars.get(&label(step)) {
                bar.set_message(match what {
                    Some(w) => format!("{}: waiting for {w}", label(step)),
                    None => label(step),
                });
            }
        }
    }

    fn finished(&self, step: &Step, outcome: &Result<(), AwsError>, elapsed: Duration) {
        if let Some(bar) = self.bars.lock().expect("bars lock").remove(&label(step)) {
            let mark = if outcome.is_ok() { "✓" } else { "✗" };
            bar.finish_and_clear();
            let _ = self.multi.println(format!(
                "{mark} {} ({:.1}s)",
                label(step),
                elapsed.as_secs_f64()
            ));
        }
    }
}

/// Plain lines on stderr, for CI logs and JSON runs.
pub struct Lines;

impl Progress for Lines {
    fn started(&self, step: &Step) {
        eprintln!("… {}", label(step));
    }

    fn running(&self, steps: &[(&Step, Duration, Option<String>)]) {
        for (step, elapsed, what) in steps.iter().filter(|(_, e, _)| e.as_secs() >= 10) {
            match what {
                Some(w) => eprintln!(
                    "… still waiting: {} ({}s): {w}",
                    label(step),
                    elapsed.as_secs()
                ),
                None => eprintln!("… still waiting: {} ({}s)", label(step), elapsed.as_secs()),
            }
        }
    }

    fn finished(&self, step: &Step, outcome: &Result<(), AwsError>, elapsed: Duration) {
        let mark = if outcome.is_ok() { "done" } else { "FAILED" };
        eprintln!("{mark}: {} ({:.1}s)", label(step), elapsed.as_secs_f64());
    }
}
