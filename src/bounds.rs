//! Bounds on what omc accepts from outside: keys, model ids and base URLs. Each check refuses
//! with a message that says what is wrong and what is allowed, and never echoes a secret.

use crate::error::{Error, Result};

/// The longest API key omc stores. Real keys are under 200 bytes; 16 KiB leaves room for
/// JWT-style tokens while keeping a pasted file or an endless stdin out.
pub const MAX_KEY_BYTES: usize = 16 * 1024;

/// The longest model id. Real ids (`accounts/fireworks/models/…`, OpenRouter's
/// `vendor/model:variant`) stay well under this.
pub const MAX_MODEL_CHARS: usize = 200;

/// The longest base URL.
pub const MAX_URL_CHARS: usize = 2048;

/// Characters that show as nothing, which never belong in an API key: a byte order mark from a
/// file saved by an editor, zero-width spaces and joiners from a copy out of a web page or chat,
/// soft hyphens, bidi marks and controls, invisible operators, variation selectors and tags.
pub fn invisible_name(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{feff}' => "BYTE ORDER MARK",
        '\u{200b}' => "ZERO WIDTH SPACE",
        '\u{200c}' => "ZERO WIDTH NON-JOINER",
        '\u{200d}' => "ZERO WIDTH JOINER",
        '\u{2060}' => "WORD JOINER",
        '\u{00ad}' => "SOFT HYPHEN",
        '\u{034f}' => "COMBINING GRAPHEME JOINER",
        '\u{061c}' | '\u{200e}' | '\u{200f}' => "bidi mark",
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => "bidi control",
        '\u{180e}' => "MONGOLIAN VOWEL SEPARATOR",
        '\u{2061}'..='\u{2064}' => "invisible operator",
        '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}' => "Hangul filler",
        '\u{fe00}'..='\u{fe0f}' | '\u{e0100}'..='\u{e01ef}' => "variation selector",
        '\u{e0000}'..='\u{e007f}' => "tag character",
        '\u{fff9}'..='\u{fffb}' => "interlinear annotation",
        _ => return None,
    })
}

/// Check a key that has been trimmed: size, whitespace, controls and invisible characters. The
/// error names the character and where it is, never the key.
pub fn check_key(key: &str) -> Result<()> {
    if key.len() > MAX_KEY_BYTES {
        return Err(Error::usage_hint(
            format!(
                "the key is {} bytes long; omc takes at most {MAX_KEY_BYTES}",
                key.len()
            ),
            "give exactly one key, not a file of them",
        ));
    }
    for (i, c) in key.chars().enumerate() {
        if let Some(name) = invisible_name(c) {
            return Err(Error::usage_hint(
                format!(
                    "the key contains an invisible character, U+{:04X} ({name}), at position {}",
                    c as u32,
                    i + 1
                ),
                "it came with the copy, not the key: copy the key again from the provider's page, \
                 or remove the character",
            ));
        }
        if c.is_whitespace() || c.is_control() {
            return Err(Error::usage_hint(
                "the key contains whitespace or control characters",
                "give exactly one key, on one line",
            ));
        }
    }
    Ok(())
}

/// A model id: 1 to [`MAX_MODEL_CHARS`] of ASCII letters, digits and `- _ . : / @ +`, without
/// `..` (Gemini puts the id into the request path).
pub fn check_model(model: &str) -> Result<()> {
    let charset = |c: char| c.is_ascii_alphanumeric() || "-_.:/@+".contains(c);
    let ok = !model.is_empty()
        && model.chars().count() <= MAX_MODEL_CHARS
        && model.chars().all(charset)
        && !model.split('/').any(|seg| seg == "..");
    if ok {
        Ok(())
    } else {
        Err(Error::usage_hint(
            format!("invalid model '{}'", crate::terminal::line(model)),
            format!(
                "a model id is 1 to {MAX_MODEL_CHARS} letters, digits and - _ . : / @ + \
                 (run `omc models` to see the provider's)"
            ),
        ))
    }
}

/// [`check_model`] as a clap value parser, for every `--model` flag.
pub fn parse_model(s: &str) -> std::result::Result<String, String> {
    match check_model(s) {
        Ok(()) => Ok(s.to_owned()),
        Err(e) => Err(format!("{e}\n\n  tip: {}", e.hint().unwrap_or_default())),
    }
}

/// A base URL as it is stored: `http` or `https`, a host, no credentials, query or fragment,
/// without a trailing `/`. Returns the URL as the `url` crate normalises it.
///
/// Credentials in the URL (`http://user:pass@host`) are refused rather than kept: omc would
/// store them unencrypted in `omc.db` and show them in `list` and `env`. A key belongs in the
/// key, encrypted.
pub fn check_base_url(raw: &str) -> Result<String> {
    let bad = |why: &str| {
        Error::usage_hint(
            format!("invalid --base-url '{}': {why}", crate::terminal::line(raw)),
            "give an http:// or https:// URL, e.g. --base-url http://localhost:8000/v1",
        )
    };
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(bad(&format!("longer than {MAX_URL_CHARS} characters")));
    }
    // The url crate drops tabs and newlines silently and trims spaces: refuse them here.
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("it contains spaces or control characters"));
    }
    if let Some(c) = raw.chars().find(|&c| invisible_name(c).is_some()) {
        return Err(bad(&format!(
            "it contains an invisible character, U+{:04X}",
            c as u32
        )));
    }
    let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Never echo the URL itself here: it holds a credential.
        return Err(Error::usage_hint(
            "invalid --base-url: it contains a user name or password (user:pass@), which omc \
             would store unencrypted",
            "give the URL without credentials, and the key with --key-stdin or --key-env",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "it has a query (?…) or fragment (#…); omc appends paths to it",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Whether `url` is plain `http://` to a host other than this machine: anything sent there
/// (a token, a bearer, a header) crosses the network in clear. Loopback stays allowed:
/// `localhost`, `127.0.0.0/8`, `::1` (also as `::ffff:127.x.y.z`). A URL that does not parse
/// as one with a host counts as remote when it says `http:`.
pub fn plain_http_to_remote(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return url
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case("http:"));
    };
    if parsed.scheme() != "http" {
        return false;
    }
    match parsed.host() {
        Some(url::Host::Domain(d)) => !d.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => !ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => {
            !(ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()))
        }
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_invisible_characters_are_refused_by_name() {
        for (key, name) in [
            ("\u{feff}sk-abc", "BYTE ORDER MARK"),
            ("sk-a\u{200b}bc", "ZERO WIDTH SPACE"),
            ("sk-abc\u{2060}", "WORD JOINER"),
            ("sk-\u{00ad}abc", "SOFT HYPHEN"),
            ("sk-abc\u{e0041}", "tag character"),
        ] {
            let err = check_key(key).unwrap_err();
            assert_eq!(err.exit_code(), 2);
            assert!(err.to_string().contains(name), "{err}");
            assert!(!err.to_string().contains("abc"), "never the key: {err}");
        }
        assert!(check_key("sk-proj-AbC_123-xyz").is_ok());
        assert!(check_key(&"k".repeat(MAX_KEY_BYTES)).is_ok());
        let err = check_key(&"k".repeat(MAX_KEY_BYTES + 1)).unwrap_err();
        assert!(err.to_string().contains("at most 16384"), "{err}");
    }

    #[test]
    fn model_ids_have_a_length_and_a_character_set() {
        for good in [
            "gpt-4o",
            "claude-3-5-sonnet-20241022",
            "models/gemini-1.5-pro",
            "meta-llama/llama-3.1-8b-instruct:free",
            "accounts/fireworks/models/llama-v3p1-8b-instruct",
            "llama3.2:latest",
            "org/model@rev+1",
        ] {
            assert!(check_model(good).is_ok(), "{good}");
        }
        let long = "m".repeat(MAX_MODEL_CHARS + 1);
        for bad in [
            "",
            "gpt 4o",
            "x\x1b[2J",
            "a?b",
            "a#b",
            "../../v1/files",
            "models/../x",
            "mod\u{e8}le",
            long.as_str(),
        ] {
            let err = check_model(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn base_urls_are_parsed_and_credentials_refused() {
        for (raw, stored) in [
            ("http://localhost:8000/v1/", "http://localhost:8000/v1"),
            ("https://API.example.com/v1", "https://api.example.com/v1"),
            ("http://127.0.0.1:11434", "http://127.0.0.1:11434"),
            ("http://[::1]:8080/openai/v1", "http://[::1]:8080/openai/v1"),
        ] {
            assert_eq!(check_base_url(raw).unwrap(), stored, "{raw}");
        }
        for bad in [
            "localhost:8000",
            "ftp://example.com",
            "http://exa mple.com",
            " http://example.com",
            "http://example.com/v1\n",
            "http://example.com/\tv1",
            "http://example.com/v1?x=1",
            "http://example.com/v1#frag",
            "http://",
            "http://\u{200b}example.com",
            "file:///etc/passwd",
        ] {
            let err = check_base_url(bad).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
        let err = check_base_url("http://user:CANARYPASS@example.com/v1").unwrap_err();
        assert!(err.to_string().contains("user name or password"), "{err}");
        assert!(
            !format!("{err} {:?}", err.hint()).contains("CANARY"),
            "{err}"
        );
        assert!(check_base_url("https://token@example.com").is_err());
    }

    #[test]
    fn plain_http_is_remote_unless_it_stays_on_this_machine() {
        for remote in [
            "http://10.1.2.3:8200",
            "http://vault.example.com",
            "HTTP://vault.example.com/v1",
            "http://192.168.0.5/mcp",
            "http://[2001:db8::1]:8200",
            "http://localhost.example.com",
            "http://128.0.0.1",
            "http:vault",
        ] {
            assert!(plain_http_to_remote(remote), "{remote}");
        }
        for local in [
            "https://10.1.2.3:8200",
            "https://vault.example.com",
            "http://127.0.0.1:8200",
            "http://127.1.2.3/mcp",
            "http://localhost:8200",
            "http://LOCALHOST.:1",
            "http://[::1]:8200",
            "http://[::ffff:127.0.0.1]:1",
        ] {
            assert!(!plain_http_to_remote(local), "{local}");
        }
    }
}
