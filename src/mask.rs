//! What of a key may be shown: a well-known public prefix and the last four characters.

/// Prefixes that identify a provider's key format and carry no secret.
const PUBLIC_PREFIXES: &[&str] = &[
    "sk-ant-",
    "sk-or-v1-",
    "sk-proj-",
    "sk-",
    "gsk_",
    "xai-",
    "AIza",
];

/// `sk-…wxyz`. Keys too short to spare four characters show none.
pub fn mask(key: &str) -> String {
    let prefix = PUBLIC_PREFIXES
        .iter()
        .find(|p| key.starts_with(**p) && key.len() >= p.len() + 16)
        .copied()
        .unwrap_or("");
    let chars = key.chars().count();
    if chars < 12 {
        return "…".into();
    }
    let tail: String = key.chars().skip(chars - 4).collect();
    format!("{prefix}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn shows_prefix_and_last_four_only() {
        assert_eq!(mask("sk-proj-abcdefghijklmnopqrstuvwxyz"), "sk-proj-…wxyz");
        assert_eq!(mask("sk-ant-api03-abcdefghijklmnopwxyz"), "sk-ant-…wxyz");
        assert_eq!(mask("AIzaSyA1234567890abcdefghij"), "AIza…ghij");
        assert_eq!(mask("0123456789abcdefwxyz"), "…wxyz");
    }

    #[test]
    fn short_keys_show_nothing() {
        assert_eq!(mask("short"), "…");
    }
}
