//! Wall-clock stamps as Unix milliseconds, and how they are shown.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A duration in milliseconds, keeping microseconds: how timings are reported.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// RFC 3339 in UTC, to the second: for JSON and CSV.
pub fn rfc3339(ms: i64) -> String {
    Rfc3339(ms).to_string()
}

/// [`rfc3339`] written where it is displayed or serialised (as a JSON string), without a
/// `String` of its own.
#[derive(Debug, Clone, Copy)]
pub struct Rfc3339(pub i64);

impl std::fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = UNIX_EPOCH + Duration::from_millis(self.0.max(0) as u64);
        write!(f, "{}", humantime::format_rfc3339_seconds(t))
    }
}

impl serde::Serialize for Rfc3339 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// "3m ago", "2d ago": for tables.
pub fn ago(ms: i64) -> String {
    Ago(now_ms(), ms).to_string()
}

/// [`ago`] as of `.0` (a stamp read once for a whole table), written where it is displayed.
pub struct Ago(pub i64, pub i64);

impl std::fmt::Display for Ago {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = (self.0 - self.1).max(0) / 1000;
        match secs {
            0..=59 => write!(f, "{secs}s ago"),
            60..=3599 => write!(f, "{}m ago", secs / 60),
            3600..=86_399 => write!(f, "{}h ago", secs / 3600),
            _ => write!(f, "{}d ago", secs / 86_400),
        }
    }
}

/// Parse `7d`, `12h`, `30m` (humantime) into a cut-off stamp that many ms ago.
pub fn since(spec: &str) -> Option<i64> {
    humantime::parse_duration(spec)
        .ok()
        .map(|d| now_ms() - d.as_millis() as i64)
}
