//! What the HTTP families share: a prepared request, the reply as it accumulates, and the
//! mapping of HTTP statuses to [`ErrorKind`].

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use super::types::{ErrorKind, ProviderError};

/// A request ready to send, built once and re-sent as is on each retry.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub method: Method,
    /// Never carries the key (Gemini included): it is logged.
    pub url: String,
    /// Carries the key; never logged. The key's value is marked sensitive.
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
}

impl Prepared {
    pub fn get(url: String, headers: HeaderMap) -> Self {
        Prepared {
            method: Method::GET,
            url,
            headers,
            body: None,
        }
    }

    pub fn post_json(url: String, mut headers: HeaderMap, body: &serde_json::Value) -> Self {
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Prepared {
            method: Method::POST,
            url,
            headers,
            // Serialising a Value cannot fail: its keys are strings.
            body: Some(serde_json::to_vec(body).unwrap_or_default()),
        }
    }
}

/// A header carrying the key, marked sensitive so hyper never prints it.
pub(crate) fn key_header(
    headers: &mut HeaderMap,
    name: &'static str,
    prefix: &str,
    key: &SecretString,
) -> Result<(), ProviderError> {
    let key = key.expose_secret().trim();
    if key.is_empty() {
        // Local OpenAI-compatible servers (ollama) take no key; sending an empty one helps nobody.
        return Ok(());
    }
    let mut value = HeaderValue::from_str(&format!("{prefix}{key}")).map_err(|_| {
        error(
            ErrorKind::BadRequest,
            None,
            "the key contains characters that cannot be sent in an HTTP header",
        )
    })?;
    value.set_sensitive(true);
    headers.insert(HeaderName::from_static(name), value);
    Ok(())
}

/// The reply as it is parsed, streamed or not.
#[derive(Debug, Default)]
pub(crate) struct Accum {
    pub text: String,
    pub model: Option<String>,
    pub finish_reason: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// The family's end-of-stream marker arrived (`[DONE]`, `message_stop`).
    pub done: bool,
}

impl Accum {
    /// Whether a stream that ends now ended properly rather than being cut off.
    pub fn complete(&self) -> bool {
        self.done || self.finish_reason.is_some()
    }
}

pub(crate) fn error(
    kind: ErrorKind,
    status: Option<u16>,
    message: impl Into<String>,
) -> ProviderError {
    ProviderError {
        kind,
        status,
        message: message.into(),
        attempts: 1,
        request_id: None,
    }
}

pub(crate) fn malformed(what: &str, e: impl std::fmt::Display) -> ProviderError {
    error(ErrorKind::Malformed, None, format!("malformed {what}: {e}"))
}

/// Statuses worth another attempt: rate limits, transient server trouble, Anthropic's 529.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504 | 529)
}

/// The kind an HTTP status means when the body says nothing more specific.
pub(crate) fn kind_for_status(status: u16) -> ErrorKind {
    match status {
        401 | 403 => ErrorKind::Auth,
        408 => ErrorKind::Timeout,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        400..=499 => ErrorKind::BadRequest,
        _ => ErrorKind::Malformed,
    }
}

/// The provider's words when its error body is not the documented JSON: the body itself (HTML
/// from a proxy, plain text), or the status's name when empty. Redacted and cut later.
pub(crate) fn fallback_message(status: u16, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("no reason given")
            .to_owned()
    } else {
        text.to_owned()
    }
}
