//! The per-run token a proxied program holds instead of the key.

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

/// What every token starts with, so one found in a log is recognisable (and not a key).
const PREFIX: &str = "omc-proxy-";

/// A random token, made fresh for each run and never stored.
pub struct Token(SecretString);

impl Token {
    /// 32 bytes from the operating system's generator, as hex.
    pub fn generate() -> Token {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(bytes.as_mut());
        let mut text = String::with_capacity(PREFIX.len() + 64);
        text.push_str(PREFIX);
        for b in bytes.iter() {
            text.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            text.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        }
        Token(SecretString::from(text))
    }

    /// The token, to hand to the program.
    pub fn secret(&self) -> &SecretString {
        &self.0
    }

    /// Whether `given` is this token, in time that does not depend on where they differ.
    pub fn matches(&self, given: &[u8]) -> bool {
        constant_time_eq(self.0.expose_secret().as_bytes(), given)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(..)")
    }
}

/// Equal bytes, compared without an early exit (the length is not secret: every token has the
/// same one).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_long_and_match_only_themselves() {
        let a = Token::generate();
        let b = Token::generate();
        let text = a.secret().expose_secret();
        assert!(text.starts_with(PREFIX));
        assert_eq!(text.len(), PREFIX.len() + 64);
        assert_ne!(text, b.secret().expose_secret());
        assert!(a.matches(text.as_bytes()));
        assert!(!a.matches(b.secret().expose_secret().as_bytes()));
        assert!(!a.matches(&text.as_bytes()[..text.len() - 1]));
        assert!(!a.matches(b""));
        assert_eq!(format!("{a:?}"), "Token(..)");
    }
}
