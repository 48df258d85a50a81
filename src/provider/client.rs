//! The HTTP client every family shares: timeouts, retries, streaming with read-time stamps, and
//! error mapping. The families (`openai`, `anthropic`, `gemini`) only build requests and parse
//! replies; this module does the I/O.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};

use super::conversation::{Message, Part, Role};
use super::types::{
    ChatRequest, ChatResponse, Delta, ErrorKind, Event, ProviderError, Timing, Usage,
};
use super::wire::{self, Accum, Prepared, Wire};
use super::{ProviderSpec, direct, echo, redact, sse};

const USER_AGENT: &str = concat!("omc/", env!("CARGO_PKG_VERSION"));
/// Longest wait a `Retry-After` can impose; a provider asking for minutes gets an error instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Longest exponential backoff step.
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Error bodies are small; anything bigger is cut rather than buffered.
const MAX_ERROR_BODY: usize = 64 * 1024;
/// Provider messages shown to the user are cut to this many characters.
const MAX_MESSAGE_CHARS: usize = 300;
/// An unstreamed reply (a model list, a whole answer) larger than this is refused: an endless
/// body must not grow omc's memory. OpenRouter's full model list is about 1 MiB.
pub const MAX_BODY: usize = 32 * 1024 * 1024;
/// A streamed reply past this many bytes is cut off with an error, for the same reason.
pub const MAX_STREAM_BYTES: usize = 64 * 1024 * 1024;

/// How patient the client is.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// To establish a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest silence between two reads, response headers included. Unstreamed replies say
    /// nothing until the whole answer is generated, so this is generous by default. `None`:
    /// no timer reset on every read, for a caller whose `total_timeout` bounds each request
    /// anyway (a benchmark, where that timer is a measurable share of the client's work).
    pub read_timeout: Option<Duration>,
    /// Deadline for a whole call, retries and backoff included.
    pub total_timeout: Option<Duration>,
    /// Retries after the first attempt (0: exactly one, at every layer).
    pub max_retries: u32,
    /// First backoff step; doubled each retry, with jitter.
    pub backoff_base: Duration,
    /// Whether any request may go over https. Loading the platform's trust roots reads every
    /// file in the system certificate directory (milliseconds); a client that only talks to
    /// plain-http endpoints (a local server, the echo provider) skips it and refuses https.
    pub tls: bool,
    /// Send chat requests to plain-`http` URLs through omc's lean HTTP/1.1 path (hyper's
    /// connection API and a small keep-alive pool) instead of reqwest's stack. For a benchmark,
    /// whose capacity against a local server is the client's own work per request; everything
    /// else (https, model lists) still goes through reqwest. See `direct.rs`.
    pub lean_http: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Some(Duration::from_secs(120)),
            total_timeout: None,
            max_retries: 2,
            backoff_base: Duration::from_millis(250),
            tls: true,
            lean_http: false,
        }
    }
}

/// Where a call goes and with which key.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub spec: &'static ProviderSpec,
    /// The credential's own base URL, else the provider's default.
    pub base_url: Option<&'a str>,
    pub key: &'a SecretString,
}

/// A provider client. Cheap to clone; clones share one connection pool, so a benchmark reuses
/// keep-alive connections across requests.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    /// With [`ClientOptions::lean_http`]: the lean path's keep-alive connections.
    direct: Option<std::sync::Arc<direct::Pool>>,
    opts: ClientOptions,
}

/// A chat request built for the wire once, by [`Client::prepare`]. Its headers carry the key
/// (marked sensitive, never logged); freed memory is wiped when it is dropped.
pub struct PreparedChat {
    /// `None` for the echo provider, which has no wire.
    http: Option<(&'static dyn Wire, Prepared)>,
}

/// One failed attempt, and whether another may follow.
struct Failure {
    error: ProviderError,
    retry: bool,
    retry_after: Option<Duration>,
}

impl Failure {
    fn fatal(error: ProviderError) -> Self {
        Failure {
            error,
            retry: false,
            retry_after: None,
        }
    }
}

impl Client {
    pub fn new(opts: ClientOptions) -> Result<Client, ProviderError> {
        let mut builder = reqwest::Client::builder();
        if !opts.tls {
            builder = builder.tls_certs_only(Vec::<reqwest::Certificate>::new());
        }
        if let Some(t) = opts.read_timeout {
            builder = builder.read_timeout(t);
        }
        if opts.max_retries == 0 {
            // One attempt means one at the HTTP layer too. reqwest's own retry layer resends
            // only requests an HTTP/2 server refused (omc speaks HTTP/1.1), yet copies every
            // request's headers in case it has to; a benchmark sends thousands.
            builder = builder.retry(reqwest::retry::never().max_retries_per_request(0));
        }
        let http = builder
            .user_agent(USER_AGENT)
            .connect_timeout(opts.connect_timeout)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(60))
            // A redirect would resend the key to wherever it points.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| wire::error(ErrorKind::Connection, None, chain(&e)))?;
        // reqwest sends through a proxy named in the environment; the lean path knows none, so
        // with one configured every request keeps to reqwest.
        let proxied = http_proxy_configured(|name| std::env::var_os(name));
        let direct = (opts.lean_http && !proxied).then(|| direct::Pool::new(USER_AGENT));
        Ok(Client { http, direct, opts })
    }

    /// The HTTP client underneath (redirects off), for `omc exec --proxy`, which forwards
    /// requests as they are.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn options(&self) -> &ClientOptions {
        &self.opts
    }

    /// Sends one chat request. When `req.stream`, `on_delta` gets each non-empty piece of text as
    /// it arrives; otherwise it gets the whole text once. Timings describe the attempt that
    /// succeeded. Tool calls are in the response; [`Client::converse`] also streams them.
    pub async fn chat(
        &self,
        target: &Target<'_>,
        req: &ChatRequest,
        on_delta: &mut (dyn FnMut(Delta<'_>) + Send),
    ) -> Result<ChatResponse, ProviderError> {
        self.converse(target, req, &mut |e: Event<'_>| {
            if let Event::Text(d) = e {
                on_delta(d);
            }
        })
        .await
    }

    /// Sends a conversation and the tools the model may call; `on_event` gets each piece of
    /// text as it is read and each tool call once its arguments are complete (unstreamed: the
    /// whole text once, then the calls). The response's `message` is the assistant turn to
    /// append to the conversation. A conversation that breaks the tool rules
    /// ([`super::Conversation::check`]) is refused before anything is sent.
    pub async fn converse(
        &self,
        target: &Target<'_>,
        req: &ChatRequest,
        on_event: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<ChatResponse, ProviderError> {
        let prepared = self.prepare(target, req)?;
        self.send_prepared(target, &prepared, req, on_event).await
    }

    /// Checks `req` and builds what goes on the wire for it once (body serialised, URL parsed,
    /// the key's header made), for [`Client::send_prepared`] to send as many times as it
    /// likes: a benchmark sends each target × prompt thousands of times.
    pub fn prepare(
        &self,
        target: &Target<'_>,
        req: &ChatRequest,
    ) -> Result<PreparedChat, ProviderError> {
        let prepare = || {
            req.conversation.check()?;
            // A type or size the provider does not take is refused here, not with its 400.
            if let Some((message, hint)) =
                crate::attach::refusal(target.spec, &req.model, &req.conversation)
            {
                return Err(wire::error(
                    ErrorKind::BadRequest,
                    None,
                    format!("{message} ({hint})"),
                ));
            }
            Ok(match target.spec.family.wire() {
                None => PreparedChat { http: None },
                Some(wire) => PreparedChat {
                    http: Some((wire, wire.chat_request(base_url(target)?, target.key, req)?)),
                },
            })
        };
        prepare().map_err(|e| scrub(e, target.key))
    }

    /// Sends what [`Client::prepare`] built for `req` and `target`, as [`Client::converse`]
    /// does.
    pub async fn send_prepared(
        &self,
        target: &Target<'_>,
        prepared: &PreparedChat,
        req: &ChatRequest,
        on_event: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<ChatResponse, ProviderError> {
        let result = match &prepared.http {
            // The offline provider honours --timeout too, so a script's timeout handling can
            // be dry-run (OMC_ECHO_DELAY makes it slow).
            None => match self.opts.total_timeout {
                Some(limit) => {
                    tokio::time::timeout(limit, echo::chat(target.base_url, req, on_event))
                        .await
                        .unwrap_or_else(|_| {
                            Err(wire::error(
                                ErrorKind::Timeout,
                                None,
                                "timed out: no reply within the time limit",
                            ))
                        })
                }
                None => echo::chat(target.base_url, req, on_event).await,
            },
            Some((wire, p)) => self.chat_inner(*wire, p, req, on_event).await,
        };
        match result {
            Ok(mut resp) => {
                resp.request_id = scrub_id(resp.request_id, target.key);
                Ok(resp)
            }
            Err(e) => Err(scrub(e, target.key)),
        }
    }

    /// The call that spends no tokens: lists the models the key can use. Validation uses it.
    pub async fn list_models(&self, target: &Target<'_>) -> Result<Vec<String>, ProviderError> {
        let result = self.list_models_inner(target).await;
        result.map_err(|e| scrub(e, target.key))
    }

    async fn chat_inner(
        &self,
        wire: &dyn Wire,
        prepared: &Prepared,
        req: &ChatRequest,
        on_event: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<ChatResponse, ProviderError> {
        let deadline = self.opts.total_timeout.map(|t| Instant::now() + t);
        let mut attempt = 1;
        loop {
            match self
                .chat_once(wire, prepared, req, deadline, on_event)
                .await
            {
                Ok(resp) => return Ok(resp),
                Err(f) => self.wait_or_give_up(f, attempt, deadline).await?,
            }
            attempt += 1;
        }
    }

    async fn list_models_inner(&self, target: &Target<'_>) -> Result<Vec<String>, ProviderError> {
        let Some(wire) = target.spec.family.wire() else {
            return Ok(echo::MODELS.iter().map(|m| (*m).to_owned()).collect());
        };
        let prepared = wire.models_request(base_url(target)?, target.key)?;
        let deadline = self.opts.total_timeout.map(|t| Instant::now() + t);
        let mut attempt = 1;
        loop {
            let once = async {
                let (reply, _) = self.send(wire, &prepared, deadline).await?;
                let body = read_body(reply, MAX_BODY).await?;
                wire.parse_models(&body).map_err(Failure::fatal)
            };
            match once.await {
                Ok(models) => return Ok(models),
                Err(f) => self.wait_or_give_up(f, attempt, deadline).await?,
            }
            attempt += 1;
        }
    }

    /// After failed attempt number `attempt`: sleeps before the next one, or returns the error
    /// (with the attempt count) when retrying is not allowed, exhausted, or past the deadline.
    async fn wait_or_give_up(
        &self,
        f: Failure,
        attempt: u32,
        deadline: Option<Instant>,
    ) -> Result<(), ProviderError> {
        let give_up = |f: Failure| ProviderError {
            attempts: attempt,
            ..f.error
        };
        if !f.retry || attempt > self.opts.max_retries {
            return Err(give_up(f));
        }
        let delay = match f.retry_after {
            Some(d) if d > MAX_RETRY_AFTER => return Err(give_up(f)),
            Some(d) => d,
            None => backoff(self.opts.backoff_base, attempt),
        };
        if deadline.is_some_and(|d| Instant::now() + delay >= d) {
            return Err(give_up(f));
        }
        tracing::debug!(
            attempt,
            kind = ?f.error.kind,
            status = f.error.status,
            delay_ms = delay.as_millis() as u64,
            "retrying provider request"
        );
        tokio::time::sleep(delay).await;
        Ok(())
    }

    /// Sends `p` and returns a successful response, or the failure an error status means.
    /// The second value is when the request was sent.
    async fn send(
        &self,
        wire: &dyn Wire,
        p: &Prepared,
        deadline: Option<Instant>,
    ) -> Result<(Reply, Instant), Failure> {
        let left = match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Failure::fatal(wire::error(
                        ErrorKind::Timeout,
                        None,
                        "the total timeout passed before the request could be sent",
                    )));
                }
                Some(left)
            }
            None => None,
        };
        let started = Instant::now();
        // The URL never carries the key; headers, which do, are never logged.
        tracing::debug!(method = %p.method, url = %p.url, "provider request");
        let reply = match &self.direct {
            Some(pool) if p.url.scheme() == "http" => {
                let limits = direct::Limits {
                    connect: self.opts.connect_timeout,
                    read: self.opts.read_timeout,
                    deadline,
                };
                Reply::Direct(
                    direct::send(pool, p, limits)
                        .await
                        .map_err(|f| direct_failure(f, true))?,
                )
            }
            _ => {
                // Built whole rather than through a RequestBuilder, which would merge the
                // headers into an empty map one by one: the prepared ones are copied once, the
                // body shared.
                let mut request = reqwest::Request::new(p.method.clone(), p.url.clone());
                *request.headers_mut() = p.headers.clone();
                *request.body_mut() = p.body.clone().map(reqwest::Body::from);
                *request.timeout_mut() = left;
                Reply::Pooled(
                    self.http
                        .execute(request)
                        .await
                        .map_err(|e| transport(&e, true))?,
                )
            }
        };
        let status = reply.status();
        tracing::debug!(
            status,
            elapsed_ms = started.elapsed().as_secs_f64() * 1e3,
            "provider response headers"
        );
        if (200..300).contains(&status) {
            return Ok((reply, started));
        }
        let retry_after = retry_after(reply.headers());
        let request_id = request_id(reply.headers());
        let body = read_capped(reply, MAX_ERROR_BODY).await;
        let mut error = wire.classify(status, &body);
        error.request_id = request_id;
        tracing::trace!(status, kind = ?error.kind, "provider error reply");
        Err(Failure {
            retry: wire::retryable_status(status),
            retry_after,
            error,
        })
    }

    async fn chat_once(
        &self,
        wire: &dyn Wire,
        p: &Prepared,
        req: &ChatRequest,
        deadline: Option<Instant>,
        on_event: &mut (dyn FnMut(Event<'_>) + Send),
    ) -> Result<ChatResponse, Failure> {
        let (reply, started) = self.send(wire, p, deadline).await?;
        let request_id = request_id(reply.headers());
        let streamed = req.stream && is_event_stream(reply.headers());
        let mut acc = Accum::new(req.conversation.messages.len());
        let mut timing = Timing::default();
        if streamed {
            let chunks = reply.chunks();
            read_events(wire, chunks, started, &mut acc, &mut timing, on_event).await?;
        } else {
            // A server that ignores `stream: true` and answers in one piece is still answered.
            let body = read_body(reply, MAX_BODY).await?;
            let at = Instant::now();
            wire.parse_reply(&body, &mut acc).map_err(Failure::fatal)?;
            acc.finish_calls();
            if !acc.text.is_empty() || acc.has_calls() {
                timing.delta(at);
            }
            if !acc.text.is_empty() {
                on_event(Event::Text(Delta {
                    text: &acc.text,
                    at,
                }));
            }
            emit_calls(&mut acc, at, on_event);
        }
        Ok(response(
            wire, acc, req, started, timing, streamed, request_id,
        ))
    }
}

/// The finished reply, as the caller sees it: the family's finish reason in omc's terms, and
/// usage with what the provider left out estimated.
fn response(
    wire: &dyn Wire,
    mut acc: Accum,
    req: &ChatRequest,
    started: Instant,
    timing: Timing,
    streamed: bool,
    request_id: Option<String>,
) -> ChatResponse {
    let finished = Instant::now();
    tracing::debug!(
        streamed,
        chunks = timing.chunks,
        ttft_ms = timing.first.map(|t| (t - started).as_secs_f64() * 1e3),
        latency_ms = (finished - started).as_secs_f64() * 1e3,
        "provider reply complete"
    );
    let finish = acc
        .finish_reason
        .as_deref()
        .map(|raw| wire.finish_reason(raw, &acc));
    ChatResponse {
        usage: usage(&acc, req),
        model: acc.model.take().unwrap_or_else(|| req.model.clone()),
        message: Message {
            role: Role::Assistant,
            parts: std::mem::take(&mut acc.parts),
        },
        text: acc.text,
        finish,
        finish_reason: acc.finish_reason,
        started,
        first_token: timing.first,
        last_token: timing.last,
        finished,
        chunks: timing.chunks,
        streamed,
        gaps: timing.gaps,
        request_id,
    }
}

/// The streamed branch of [`Client::chat_once`] after the response headers, over byte chunks
/// given by the caller: what the property tests (`fuzz.rs`) drive.
#[cfg(test)]
pub(super) async fn fold_chunks(
    wire: &dyn Wire,
    chunks: &[&[u8]],
    req: &ChatRequest,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> Result<ChatResponse, ProviderError> {
    let started = Instant::now();
    let mut acc = Accum::new(req.conversation.messages.len());
    let mut timing = Timing::default();
    let bytes = futures_util::stream::iter(chunks.iter().map(Ok::<_, Failure>));
    read_events(wire, bytes, started, &mut acc, &mut timing, on_event)
        .await
        .map_err(|f| f.error)?;
    Ok(response(wire, acc, req, started, timing, true, None))
}

/// Hands each tool call completed since the last look to `on_event`.
fn emit_calls(acc: &mut Accum, at: Instant, on_event: &mut (dyn FnMut(Event<'_>) + Send)) {
    for i in acc.take_completed() {
        if let Some(Part::ToolCall(call)) = acc.parts.get(i) {
            on_event(Event::ToolCall { call, at });
        }
    }
}

/// Reads a server-sent event stream to its end, folding events into `acc` and handing each
/// non-empty piece of text and each completed tool call to `on_event`, stamped with when its
/// bytes were read. Over any stream of byte chunks: the response body in production, chunks
/// cut at will in the property tests (`fuzz.rs`).
async fn read_events<B: AsRef<[u8]>>(
    wire: &dyn Wire,
    bytes: impl futures_util::Stream<Item = Result<B, Failure>>,
    started: Instant,
    acc: &mut Accum,
    timing: &mut Timing,
    on_event: &mut (dyn FnMut(Event<'_>) + Send),
) -> Result<(), Failure> {
    let mut bytes = std::pin::pin!(bytes);
    let mut decoder = sse::Decoder::default();
    let mut total = 0usize;
    let mut at = started;
    while let Some(chunk) = bytes.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            // Whatever follows the end marker (a connection cut before the last chunk) is moot.
            Err(_) if acc.done => break,
            Err(f) => return Err(Failure::fatal(f.error)),
        };
        let chunk = chunk.as_ref();
        // An endless stream (or one endless line, which the decoder would buffer) stops at the
        // cap.
        total = total.saturating_add(chunk.len());
        if total > MAX_STREAM_BYTES {
            if acc.done {
                break;
            }
            return Err(Failure::fatal(wire::error(
                ErrorKind::Malformed,
                None,
                format!(
                    "the streamed reply passed {} MiB without ending; omc stopped reading",
                    MAX_STREAM_BYTES >> 20
                ),
            )));
        }
        if acc.done {
            // Drained rather than dropped, so the connection goes back to the pool.
            continue;
        }
        // The stamp is taken as each chunk comes off the socket, before any parsing, so parse
        // time never counts as network time. Events parsed from a chunk carry that chunk's
        // stamp; an event split over several chunks carries the stamp of the chunk that
        // completed it.
        at = Instant::now();
        decoder.feed(chunk);
        while let Some(data) = decoder.next_event() {
            let data = data.map_err(|e| Failure::fatal(wire::malformed("event stream", e)))?;
            let before = acc.text.len();
            let content = acc.content;
            if let Err(error) = wire.on_event(data, acc) {
                // An error event before any content is as good as an error status: worth a retry.
                let retry = timing.chunks == 0
                    && matches!(error.kind, ErrorKind::Server | ErrorKind::RateLimited);
                return Err(Failure {
                    error,
                    retry,
                    retry_after: None,
                });
            }
            if acc.content > content {
                timing.delta(at);
            }
            if acc.text.len() > before {
                on_event(Event::Text(Delta {
                    text: &acc.text[before..],
                    at,
                }));
            }
            emit_calls(acc, at, on_event);
            if acc.done {
                break;
            }
        }
    }
    if !acc.complete() {
        let message = match acc.open_calls().last() {
            Some(c) => format!(
                "stream ended inside tool call '{}' ({}): the connection closed before its arguments were complete",
                c.name, c.id
            ),
            None => {
                "stream ended early: the connection closed before the reply was complete".into()
            }
        };
        return Err(Failure::fatal(wire::error(
            ErrorKind::Connection,
            None,
            message,
        )));
    }
    acc.finish_calls();
    emit_calls(acc, at, on_event);
    Ok(())
}

fn base_url<'a>(target: &Target<'a>) -> Result<&'a str, ProviderError> {
    target.spec.base_url(target.base_url).ok_or_else(|| {
        wire::error(
            ErrorKind::BadRequest,
            None,
            format!(
                "provider '{}' needs a base URL (--base-url)",
                target.spec.id
            ),
        )
    })
}

fn is_event_stream(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"))
}

/// The error a transport failure means. Only failures before any response byte are retried:
/// after that the provider may already have done (and billed) the work.
fn transport(e: &reqwest::Error, before_response: bool) -> Failure {
    let (kind, what) = if e.is_timeout() {
        (ErrorKind::Timeout, "timed out")
    } else if e.is_connect() {
        (ErrorKind::Connection, "could not connect")
    } else if e.is_builder() {
        (ErrorKind::BadRequest, "invalid request")
    } else if before_response {
        (ErrorKind::Connection, "connection failed")
    } else {
        (ErrorKind::Connection, "connection dropped mid-reply")
    };
    Failure {
        error: wire::error(kind, None, format!("{what}: {}", chain(e))),
        retry: before_response && matches!(kind, ErrorKind::Timeout | ErrorKind::Connection),
        retry_after: None,
    }
}

/// Whether the environment names a proxy for plain-`http` requests, as reqwest reads it
/// (`http_proxy`, `all_proxy`, either case; an empty value is none).
fn http_proxy_configured(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
        .iter()
        .any(|name| var(name).is_some_and(|v| !v.is_empty()))
}

/// The error a failure of the lean path means, as [`transport`] does for reqwest's.
fn direct_failure(f: direct::Failed, before_response: bool) -> Failure {
    let (kind, message) = match f {
        direct::Failed::Timeout => (
            ErrorKind::Timeout,
            "timed out: no reply within the time limit".to_owned(),
        ),
        direct::Failed::Connect(m) => (ErrorKind::Connection, format!("could not connect: {m}")),
        direct::Failed::Io(m) if before_response => {
            (ErrorKind::Connection, format!("connection failed: {m}"))
        }
        direct::Failed::Io(m) => (
            ErrorKind::Connection,
            format!("connection dropped mid-reply: {m}"),
        ),
    };
    Failure {
        error: wire::error(kind, None, message),
        retry: before_response,
        retry_after: None,
    }
}

/// A reply whose headers have arrived, from either transport.
enum Reply {
    Pooled(reqwest::Response),
    Direct(direct::Reply),
}

impl Reply {
    fn status(&self) -> u16 {
        match self {
            Reply::Pooled(r) => r.status().as_u16(),
            Reply::Direct(r) => r.status(),
        }
    }

    fn headers(&self) -> &reqwest::header::HeaderMap {
        match self {
            Reply::Pooled(r) => r.headers(),
            Reply::Direct(r) => r.headers(),
        }
    }

    /// The body, chunk by chunk as it is read; a failure here is one mid-reply.
    fn chunks(self) -> impl futures_util::Stream<Item = Result<bytes::Bytes, Failure>> {
        use futures_util::future::Either;
        match self {
            Reply::Pooled(r) => Either::Left(
                r.bytes_stream()
                    .map(|c| c.map_err(|e| transport(&e, false))),
            ),
            Reply::Direct(r) => Either::Right(
                r.into_body()
                    .map(|c| c.map_err(|f| direct_failure(f, false))),
            ),
        }
    }
}

/// An error and its causes, which is where "connection refused" actually is.
pub(super) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// A whole unstreamed body, refused past `cap` bytes rather than buffered without end. (The
/// total timeout, when set, bounds how long this may take.)
async fn read_body(reply: Reply, cap: usize) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    let mut chunks = std::pin::pin!(reply.chunks());
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > cap {
            return Err(Failure::fatal(wire::error(
                ErrorKind::Malformed,
                None,
                format!(
                    "the reply is larger than {} MiB; omc stopped reading",
                    cap >> 20
                ),
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn read_capped(reply: Reply, cap: usize) -> Vec<u8> {
    let mut body = Vec::new();
    let mut chunks = std::pin::pin!(reply.chunks());
    // A body that fails half-way still says something; whatever arrived is used.
    while let Some(Ok(chunk)) = chunks.next().await {
        body.extend_from_slice(&chunk);
        if body.len() >= cap {
            body.truncate(cap);
            break;
        }
    }
    body
}

/// `retry-after-ms` (OpenAI), or `retry-after` in seconds or as an HTTP date (RFC 9110 §10.2.3;
/// a date already past means "now").
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    retry_after_at(headers, std::time::SystemTime::now())
}

fn retry_after_at(
    headers: &reqwest::header::HeaderMap,
    now: std::time::SystemTime,
) -> Option<Duration> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = get("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return Duration::try_from_secs_f64(ms / 1e3).ok();
    }
    let value = get("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The provider's id for a request: OpenAI and most compatible servers send `x-request-id`,
/// Anthropic `request-id`. Only a short printable token is kept, so a hostile server cannot put
/// arbitrary text into records and messages.
fn request_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    ["x-request-id", "request-id"]
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .map(str::trim)
        .find(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
}

/// Exponential backoff with jitter: step n is base·2ⁿ⁻¹, scaled by a random 50–100% so that
/// clients throttled together do not retry together.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let step = base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(MAX_BACKOFF);
    step.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
}

/// Provider-reported usage; what the provider left out is estimated (and flagged).
fn usage(acc: &Accum, req: &ChatRequest) -> Usage {
    let mut estimated = false;
    let mut or_estimate = |reported: Option<u64>, text: &str| {
        reported.or_else(|| {
            estimated = true;
            Some(estimate_tokens(text))
        })
    };
    let prompt_chars = req.conversation.text_for_estimate();
    let input_tokens = or_estimate(acc.input_tokens, &prompt_chars);
    let mut reply_chars = acc.text.clone();
    for p in &acc.parts {
        if let Part::ToolCall(c) = p {
            reply_chars.push_str(&c.name);
            reply_chars.push_str(&c.arguments_text());
        }
    }
    let output_tokens = or_estimate(acc.output_tokens, &reply_chars);
    Usage {
        input_tokens,
        output_tokens,
        estimated,
    }
}

/// About four characters per token for English text; at least one for any text at all.
pub fn estimate_tokens(text: &str) -> u64 {
    let chars = text.chars().count() as u64;
    if chars == 0 {
        0
    } else {
        chars.div_ceil(4).max(1)
    }
}

/// The message made safe to show: the key and anything key-shaped removed, and cut short.
fn scrub(mut e: ProviderError, key: &SecretString) -> ProviderError {
    let clean = redact::redact(&e.message, Some(key.expose_secret()));
    e.message = redact::truncate(clean.trim(), MAX_MESSAGE_CHARS);
    e.request_id = scrub_id(e.request_id.take(), key);
    e
}

/// A request id is the server's to choose: one that carries the key is dropped rather than
/// shown or stored. (Real ids are long random tokens, `req_` and 32 hex digits at OpenAI, so the
/// key-shape heuristics of [`redact::redact`] would drop them all.)
fn scrub_id(id: Option<String>, key: &SecretString) -> Option<String> {
    let key = key.expose_secret().trim();
    id.filter(|id| !redact::contains_secret(id, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(100);
        for _ in 0..50 {
            let b1 = backoff(base, 1);
            assert!(b1 >= Duration::from_millis(50) && b1 <= base, "{b1:?}");
            let b3 = backoff(base, 3);
            assert!(b3 >= Duration::from_millis(200) && b3 <= Duration::from_millis(400));
            assert!(backoff(base, 40) <= MAX_BACKOFF);
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_milliseconds() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", "150".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        let date = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            retry_after_at(&h, date - Duration::from_secs(30)),
            Some(Duration::from_secs(30))
        );
        // A date already past: retry now.
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
        h.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn a_request_id_carrying_the_key_is_dropped() {
        let key = SecretString::from("sk-test-0123456789abcdef");
        let real = "req_5f1c0e9a7b3d4c2e8f6a1b0c9d8e7f6a".to_owned();
        assert_eq!(scrub_id(Some(real.clone()), &key), Some(real));
        let echoed = "Bearer-sk-test-0123456789abcdef".to_owned();
        assert_eq!(scrub_id(Some(echoed), &key), None);
        let e = scrub(
            ProviderError {
                request_id: Some("sk-test-0123456789abcdef".into()),
                ..wire::error(ErrorKind::Auth, Some(401), "no")
            },
            &key,
        );
        assert_eq!(e.request_id, None);
    }

    #[test]
    fn request_ids_are_read_from_either_header_and_only_when_sane() {
        let mut h = reqwest::header::HeaderMap::new();
        assert_eq!(request_id(&h), None);
        h.insert("request-id", "req_011CAnthropic".parse().unwrap());
        assert_eq!(request_id(&h).as_deref(), Some("req_011CAnthropic"));
        h.insert("x-request-id", "req_abc123".parse().unwrap());
        assert_eq!(request_id(&h).as_deref(), Some("req_abc123"));
        h.insert("x-request-id", "two words".parse().unwrap());
        assert_eq!(request_id(&h).as_deref(), Some("req_011CAnthropic"));
        h.insert("request-id", "x".repeat(129).parse().unwrap());
        assert_eq!(request_id(&h), None);
    }

    #[test]
    fn a_proxy_in_the_environment_is_seen_in_any_of_its_spellings() {
        let only = |set: &'static str, value: &'static str| {
            move |name: &str| (name == set).then(|| std::ffi::OsString::from(value))
        };
        for name in ["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"] {
            assert!(
                http_proxy_configured(only(name, "http://proxy:3128")),
                "{name}"
            );
            assert!(!http_proxy_configured(only(name, "")), "{name} empty");
        }
        // An https-only proxy leaves plain http direct, as reqwest does.
        assert!(!http_proxy_configured(only(
            "https_proxy",
            "http://proxy:3128"
        )));
        assert!(!http_proxy_configured(|_| None));
    }

    #[test]
    fn estimates_are_at_least_one_for_any_text() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("a"), 1);
        assert_eq!(estimate_tokens("abcdefghi"), 3);
    }
}
