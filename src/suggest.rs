//! "Did you mean …?": the nearest known word to a mistyped one, for subcommands, provider ids
//! and credential names alike.

/// The candidate closest to `word`, when one is close. A candidate that `word` starts
/// (`ad` → `add`) wins, the shortest first; otherwise the one at the smallest edit distance, at
/// most one edit per four characters (at least one), a swapped pair counting as one edit.
pub fn nearest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.trim().to_lowercase();
    if word.is_empty() {
        return None;
    }
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if word.chars().count() >= 2
        && let Some(prefixed) = candidates
            .iter()
            .filter(|c| c.len() > word.len() && c.to_lowercase().starts_with(&word))
            .min_by_key(|c| (c.len(), **c))
    {
        return Some(prefixed);
    }
    candidates
        .into_iter()
        .map(|known| (edit_distance(&word, &known.to_lowercase()), known))
        .filter(|(d, known)| *d > 0 && *d <= 1.max(known.chars().count() / 4))
        .min_by_key(|(d, known)| (*d, *known))
        .map(|(_, known)| known)
}

/// Optimal string alignment distance: insertions, deletions, substitutions, transpositions.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMMANDS: [&str; 8] = [
        "add", "agent", "audit", "run", "rotate", "validate", "list", "lock",
    ];

    #[test]
    fn a_prefix_wins_then_the_nearest_spelling() {
        assert_eq!(nearest("ad", COMMANDS), Some("add"));
        assert_eq!(nearest("rn", COMMANDS), Some("run"));
        assert_eq!(nearest("rnu", COMMANDS), Some("run"));
        assert_eq!(nearest("lsit", COMMANDS), Some("list"));
        assert_eq!(nearest("ro", COMMANDS), Some("rotate"));
        assert_eq!(nearest("zzz", COMMANDS), None);
        assert_eq!(
            nearest("run", COMMANDS),
            None,
            "an exact word needs no suggestion"
        );
        assert_eq!(nearest("ech", ["echo", "openai"]), Some("echo"));
        assert_eq!(nearest("opnai", ["echo", "openai"]), Some("openai"));
    }
}
