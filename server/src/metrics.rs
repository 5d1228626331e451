//! The server's Prometheus metrics (`GET /metrics`, text exposition
//! format 0.0.4), written by hand: counters and histograms are atomics,
//! read when the endpoint is scraped.
//!
//! One place per metric:
//! - logins, their latency and locks (nothing that tells a suspended user
//!   or an unknown id apart: SPEC §13):
//!   the login service, where each request's [`crate::login::Decision`] is
//!   finished ([`Metrics::decided`]);
//! - database errors: the one place a store error becomes a decision;
//! - RADIUS drops: the RADIUS door's own counters, and syslog: the sender's,
//!   both read at scrape time through a [`Source`] the server registers.
//!
//! The registry is the process's ([`global`]): one server per process.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

/// The doors, as the `door` label names them.
pub const DOORS: [&str; 2] = ["http", "radius"];

/// The outcomes of a login request, as the `outcome` label names them.
///
/// There is no `suspended`: a suspended user's attempt counts as `rejected`,
/// as the doors answer it, so that whoever reads `/metrics` cannot tell a
/// suspended user by asking (and no counter tells unknown ids apart either:
/// SPEC §13).
pub const OUTCOMES: [&str; 8] =
    ["prompt", "accepted", "rejected", "locked", "outside_window", "refused", "unavailable", "internal"];

/// The latency histogram's buckets (seconds).
pub const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

/// Adds a part to the exposition when `/metrics` is scraped (the RADIUS
/// door's drops, the syslog sender's counts).
pub type Source = Box<dyn Fn(&mut Exposition) + Send + Sync>;

/// A latency histogram.
#[derive(Default)]
struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// The sum in microseconds.
    sum_us: AtomicU64,
}

impl Histogram {
    fn observe(&self, seconds: f64) {
        for (b, le) in self.buckets.iter().zip(BUCKETS) {
            if seconds <= le {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        // Truncation is fine: microseconds of one request.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        self.sum_us.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
    }
}

/// Reads one counter of a door.
type Field = fn(&Door) -> &AtomicU64;

/// One door's counters.
#[derive(Default)]
struct Door {
    logins: [AtomicU64; OUTCOMES.len()],
    latency: Histogram,
    locks: AtomicU64,
}

/// The process's counters.
#[derive(Default)]
pub struct Metrics {
    doors: [Door; DOORS.len()],
    db_unavailable: AtomicU64,
    db_other: AtomicU64,
    sources: Mutex<Vec<Source>>,
}

/// The process's registry.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

/// What a finished request counts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counted {
    /// Its door (index in [`DOORS`]).
    pub door: usize,
    /// Its outcome (index in [`OUTCOMES`]).
    pub outcome: usize,
    /// Whether the answer led to a lock, or met one.
    pub lock: bool,
}

impl Metrics {
    /// Counts a finished login request and its latency.
    pub fn decided(&self, c: Counted, seconds: f64) {
        let Some(door) = self.doors.get(c.door) else { return };
        if let Some(n) = door.logins.get(c.outcome) {
            n.fetch_add(1, Ordering::Relaxed);
        }
        door.latency.observe(seconds);
        if c.lock {
            door.locks.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a database error: `unavailable` (cannot be reached) or another.
    pub fn database_error(&self, unavailable: bool) {
        let n = if unavailable { &self.db_unavailable } else { &self.db_other };
        n.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds a source read at each scrape.
    pub fn register(&self, source: Source) {
        self.sources.lock().unwrap_or_else(PoisonError::into_inner).push(source);
    }

    /// The logins counted so far for `door` and `outcome` (tests, and the
    /// exposition).
    pub fn logins(&self, door: &str, outcome: &str) -> u64 {
        let d = DOORS.iter().position(|d| *d == door).and_then(|d| self.doors.get(d));
        let o = OUTCOMES.iter().position(|o| *o == outcome);
        d.zip(o).and_then(|(d, o)| d.logins.get(o)).map_or(0, |n| n.load(Ordering::Relaxed))
    }

    /// The exposition (`text/plain; version=0.0.4`).
    pub fn render(&self) -> String {
        let mut e = Exposition::default();
        e.help("matrixauth_build_info", "gauge", "The running build (value 1).");
        e.sample("matrixauth_build_info", &[("version", env!("CARGO_PKG_VERSION"))], 1);
        e.help(
            "matrixauth_logins_total",
            "counter",
            "Login requests (challenges, answers, ticket redemptions) finished, by door and outcome.",
        );
        for (d, door) in self.doors.iter().zip(DOORS) {
            for (n, outcome) in d.logins.iter().zip(OUTCOMES) {
                let n = n.load(Ordering::Relaxed);
                e.sample("matrixauth_logins_total", &[("door", door), ("outcome", outcome)], n);
            }
        }
        e.help(
            "matrixauth_login_duration_seconds",
            "histogram",
            "Time the login service took to decide a request, by door.",
        );
        for (d, door) in self.doors.iter().zip(DOORS) {
            let h = &d.latency;
            for (b, le) in h.buckets.iter().zip(BUCKETS) {
                let le = format!("{le}");
                let n = b.load(Ordering::Relaxed);
                e.sample("matrixauth_login_duration_seconds_bucket", &[("door", door), ("le", &le)], n);
            }
            let count = h.count.load(Ordering::Relaxed);
            e.sample("matrixauth_login_duration_seconds_bucket", &[("door", door), ("le", "+Inf")], count);
            #[allow(clippy::cast_precision_loss)]
            let sum = h.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
            e.sample_f("matrixauth_login_duration_seconds_sum", &[("door", door)], sum);
            e.sample("matrixauth_login_duration_seconds_count", &[("door", door)], count);
        }
        let per_door: [(&str, &str, Field); 1] =
            [("matrixauth_locks_total", "Answers that led to a lock or met one in force, by door.", |d| {
                &d.locks
            })];
        for (name, help, field) in per_door {
            e.help(name, "counter", help);
            for (d, door) in self.doors.iter().zip(DOORS) {
                e.sample(name, &[("door", door)], field(d).load(Ordering::Relaxed));
            }
        }
        e.help(
            "matrixauth_database_errors_total",
            "counter",
            "Store errors met by the login service, by kind.",
        );
        let unavailable = self.db_unavailable.load(Ordering::Relaxed);
        e.sample("matrixauth_database_errors_total", &[("kind", "unavailable")], unavailable);
        e.sample(
            "matrixauth_database_errors_total",
            &[("kind", "other")],
            self.db_other.load(Ordering::Relaxed),
        );
        for source in self.sources.lock().unwrap_or_else(PoisonError::into_inner).iter() {
            source(&mut e);
        }
        e.text
    }
}

/// The text being written.
#[derive(Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// The `# HELP` and `# TYPE` lines of a metric family.
    pub fn help(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// A sample with an integer value.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: u64) {
        self.name_labels(name, labels);
        let _ = writeln!(self.text, " {value}");
    }

    /// A sample with a real value.
    pub fn sample_f(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.name_labels(name, labels);
        let _ = writeln!(self.text, " {value}");
    }

    fn name_labels(&mut self, name: &str, labels: &[(&str, &str)]) {
        self.text.push_str(name);
        if labels.is_empty() {
            return;
        }
        self.text.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                self.text.push(',');
            }
            let v = v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
            let _ = write!(self.text, "{k}=\"{v}\"");
        }
        self.text.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_has_every_family() {
        let m = Metrics::default();
        m.decided(Counted { door: 0, outcome: 1, lock: false }, 0.003);
        let text = m.render();
        assert!(text.contains("matrixauth_logins_total{door=\"http\",outcome=\"accepted\"} 1"), "{text}");
        assert!(text.contains("matrixauth_login_duration_seconds_bucket{door=\"http\",le=\"0.005\"} 1"));
        assert!(text.contains("matrixauth_login_duration_seconds_bucket{door=\"http\",le=\"0.0025\"} 0"));
        assert!(text.contains("matrixauth_build_info{version="));
    }
}
