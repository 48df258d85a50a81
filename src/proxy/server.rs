//! The proxy's HTTP/1.1 server: check the token, swap it for the key, forward, stream back.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::meter::Reader;
use super::{State, Upstream};
use crate::error::Error;
use crate::provider::{ErrorKind, Family};
use crate::store::{FailKind, RunEnd, RunKind, RunStart, RunStatus};

type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// Accept connections until the runtime stops.
pub(super) async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(handle(state, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Headers that belong to one connection, not to the message (RFC 9110 §7.6.1), and the
/// ones the proxy sets itself.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Where the caller may put the token; none of them is forwarded.
const AUTH_HEADERS: &[&str] = &["authorization", "x-api-key", "x-goog-api-key"];

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_owned();
    let Some((up, rest)) = route(&state, &path) else {
        return error(
            Family::OpenAi,
            StatusCode::NOT_FOUND,
            "omc proxy: no provider at this path; use the base URL omc set in the environment",
        );
    };
    let family = up.spec.family;
    if !authorized(&state, req.headers(), req.uri().query()) {
        return error(
            family,
            StatusCode::UNAUTHORIZED,
            "omc proxy: missing or wrong token; use the key omc set in the environment",
        );
    }
    if !allowed(family, rest) {
        return error(
            family,
            StatusCode::NOT_FOUND,
            "omc proxy: this path is not part of the provider's API",
        );
    }
    let (parts, body) = req.into_parts();
    let body = match crate::bounded::request_body(
        body,
        "the request",
        crate::bounded::Limit::PROXY_REQUEST,
    )
    .await
    {
        Ok(b) => b,
        Err(e) => return error(family, StatusCode::PAYLOAD_TOO_LARGE, &e.to_string()),
    };
    let model = request_model(family, rest, &body);
    let reserve = reserve_tokens(&body);
    let run_id = {
        let mut store = state.ledger.lock().unwrap_or_else(|p| p.into_inner());
        let started = store.begin_run(&RunStart {
            profile: &state.profile,
            credential: Some((&up.credential, &up.credential_id)),
            provider: up.spec.id,
            model: model.as_deref().unwrap_or("-"),
            kind: RunKind::Proxy,
            agent: None,
            reserve_tokens: reserve,
        });
        match started {
            Ok((id, _)) => id,
            Err(Error::Limit { message, .. }) => {
                return error(
                    family,
                    StatusCode::TOO_MANY_REQUESTS,
                    &format!("omc: {message}"),
                );
            }
            Err(e) => {
                return error(
                    family,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("omc proxy: cannot record the call: {e}"),
                );
            }
        }
    };
    state.calls.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(method = %parts.method, path = %path, "proxying");
    let url = match upstream_url(up, rest, parts.uri.query()) {
        Ok(u) => u,
        Err(msg) => {
            finish_failed(&state, run_id, ErrorKind::BadRequest);
            return error(family, StatusCode::BAD_REQUEST, &msg);
        }
    };
    let mut headers = forwarded(&parts.headers);
    if let Err(()) = set_key(&mut headers, up) {
        finish_failed(&state, run_id, ErrorKind::Auth);
        return error(
            family,
            StatusCode::INTERNAL_SERVER_ERROR,
            "omc proxy: the stored key cannot be sent in a header",
        );
    }
    let started = Instant::now();
    let sent = state
        .http
        .request(parts.method, url)
        .headers(headers)
        .body(Bytes::from(body.to_vec()))
        .send()
        .await;
    drop(body);
    let answer = match sent {
        Ok(a) => a,
        Err(e) => {
            let kind = if e.is_timeout() {
                ErrorKind::Timeout
            } else {
                ErrorKind::Connection
            };
            finish_failed(&state, run_id, kind);
            return error(
                family,
                StatusCode::BAD_GATEWAY,
                &format!("omc proxy: cannot reach {}: {}", up.spec.id, kind.as_str()),
            );
        }
    };
    let status = answer.status();
    let sse = answer
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/event-stream"));
    let mut response = Response::builder().status(status);
    if let Some(h) = response.headers_mut() {
        *h = without_hop_by_hop(answer.headers(), &[]);
    }
    let meter = Meter {
        state: state.clone(),
        run_id,
        provider: up.spec.id,
        reader: Reader::new(family, sse),
        started,
        ttft_ms: None,
        status: status.as_u16(),
        done: false,
        remaining: answer.content_length(),
    };
    let stream = futures_util::stream::unfold(
        (answer.bytes_stream(), meter),
        |(mut upstream, mut meter)| async move {
            match upstream.next().await {
                Some(Ok(chunk)) => {
                    meter.seen(&chunk);
                    Some((Ok(Frame::data(chunk)), (upstream, meter)))
                }
                Some(Err(e)) => Some((Err(std::io::Error::other(e)), (upstream, meter))),
                None => {
                    meter.ended();
                    None
                }
            }
        },
    );
    response
        .body(StreamBody::new(stream).boxed_unsync())
        .unwrap_or_else(|_| {
            error(
                family,
                StatusCode::BAD_GATEWAY,
                "omc proxy: the provider's answer has headers that cannot be passed on",
            )
        })
}

/// The upstream a path belongs to, and the rest of the path after its prefix.
fn route<'s, 'p>(state: &'s State, path: &'p str) -> Option<(&'s Upstream, &'p str)> {
    let trimmed = path.strip_prefix('/')?;
    let (first, rest) = match trimmed.find('/') {
        Some(i) => (&trimmed[..i], &trimmed[i..]),
        None => (trimmed, ""),
    };
    let up = state.upstreams.iter().find(|u| u.prefix() == first)?;
    Some((up, rest))
}

/// The caller's token, from whichever header (or Gemini's `key` parameter) it came in.
fn authorized(state: &State, headers: &HeaderMap, query: Option<&str>) -> bool {
    let mut given: Vec<&[u8]> = Vec::new();
    for name in AUTH_HEADERS {
        for v in headers.get_all(*name) {
            let v = v.as_bytes();
            let v = if *name == "authorization" {
                match v.get(..7) {
                    Some(p) if p.eq_ignore_ascii_case(b"bearer ") => v[7..].trim_ascii(),
                    _ => continue,
                }
            } else {
                v.trim_ascii()
            };
            given.push(v);
        }
    }
    for pair in query.unwrap_or("").split('&') {
        if let Some(v) = pair.strip_prefix("key=") {
            given.push(v.as_bytes());
        }
    }
    // Every token given must be this one: a second, wrong one is not ignored.
    !given.is_empty() && given.iter().all(|g| state.token.matches(g))
}

/// Paths the family's API has; nothing that could leave the base URL once joined to it.
fn allowed(family: Family, rest: &str) -> bool {
    if !rest.starts_with('/') || rest.contains('\\') || rest.contains("//") {
        return false;
    }
    let lower = rest.to_ascii_lowercase();
    if lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c") {
        return false;
    }
    if rest.split('/').any(|s| s == "." || s == "..") {
        return false;
    }
    match family {
        Family::OpenAi => true,
        Family::Anthropic => rest.starts_with("/v1/"),
        Family::Gemini => {
            rest.starts_with("/v1beta/")
                || rest.starts_with("/v1/")
                || rest.starts_with("/v1alpha/")
        }
        Family::Echo => false,
    }
}

/// `{base}{rest}`, with the query minus any `key` parameter (the token never goes upstream).
fn upstream_url(up: &Upstream, rest: &str, query: Option<&str>) -> Result<reqwest::Url, String> {
    let mut url = format!("{}{rest}", up.base);
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("key="))
        .collect();
    if !kept.is_empty() {
        url.push('?');
        url.push_str(&kept.join("&"));
    }
    reqwest::Url::parse(&url).map_err(|_| "omc proxy: the request's path is not a valid URL".into())
}

/// The request's headers to send on: hop-by-hop ones, the caller's token, `Host`,
/// `Content-Length` (the client sets it) and `Accept-Encoding` (answers are read for usage)
/// dropped.
fn forwarded(headers: &HeaderMap) -> HeaderMap {
    let mut extra: Vec<&str> = AUTH_HEADERS.to_vec();
    extra.extend(["host", "content-length", "accept-encoding"]);
    without_hop_by_hop(headers, &extra)
}

fn without_hop_by_hop(headers: &HeaderMap, extra: &[&str]) -> HeaderMap {
    // Headers the `Connection` header names are hop-by-hop too.
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let n = name.as_str();
        if HOP_BY_HOP.contains(&n) || extra.contains(&n) || named.iter().any(|x| x == n) {
            continue;
        }
        out.append(name.clone(), value.clone());
    }
    out
}

/// The real key, in the header the family's API reads, marked sensitive.
fn set_key(headers: &mut HeaderMap, up: &Upstream) -> Result<(), ()> {
    let key = up.key.expose_secret();
    let (name, value) = match up.spec.family {
        Family::Anthropic => (HeaderName::from_static("x-api-key"), key.to_owned()),
        Family::Gemini => (HeaderName::from_static("x-goog-api-key"), key.to_owned()),
        _ => (header::AUTHORIZATION, format!("Bearer {key}")),
    };
    let mut value = HeaderValue::from_str(&value).map_err(|_| ())?;
    value.set_sensitive(true);
    headers.insert(name, value);
    Ok(())
}

/// The model a request names: `model` in the body, or Gemini's `models/NAME:method` path.
fn request_model(family: Family, rest: &str, body: &[u8]) -> Option<String> {
    if family == Family::Gemini {
        let after = rest.split_once("/models/")?.1;
        return Some(after.split(':').next()?.to_owned());
    }
    let v: Value = serde_json::from_slice(body).ok()?;
    v.get("model")?.as_str().map(str::to_owned)
}

/// What a request may spend at most, counted against the daily token limit until the answer
/// says: the prompt's estimate and its cap on output.
fn reserve_tokens(body: &[u8]) -> u64 {
    if body.is_empty() {
        return 0;
    }
    let cap = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        [
            "/max_tokens",
            "/max_completion_tokens",
            "/max_output_tokens",
            "/generationConfig/maxOutputTokens",
        ]
        .iter()
        .find_map(|p| v.pointer(p)?.as_u64())
    });
    body.len() as u64 / 4 + cap.unwrap_or(u64::from(crate::provider::DEFAULT_MAX_TOKENS))
}

/// An error answer in the family's own format.
fn error(family: Family, status: StatusCode, message: &str) -> Response<Body> {
    let code = status.as_u16();
    let body = match family {
        Family::Anthropic => {
            let kind = match code {
                401 => "authentication_error",
                404 => "not_found_error",
                413 => "request_too_large",
                429 => "rate_limit_error",
                400 => "invalid_request_error",
                _ => "api_error",
            };
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
        Family::Gemini => {
            let kind = match code {
                401 => "UNAUTHENTICATED",
                404 => "NOT_FOUND",
                429 => "RESOURCE_EXHAUSTED",
                400 | 413 => "INVALID_ARGUMENT",
                _ => "UNAVAILABLE",
            };
            json!({"error": {"code": code, "message": message, "status": kind}})
        }
        _ => {
            let (kind, c) = match code {
                401 => ("invalid_request_error", "invalid_api_key"),
                404 => ("invalid_request_error", "not_found"),
                429 => ("requests", "rate_limit_exceeded"),
                400 | 413 => ("invalid_request_error", "invalid_request"),
                _ => ("server_error", "proxy_error"),
            };
            json!({"error": {"message": message, "type": kind, "param": null, "code": c}})
        }
    };
    let mut response = Response::new(
        Full::new(Bytes::from(body.to_string()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn fail_kind(status: u16) -> ErrorKind {
    match status {
        401 | 403 => ErrorKind::Auth,
        404 => ErrorKind::ModelNotFound,
        429 => ErrorKind::RateLimited,
        500.. => ErrorKind::Server,
        _ => ErrorKind::BadRequest,
    }
}

fn finish_failed(state: &State, run_id: i64, kind: ErrorKind) {
    let mut store = state.ledger.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(e) = store.finish_run(run_id, &RunEnd::failed(FailKind::Provider(kind))) {
        tracing::warn!("cannot record a proxied call: {e}");
    }
}

/// Follows one answer as it streams; records the call when the answer ends or is dropped.
struct Meter {
    state: Arc<State>,
    run_id: i64,
    provider: &'static str,
    reader: Reader,
    started: Instant,
    ttft_ms: Option<f64>,
    status: u16,
    done: bool,
    /// Bytes a `Content-Length` answer has still to send: hyper stops polling the body once
    /// they are written, so the stream's end is never seen.
    remaining: Option<u64>,
}

impl Meter {
    /// The whole answer went through; recorded when the meter is dropped.
    fn ended(&mut self) {
        self.done = true;
    }

    fn seen(&mut self, chunk: &[u8]) {
        if self.ttft_ms.is_none() {
            self.ttft_ms = Some(self.started.elapsed().as_secs_f64() * 1000.0);
        }
        self.reader.feed(chunk);
        if let Some(left) = &mut self.remaining {
            *left = left.saturating_sub(chunk.len() as u64);
            if *left == 0 {
                self.done = true;
            }
        }
    }
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.reader.finish();
        let found = &self.reader.found;
        let cost = found.model.as_deref().and_then(|m| {
            let price = self.state.prices.get(self.provider, m)?;
            Some(price.cost(found.input_tokens?, found.output_tokens?))
        });
        let (status, error_kind) = match (self.done, self.status) {
            (true, s) if s < 400 => (RunStatus::Ok, None),
            (true, s) => (RunStatus::Error, Some(FailKind::Provider(fail_kind(s)))),
            (false, _) => (RunStatus::Interrupted, None),
        };
        let end = RunEnd {
            status,
            error_kind,
            model: found.model.as_deref(),
            input_tokens: found.input_tokens,
            output_tokens: found.output_tokens,
            estimated: false,
            ttft_ms: self.ttft_ms,
            latency_ms: Some(self.started.elapsed().as_secs_f64() * 1000.0),
            cost_usd: cost,
        };
        let mut store = self.state.ledger.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = store.finish_run(self.run_id, &end) {
            tracing::warn!("cannot record a proxied call: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_leave_the_base_are_refused() {
        assert!(allowed(Family::OpenAi, "/chat/completions"));
        assert!(allowed(Family::Anthropic, "/v1/messages"));
        assert!(allowed(Family::Gemini, "/v1/models/g:generateContent"));
        assert!(allowed(Family::Gemini, "/v1beta/models"));
        assert!(!allowed(Family::Anthropic, "/v2/anything"));
        assert!(!allowed(Family::OpenAi, "/../admin"));
        assert!(!allowed(Family::OpenAi, "/a/%2E%2E/b"));
        assert!(!allowed(Family::OpenAi, "//evil.example/x"));
        assert!(!allowed(Family::OpenAi, ""));
    }

    #[test]
    fn hop_by_hop_and_auth_headers_are_not_forwarded() {
        let mut h = HeaderMap::new();
        h.insert("connection", HeaderValue::from_static("close, x-private"));
        h.insert("x-private", HeaderValue::from_static("1"));
        h.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        h.insert("authorization", HeaderValue::from_static("Bearer t"));
        h.insert("x-api-key", HeaderValue::from_static("t"));
        h.insert("anthropic-version", HeaderValue::from_static("2023-06-01"));
        let out = forwarded(&h);
        let names: Vec<&str> = out.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, vec!["anthropic-version"]);
    }

    #[test]
    fn a_request_reserves_its_estimate_and_cap() {
        assert_eq!(reserve_tokens(b""), 0);
        let body = br#"{"model":"m","max_tokens":100}"#;
        assert_eq!(reserve_tokens(body), body.len() as u64 / 4 + 100);
        assert_eq!(
            request_model(Family::Gemini, "/v1beta/models/gem-1:generateContent", b""),
            Some("gem-1".into())
        );
        assert_eq!(
            request_model(Family::OpenAi, "/chat/completions", body),
            Some("m".into())
        );
    }
}
