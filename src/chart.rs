//! Small plain-text pictures: bars and histograms drawn with block characters, for output a
//! person would rather look at than read (`omc usage` per day, `omc bench` latencies).

/// When to draw a chart: on a terminal by default; `always` also in a pipe; never with
/// `--json` or CSV (the commands check that).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Show {
    #[default]
    Auto,
    Always,
    Never,
}

impl Show {
    pub fn wanted(self, stdout_is_terminal: bool) -> bool {
        match self {
            Show::Auto => stdout_is_terminal,
            Show::Always => true,
            Show::Never => false,
        }
    }
}

const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/// A bar `value / max` of `width` cells, in eighths of a cell; a non-zero value shows at least
/// a sliver, so nothing that happened looks like nothing.
pub fn bar(value: f64, max: f64, width: usize) -> String {
    if !(value > 0.0 && max > 0.0) {
        return String::new();
    }
    let eighths = ((value / max).min(1.0) * (width * 8) as f64)
        .round()
        .max(1.0) as usize;
    let mut s = "█".repeat(eighths / 8);
    s.push_str(EIGHTHS[eighths % 8]);
    s
}

/// A histogram of `values` in `buckets` equal-width buckets from the least to the greatest,
/// one line each: the bucket's upper bound (as `label` formats it), its count, and a bar, as
/// oha prints one. Empty when there is nothing to draw.
pub fn histogram(
    values: &[f64],
    buckets: usize,
    width: usize,
    label: impl Fn(f64) -> String,
) -> Vec<String> {
    let points: Vec<(f64, u64)> = values.iter().map(|&v| (v, 1)).collect();
    histogram_of_counts(&points, buckets, width, label)
}

/// [`histogram`] of values given with how often each occurred: what a run that keeps counts
/// (an HDR histogram) instead of every value can draw.
pub fn histogram_of_counts(
    points: &[(f64, u64)],
    buckets: usize,
    width: usize,
    label: impl Fn(f64) -> String,
) -> Vec<String> {
    let finite: Vec<(f64, u64)> = points
        .iter()
        .copied()
        .filter(|(v, n)| v.is_finite() && *n > 0)
        .collect();
    let (Some(lo), Some(hi)) = (
        finite.iter().map(|p| p.0).reduce(f64::min),
        finite.iter().map(|p| p.0).reduce(f64::max),
    ) else {
        return Vec::new();
    };
    let buckets = if hi > lo { buckets.max(1) } else { 1 };
    let step = (hi - lo) / buckets as f64;
    let mut counts = vec![0u64; buckets];
    for &(v, n) in &finite {
        let i = if step > 0.0 {
            (((v - lo) / step) as usize).min(buckets - 1)
        } else {
            0
        };
        counts[i] += n;
    }
    let most = counts.iter().copied().max().unwrap_or(0) as f64;
    let labels: Vec<String> = (1..=buckets).map(|i| label(lo + step * i as f64)).collect();
    let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let count_width = counts
        .iter()
        .map(|c| c.to_string().len())
        .max()
        .unwrap_or(1);
    labels
        .iter()
        .zip(&counts)
        .map(|(l, &c)| {
            format!(
                "{l:>label_width$} [{c:>count_width$}] |{}",
                bar(c as f64, most, width)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_in_eighths_and_never_hide_a_value() {
        assert_eq!(bar(10.0, 10.0, 4), "████");
        assert_eq!(bar(5.0, 10.0, 4), "██");
        assert_eq!(bar(1.0, 16.0, 4), "▎");
        assert_eq!(bar(0.0001, 10.0, 4), "▏");
        assert_eq!(bar(0.0, 10.0, 4), "");
        assert_eq!(bar(3.0, 0.0, 4), "");
    }

    #[test]
    fn histogram_counts_every_value_once() {
        let values = [10.0, 11.0, 12.0, 19.0, 20.0, 20.0];
        let lines = histogram(&values, 2, 8, |v| format!("{v:.0} ms"));
        assert_eq!(
            lines,
            ["15 ms [3] |████████", "20 ms [3] |████████"].map(String::from)
        );
        let lines = histogram(&values, 5, 10, |v| format!("{v:.0}"));
        let total: usize = lines
            .iter()
            .map(|l| {
                l.split(['[', ']'])
                    .nth(1)
                    .unwrap()
                    .trim()
                    .parse::<usize>()
                    .unwrap()
            })
            .sum();
        assert_eq!(total, values.len());
        // One value, or all equal: one bucket.
        assert_eq!(
            histogram(&[5.0, 5.0], 4, 4, |v| format!("{v}")),
            ["5 [2] |████"]
        );
        assert!(histogram(&[], 4, 4, |v| format!("{v}")).is_empty());
        // Counts: the same picture as the values they stand for.
        assert_eq!(
            histogram_of_counts(
                &[(10.0, 1), (11.0, 1), (12.0, 1), (19.0, 1), (20.0, 2)],
                2,
                8,
                |v| { format!("{v:.0} ms") }
            ),
            histogram(&values, 2, 8, |v| format!("{v:.0} ms"))
        );
    }
}
