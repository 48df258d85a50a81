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

/// `#[serde(serialize_with = "crate::time::serialize_rfc3339")]`: a time in ms since the epoch
/// as every JSON document of omc's shows times, RFC 3339 in UTC.
pub fn serialize_rfc3339<S: serde::Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&Rfc3339(*ms))
}

/// [`serialize_rfc3339`] for a time that may be missing (`null`).
pub fn serialize_rfc3339_opt<S: serde::Serializer>(
    ms: &Option<i64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match ms {
        Some(ms) => s.collect_str(&Rfc3339(*ms)),
        None => s.serialize_none(),
    }
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

impl Ago {
    /// How many of which unit: `(3, "m")`.
    fn parts(&self) -> (u64, &'static str) {
        let secs = (self.0 - self.1).max(0) as u64 / 1000;
        match secs {
            0..=59 => (secs, "s"),
            60..=3599 => (secs / 60, "m"),
            3600..=86_399 => (secs / 3600, "h"),
            _ => (secs / 86_400, "d"),
        }
    }

    /// The text appended to `out` without the formatting machinery: `omc list` writes three
    /// a row, 30,000 at 10,000 credentials.
    pub fn push_to(&self, out: &mut String) {
        let (mut n, unit) = self.parts();
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[start..] {
            out.push(char::from(d));
        }
        out.push_str(unit);
        out.push_str(" ago");
    }
}

impl std::fmt::Display for Ago {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, unit) = self.parts();
        write!(f, "{n}{unit} ago")
    }
}

/// Parse `7d`, `12h`, `30m` (humantime) into a cut-off stamp that many ms ago.
pub fn since(spec: &str) -> Option<i64> {
    humantime::parse_duration(spec)
        .ok()
        .map(|d| now_ms() - d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ago_is_written_alike_by_hand_and_by_display() {
        let now = 1_800_000_000_000;
        let cases = [
            (now + 5_000, "0s ago"), // a stamp from a clock ahead of this one
            (now, "0s ago"),
            (now - 59_999, "59s ago"),
            (now - 60_000, "1m ago"),
            (now - 3_599_999, "59m ago"),
            (now - 3_600_000, "1h ago"),
            (now - 86_399_999, "23h ago"),
            (now - 86_400_000, "1d ago"),
            (now - 1_234 * 86_400_000, "1234d ago"),
            (0, "20833d ago"),
        ];
        for (at, want) in cases {
            let mut pushed = String::from("x");
            Ago(now, at).push_to(&mut pushed);
            assert_eq!(pushed, format!("x{want}"), "{at}");
            assert_eq!(Ago(now, at).to_string(), want, "{at}");
        }
    }
}
