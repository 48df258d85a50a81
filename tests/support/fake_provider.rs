//! A fake LLM provider: a small HTTP/1.1 server on loopback speaking each family's documented
//! wire format (OpenAI Chat Completions, Anthropic Messages, Gemini generateContent), streaming
//! included, with scripted failures. Tests drive it in-process; `examples/fake_provider.rs` runs
//! it as a process for benchmarks and the README.
//!
//! Hand-written rather than axum or hyper so the bytes on the wire — chunk boundaries, CRLF
//! framing, a body cut off mid-stream — are exactly what a test asks for.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    OpenAi,
    Anthropic,
    Gemini,
}

impl Family {
    pub fn parse(s: &str) -> Option<Family> {
        match s {
            "openai" => Some(Family::OpenAi),
            "anthropic" => Some(Family::Anthropic),
            "gemini" | "google" => Some(Family::Gemini),
            _ => None,
        }
    }

    /// The provider id in omc's table this family is served as.
    pub fn provider_id(self) -> &'static str {
        match self {
            Family::OpenAi => "openai",
            Family::Anthropic => "anthropic",
            Family::Gemini => "gemini",
        }
    }
}

/// How a stream is cut into bytes and writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Framing {
    /// CRLF line ends instead of LF (Gemini's own framing is CRLF regardless).
    pub crlf: bool,
    /// A `: ping` comment before every event.
    pub comments: bool,
    /// Each JSON payload split over two `data:` lines.
    pub multiline_data: bool,
    /// Each event written in several TCP writes, with pauses between, cut mid-JSON and (with
    /// CRLF) between a CR and its LF.
    pub split_writes: bool,
    /// The whole stream in a single write, whatever the delays.
    pub one_write: bool,
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The content deltas, in order; the reply text is their concatenation.
    pub tokens: Vec<String>,
    pub model: String,
    /// (input, output) tokens reported; `None`: the reply reports no usage at all.
    pub usage: Option<(u64, u64)>,
    /// Delay before the first content event (headers and role chunks go out at once).
    pub ttft: Duration,
    /// Delay before each later content event.
    pub token_delay: Duration,
    pub framing: Framing,
    /// Tool calls after the text, in order.
    pub calls: Vec<FakeCall>,
    /// How an OpenAI-compatible server streams them.
    pub call_style: CallStyle,
    /// Anthropic: a thinking block (text, signature) before everything else.
    pub thinking: Option<(String, String)>,
    /// Gemini: a `{"text": "", "thoughtSignature": …}` part of its own after the calls.
    pub late_signature: Option<String>,
    /// The stream stops after the first argument piece of the last call.
    pub cut_in_call: bool,
    /// Every optional field the reply leaves out is sent as `null` instead, as servers built
    /// on the SDKs' types do (llama-cpp-python, LiteLLM, …).
    pub nulls: bool,
}

/// A tool call in a scripted reply.
#[derive(Debug, Clone)]
pub struct FakeCall {
    /// `None`: no id sent (Gemini often sends none).
    pub id: Option<String>,
    pub name: String,
    /// The arguments' JSON text in the pieces they stream in (OpenAI, Anthropic). Gemini sends
    /// them whole, as the object they parse to.
    pub pieces: Vec<String>,
    /// Gemini: the `thoughtSignature` beside the call.
    pub signature: Option<String>,
}

impl FakeCall {
    /// Arguments streamed three characters at a time (so escapes and multi-byte characters
    /// are cut wherever they fall).
    pub fn new(id: &str, name: &str, args: &str) -> FakeCall {
        let chars: Vec<char> = args.chars().collect();
        FakeCall::pieces(
            id,
            name,
            &chars
                .chunks(3)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
    }

    pub fn pieces(id: &str, name: &str, pieces: &[&str]) -> FakeCall {
        FakeCall {
            id: (!id.is_empty()).then(|| id.to_owned()),
            name: name.to_owned(),
            pieces: pieces.iter().map(|p| (*p).to_owned()).collect(),
            signature: None,
        }
    }

    pub fn signature(mut self, sig: &str) -> FakeCall {
        self.signature = Some(sig.to_owned());
        self
    }

    pub fn args(&self) -> String {
        self.pieces.concat()
    }

    /// The arguments as a JSON value (a string holding the text when it does not parse).
    fn args_value(&self) -> Value {
        serde_json::from_str(&self.args()).unwrap_or_else(|_| Value::String(self.args()))
    }
}

/// How an OpenAI-compatible server streams tool calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CallStyle {
    /// OpenAI's own: `index` per call, `id` and `name` in its first fragment only.
    #[default]
    Standard,
    /// Ollama and others: every call at index 0, told apart by `id`.
    ReuseIndex0,
    /// llama.cpp's Python server: `id` and `name` repeated on every fragment.
    RepeatIdName,
    /// llama-cpp-python's server exactly (0.3, `--chat_format chatml-function-calling`, a tool
    /// named in `tool_choice`): `id` and `name` on every fragment beside the legacy
    /// `function_call`, unused delta fields `null` (`"tool_calls": null` in the first and last
    /// chunks), no head fragment, no usage.
    LlamaCpp,
}

impl Reply {
    pub fn text(pieces: &[&str]) -> Reply {
        Reply {
            tokens: pieces.iter().map(|p| (*p).to_owned()).collect(),
            model: "fake-model-1".into(),
            usage: Some((11, pieces.len() as u64)),
            ttft: Duration::ZERO,
            token_delay: Duration::ZERO,
            framing: Framing::default(),
            calls: Vec::new(),
            call_style: CallStyle::Standard,
            thinking: None,
            late_signature: None,
            cut_in_call: false,
            nulls: false,
        }
    }

    /// Text (maybe none), then these calls.
    pub fn calls(text: &[&str], calls: Vec<FakeCall>) -> Reply {
        Reply {
            calls,
            ..Reply::text(text)
        }
    }

    pub fn style(mut self, style: CallStyle) -> Reply {
        self.call_style = style;
        self
    }

    /// Optional fields left out are sent as `null` (see [`Reply::nulls`]).
    pub fn with_nulls(mut self) -> Reply {
        self.nulls = true;
        self
    }

    /// `n` tokens: `tok0`, ` tok1`, …
    pub fn tokens(n: usize) -> Reply {
        let words: Vec<String> = (0..n)
            .map(|i| {
                if i == 0 {
                    "tok0".to_owned()
                } else {
                    format!(" tok{i}")
                }
            })
            .collect();
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        Reply::text(&refs)
    }

    pub fn full_text(&self) -> String {
        self.tokens.concat()
    }

    pub fn delays(mut self, ttft: Duration, token: Duration) -> Reply {
        self.ttft = ttft;
        self.token_delay = token;
        self
    }

    pub fn framing(mut self, framing: Framing) -> Reply {
        self.framing = framing;
        self
    }

    pub fn usage(mut self, usage: Option<(u64, u64)>) -> Reply {
        self.usage = usage;
        self
    }
}

/// What the server does with the next request.
#[derive(Debug, Clone)]
pub enum Behaviour {
    Reply(Reply),
    /// An error status with a body (and extra headers, e.g. `retry-after`).
    Error {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    },
    /// 200 with a body that does not parse.
    Malformed,
    /// Streams `tokens` content events, then closes without the terminating chunk.
    DropMidStream {
        tokens: usize,
    },
    /// Streams `tokens` content events, then the family's mid-stream error event.
    StreamError {
        tokens: usize,
    },
    /// Reads the request and never answers.
    Hang,
    /// Closes the connection without answering.
    Close,
}

impl Behaviour {
    pub fn error(status: u16, body: impl Into<String>) -> Behaviour {
        Behaviour::Error {
            status,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    /// The family's documented answer to a bad key.
    pub fn auth_error(family: Family) -> Behaviour {
        match family {
            Family::OpenAi => Behaviour::error(
                401,
                r#"{
    "error": {
        "message": "Incorrect API key provided: sk-bad1***************************wxyz. You can find your API key at https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error",
        "param": null,
        "code": "invalid_api_key"
    }
}
"#,
            ),
            Family::Anthropic => Behaviour::error(
                401,
                r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CFakeFakeFake"}"#,
            ),
            Family::Gemini => Behaviour::error(
                400,
                r#"{
  "error": {
    "code": 400,
    "message": "API key not valid. Please pass a valid API key.",
    "status": "INVALID_ARGUMENT",
    "details": [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "API_KEY_INVALID",
        "domain": "googleapis.com",
        "metadata": {
          "service": "generativelanguage.googleapis.com"
        }
      },
      {
        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
        "locale": "en-US",
        "message": "API key not valid. Please pass a valid API key."
      }
    ]
  }
}
"#,
            ),
        }
    }

    /// 429 with the family's body and, when given, a `retry-after` header (seconds).
    pub fn rate_limited(family: Family, retry_after: Option<&str>) -> Behaviour {
        let body = match family {
            Family::OpenAi => {
                r#"{"error":{"message":"Rate limit reached for fake-model-1 in organization org-fake on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#
            }
            Family::Anthropic => {
                r#"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#
            }
            Family::Gemini => {
                r#"{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}"#
            }
        };
        Behaviour::Error {
            status: 429,
            body: body.into(),
            headers: retry_after
                .map(|s| vec![("retry-after".to_owned(), s.to_owned())])
                .unwrap_or_default(),
        }
    }

    /// 500 with the family's body.
    pub fn server_error(family: Family) -> Behaviour {
        Behaviour::error(
            500,
            match family {
                Family::OpenAi => {
                    r#"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#
                }
                Family::Anthropic => {
                    r#"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#
                }
                Family::Gemini => {
                    r#"{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}"#
                }
            },
        )
    }

    /// Anthropic's 529.
    pub fn overloaded() -> Behaviour {
        Behaviour::error(
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        )
    }

    /// Gemini's 503.
    pub fn unavailable() -> Behaviour {
        Behaviour::error(
            503,
            r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#,
        )
    }

    pub fn model_not_found(family: Family, model: &str) -> Behaviour {
        match family {
            Family::OpenAi => Behaviour::error(
                404,
                json!({"error": {"message": format!("The model `{model}` does not exist or you do not have access to it."), "type": "invalid_request_error", "param": null, "code": "model_not_found"}}).to_string(),
            ),
            Family::Anthropic => Behaviour::error(
                404,
                json!({"type": "error", "error": {"type": "not_found_error", "message": format!("model: {model}")}}).to_string(),
            ),
            Family::Gemini => Behaviour::error(
                404,
                json!({"error": {"code": 404, "message": format!("models/{model} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."), "status": "NOT_FOUND"}}).to_string(),
            ),
        }
    }
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Names lower-cased, in order.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The whole request as text, to assert where a secret does and does not appear.
    pub fn raw(&self) -> String {
        let mut s = format!("{} {}\n", self.method, self.target);
        for (n, v) in &self.headers {
            s.push_str(&format!("{n}: {v}\n"));
        }
        s.push('\n');
        s.push_str(&self.body);
        s
    }
}

struct Shared {
    family: Family,
    queue: Mutex<VecDeque<Behaviour>>,
    default: Mutex<Arc<Behaviour>>,
    requests: Mutex<Vec<Recorded>>,
    record: AtomicBool,
    key: Mutex<Option<String>>,
    served: AtomicU64,
    connections: AtomicU64,
    /// Encoded answers of the default behaviour, by route, so a benchmark's thousands of
    /// identical replies are built once. Cleared when the default changes.
    cache: Mutex<[Option<Arc<Vec<u8>>>; 4]>,
    /// The default reply's stream events when it has delays (so it cannot be one cached
    /// write), without and with usage: building 64 JSON events per request would otherwise be
    /// most of a benchmark's server time.
    events: Mutex<[Option<Arc<Vec<Event>>>; 2]>,
}

pub struct FakeProvider {
    pub addr: SocketAddr,
    pub family: Family,
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
    // Dropping it ends every connection task.
    _shutdown: watch::Sender<()>,
}

impl Drop for FakeProvider {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FakeProvider {
    /// Starts on an ephemeral loopback port, answering `Reply::text(["Hello", ",", " world"])`.
    pub async fn start(family: Family) -> FakeProvider {
        Self::start_on(family, 0)
            .await
            .expect("bind a loopback port")
    }

    /// Starts on `127.0.0.1:port` (0: any free port). Loopback only, always.
    pub async fn start_on(family: Family, port: u16) -> std::io::Result<FakeProvider> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            family,
            queue: Mutex::new(VecDeque::new()),
            default: Mutex::new(Arc::new(Behaviour::Reply(Reply::text(&[
                "Hello", ",", " world",
            ])))),
            requests: Mutex::new(Vec::new()),
            record: AtomicBool::new(true),
            key: Mutex::new(None),
            served: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            cache: Mutex::new(Default::default()),
            events: Mutex::new(Default::default()),
        });
        let (tx, rx) = watch::channel(());
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared), rx));
        Ok(FakeProvider {
            addr,
            family,
            shared,
            accept,
            _shutdown: tx,
        })
    }

    /// The base URL as the provider's SDKs spell it (OpenAI's includes `/v1`).
    pub fn base_url(&self) -> String {
        match self.family {
            Family::OpenAi => format!("http://{}/v1", self.addr),
            _ => format!("http://{}", self.addr),
        }
    }

    /// Queues a behaviour for the next request; queued ones go first, then the default.
    pub fn push(&self, b: Behaviour) -> &Self {
        lock(&self.shared.queue).push_back(b);
        self
    }

    pub fn set_default(&self, b: Behaviour) {
        let mut default = lock(&self.shared.default);
        *lock(&self.shared.cache) = Default::default();
        *lock(&self.shared.events) = Default::default();
        *default = Arc::new(b);
    }

    /// Requests without this key (in the family's header) get the family's auth error.
    pub fn expect_key(&self, key: &str) {
        *lock(&self.shared.key) = Some(key.to_owned());
    }

    /// Any key (or none) is accepted again.
    pub fn accept_any_key(&self) {
        *lock(&self.shared.key) = None;
    }

    /// Whether to keep every request for [`FakeProvider::requests`]; off for long benchmarks.
    pub fn record(&self, on: bool) {
        self.shared.record.store(on, Ordering::Relaxed);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        lock(&self.shared.requests).clone()
    }

    /// Requests answered (or being answered) so far.
    pub fn served(&self) -> u64 {
        self.shared.served.load(Ordering::Relaxed)
    }

    /// TCP connections accepted so far: with keep-alive, far fewer than requests.
    pub fn connections(&self) -> u64 {
        self.shared.connections.load(Ordering::Relaxed)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A test that panicked while holding the lock should not hide its own failure behind ours.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, shutdown: watch::Receiver<()>) {
    loop {
        let sock = match listener.accept().await {
            Ok((sock, _)) => sock,
            Err(_) => {
                // Out of file descriptors under load: wait for some to close.
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
        };
        let _ = sock.set_nodelay(true);
        shared.connections.fetch_add(1, Ordering::Relaxed);
        let shared = Arc::clone(&shared);
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = serve(sock, shared) => {}
                _ = shutdown.changed() => {}
            }
        });
    }
}

struct Request {
    rec: Recorded,
    close: bool,
    /// When the request line was read: injected delays count from here, so the fake's own
    /// parsing and queueing are not part of them.
    received: std::time::Instant,
    /// The id this fake gives the request, sent back as the family's request-id header
    /// (`x-request-id: req_N` for OpenAI, `request-id: req_N` for Anthropic; Gemini sends none)
    /// and written to the `--log` lines, so a client's records can be matched with the fake's.
    id: u64,
}

impl Request {
    /// The request-id header line (with its CRLF) this family's servers send, if any.
    fn id_header(&self, family: Family) -> Option<String> {
        let name = match family {
            Family::OpenAi => "x-request-id",
            Family::Anthropic => "request-id",
            Family::Gemini => return None,
        };
        Some(format!("{name}: req_{}\r\n", self.id))
    }

    /// `response` (a whole HTTP response head, maybe with its body) with the request-id header
    /// added after the status line.
    fn tag(&self, family: Family, response: &[u8]) -> Vec<u8> {
        let Some(header) = self.id_header(family) else {
            return response.to_vec();
        };
        let at = response
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(response.len(), |i| i + 2);
        let mut out = Vec::with_capacity(response.len() + header.len());
        out.extend_from_slice(&response[..at]);
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(&response[at..]);
        out
    }
}

async fn serve(sock: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (rd, mut wr) = sock.into_split();
    let mut rd = BufReader::with_capacity(16 * 1024, rd);
    while let Some(mut req) = read_request(&mut rd).await? {
        req.id = shared.served.fetch_add(1, Ordering::Relaxed) + 1;
        if shared.record.load(Ordering::Relaxed) {
            lock(&shared.requests).push(req.rec.clone());
        }
        let (behaviour, is_default) = decide(&shared, &req.rec);
        if is_default && let Some(bytes) = cached(&shared, &req.rec, &behaviour) {
            wr.write_all(&req.tag(shared.family, &bytes)).await?;
            if req.close {
                break;
            }
            continue;
        }
        let cache = is_default.then_some(&*shared);
        let keep = respond(&mut wr, shared.family, &req, &behaviour, cache).await?;
        if !keep || req.close {
            break;
        }
    }
    let _ = wr.shutdown().await;
    Ok(())
}

async fn read_request<R: AsyncBufReadExt + Unpin>(rd: &mut R) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    loop {
        line.clear();
        if rd.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        if !line.trim().is_empty() {
            break;
        }
    }
    let received = std::time::Instant::now();
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    let mut length = 0usize;
    let mut close = false;
    loop {
        line.clear();
        if rd.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        if let Some((name, value)) = l.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            }
            if name == "connection" && value.eq_ignore_ascii_case("close") {
                close = true;
            }
            headers.push((name, value));
        }
    }
    let mut body = vec![0; length];
    rd.read_exact(&mut body).await?;
    Ok(Some(Request {
        rec: Recorded {
            method,
            target,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        },
        close,
        received,
        id: 0,
    }))
}

/// The behaviour for `req`, and whether it is the default one.
fn decide(shared: &Shared, req: &Recorded) -> (Arc<Behaviour>, bool) {
    if let Some(expected) = lock(&shared.key).as_deref() {
        let sent = match shared.family {
            Family::OpenAi => req
                .header("authorization")
                .and_then(|v| v.strip_prefix("Bearer ")),
            Family::Anthropic => req.header("x-api-key"),
            Family::Gemini => req.header("x-goog-api-key"),
        };
        if sent != Some(expected) {
            return (Arc::new(Behaviour::auth_error(shared.family)), false);
        }
    }
    // A conversation with tools is held to the rules the real API enforces with a 400.
    if req.method == "POST"
        && (req.body.contains("\"tool")
            || req.body.contains("function")
            || req.body.contains(";base64,")
            || req.body.contains("\"base64\"")
            || req.body.contains("inlineData"))
        && let Err(why) = validate(shared.family, &req.json())
    {
        let body = match shared.family {
            Family::OpenAi => {
                json!({"error": {"message": why, "type": "invalid_request_error", "param": "messages", "code": null}})
            }
            Family::Anthropic => {
                json!({"type": "error", "error": {"type": "invalid_request_error", "message": why}})
            }
            Family::Gemini => {
                json!({"error": {"code": 400, "message": why, "status": "INVALID_ARGUMENT"}})
            }
        };
        return (Arc::new(Behaviour::error(400, body.to_string())), false);
    }
    if let Some(b) = lock(&shared.queue).pop_front() {
        return (Arc::new(b), false);
    }
    (Arc::clone(&lock(&shared.default)), true)
}

/// The tool rules of each API, as its documentation states them (and its servers answer with
/// a 400): every call answered exactly once, right after it, in the family's shape; no other
/// family's fields.
pub fn validate(family: Family, body: &Value) -> Result<(), String> {
    validate_media(family, body)?;
    // Field names (and `type` values) of other families, looked for in the JSON's structure,
    // not its text: a prompt may well mention them.
    let foreign: &[&str] = match family {
        Family::OpenAi => &["thoughtSignature", "signature", "tool_use", "functionCall"],
        Family::Anthropic => &["thoughtSignature", "functionCall", "tool_call_id"],
        Family::Gemini => &["signature", "tool_use", "tool_call_id"],
    };
    fn find<'a>(v: &Value, foreign: &[&'a str]) -> Option<&'a str> {
        match v {
            Value::Object(map) => map.iter().find_map(|(k, v)| {
                foreign
                    .iter()
                    .find(|f| *f == k || (k == "type" && v.as_str() == Some(f)))
                    .copied()
                    .or_else(|| find(v, foreign))
            }),
            Value::Array(items) => items.iter().find_map(|v| find(v, foreign)),
            _ => None,
        }
    }
    if let Some(f) = find(body, foreign) {
        return Err(format!("unknown field {f}"));
    }
    match family {
        Family::OpenAi => {
            let msgs = body["messages"]
                .as_array()
                .ok_or("messages: not an array")?;
            let mut open: Vec<String> = Vec::new();
            for m in msgs {
                let role = m["role"].as_str().unwrap_or_default();
                if role == "tool" {
                    let id = m["tool_call_id"]
                        .as_str()
                        .ok_or("tool message without tool_call_id")?;
                    let at = open
                        .iter()
                        .position(|o| o == id)
                        .ok_or_else(|| format!("tool_call_id {id} answers no open call"))?;
                    open.remove(at);
                    if !m["content"].is_string() {
                        return Err("tool message content must be a string".into());
                    }
                    continue;
                }
                if !open.is_empty() {
                    return Err(format!(
                        "tool_calls {open:?} must be followed by tool messages answering each"
                    ));
                }
                if role == "assistant" {
                    // llama.cpp: 400 to null, 500 to a missing field.
                    if !m["content"].is_string() {
                        return Err("assistant content must be a string".into());
                    }
                    for c in m["tool_calls"].as_array().into_iter().flatten() {
                        if c["type"] != "function"
                            || !c["function"]["arguments"].is_string()
                            || c["function"]["name"].as_str().is_none_or(str::is_empty)
                        {
                            return Err(format!("bad tool call {c}"));
                        }
                        open.push(c["id"].as_str().ok_or("tool call without id")?.to_owned());
                    }
                }
            }
            if !open.is_empty() {
                return Err(format!("tool_calls {open:?} are not answered"));
            }
        }
        Family::Anthropic => {
            let msgs = body["messages"]
                .as_array()
                .ok_or("messages: not an array")?;
            let mut open: Vec<String> = Vec::new();
            for m in msgs {
                let blocks: Vec<Value> = match &m["content"] {
                    Value::String(s) if s.is_empty() => return Err("empty content".into()),
                    Value::String(_) => Vec::new(),
                    Value::Array(b) => b.clone(),
                    _ => return Err("content must be a string or blocks".into()),
                };
                if !open.is_empty() {
                    // The results come first, all of them in this one user message.
                    if m["role"] != "user" {
                        return Err(
                            "tool_use blocks must be answered in the next (user) message".into(),
                        );
                    }
                    let results: Vec<&Value> = blocks
                        .iter()
                        .take_while(|b| b["type"] == "tool_result")
                        .collect();
                    let answered: Vec<String> = results
                        .iter()
                        .filter_map(|b| b["tool_use_id"].as_str().map(str::to_owned))
                        .collect();
                    let mut want = open.clone();
                    want.sort();
                    let mut got = answered.clone();
                    got.sort();
                    if want != got {
                        return Err(format!(
                            "tool_use ids {open:?} were answered by {answered:?} at the start of the next message"
                        ));
                    }
                    open.clear();
                }
                for b in &blocks {
                    match b["type"].as_str().unwrap_or_default() {
                        "text" if b["text"].as_str().is_none_or(str::is_empty) => {
                            return Err("text blocks must be non-empty".into());
                        }
                        "tool_use" if m["role"] == "assistant" => {
                            if !b["input"].is_object() {
                                return Err("tool_use input must be an object".into());
                            }
                            open.push(b["id"].as_str().ok_or("tool_use without id")?.to_owned());
                        }
                        "thinking" if b["signature"].as_str().is_none_or(str::is_empty) => {
                            return Err("thinking block without signature".into());
                        }
                        "tool_result" if m["role"] != "user" => {
                            return Err("tool_result outside a user message".into());
                        }
                        "tool_result" if !b["content"].is_string() && !b["content"].is_array() => {
                            return Err("bad tool_result content".into());
                        }
                        _ => {}
                    }
                }
            }
            if !open.is_empty() {
                return Err(format!("tool_use ids {open:?} are not answered"));
            }
        }
        Family::Gemini => {
            let contents = body["contents"]
                .as_array()
                .ok_or("contents: not an array")?;
            let mut open: Vec<String> = Vec::new();
            for c in contents {
                let parts = c["parts"].as_array().ok_or("parts: not an array")?;
                if parts.is_empty() {
                    return Err("content with no parts".into());
                }
                let role = c["role"].as_str().unwrap_or_default();
                if !matches!(role, "user" | "model") {
                    return Err(format!("role {role}"));
                }
                if !open.is_empty() {
                    let names: Vec<String> = parts
                        .iter()
                        .filter_map(|p| p["functionResponse"]["name"].as_str().map(str::to_owned))
                        .collect();
                    if role != "user" || names != open {
                        return Err(format!("function calls {open:?} answered by {names:?}"));
                    }
                    open.clear();
                }
                for p in parts {
                    if let Some(fc) = p.get("functionCall") {
                        if role != "model" || !fc["args"].is_object() {
                            return Err(format!("bad functionCall {fc}"));
                        }
                        open.push(
                            fc["name"]
                                .as_str()
                                .ok_or("functionCall without name")?
                                .to_owned(),
                        );
                    }
                    if let Some(fr) = p.get("functionResponse")
                        && !fr["response"].is_object()
                    {
                        return Err("functionResponse.response must be an object".into());
                    }
                }
            }
            if !open.is_empty() {
                return Err(format!("function calls {open:?} are not answered"));
            }
        }
    }
    Ok(())
}

/// Files in a request, as each API documents them (and answers with a 400 otherwise): OpenAI
/// `image_url` data URIs and `file` parts with `filename` and `file_data`; Anthropic `image`
/// and `document` blocks with a base64 source; Gemini `inlineData` (no GIF). Media types are
/// canonical and match the bytes, as all three check.
fn validate_media(family: Family, v: &Value) -> Result<(), String> {
    use base64::Engine;
    fn typed(bytes: &[u8]) -> Option<&'static str> {
        let sigs: [(&[u8], &str); 5] = [
            (b"\x89PNG\r\n\x1a\n", "image/png"),
            (&[0xff, 0xd8, 0xff], "image/jpeg"),
            (b"GIF8", "image/gif"),
            (b"%PDF-", "application/pdf"),
            (b"RIFF", "image/webp"),
        ];
        sigs.iter()
            .find(|(s, _)| bytes.starts_with(s))
            .map(|(_, m)| *m)
    }
    let check = |media: &str, data: &str, allowed: &[&str]| -> Result<(), String> {
        if !allowed.contains(&media) {
            return Err(format!("unsupported media type {media}"));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| format!("invalid base64 data: {e}"))?;
        match typed(&bytes) {
            Some(t) if t == media => Ok(()),
            t => Err(format!("the data is {t:?}, not the declared {media}")),
        }
    };
    const IMAGES: &[&str] = &["image/png", "image/jpeg", "image/webp", "image/gif"];
    match v {
        Value::Array(items) => items.iter().try_for_each(|i| validate_media(family, i)),
        Value::Object(o) => {
            match (family, o.get("type").and_then(Value::as_str)) {
                (Family::OpenAi, Some("image_url")) => {
                    let url = v["image_url"]["url"]
                        .as_str()
                        .ok_or("image_url.url missing")?;
                    let (media, data) = url
                        .strip_prefix("data:")
                        .and_then(|r| r.split_once(";base64,"))
                        .ok_or("image_url.url is not a base64 data URL")?;
                    check(media, data, IMAGES)?;
                }
                (Family::OpenAi, Some("file")) => {
                    if v["file"]["filename"].as_str().is_none_or(str::is_empty) {
                        return Err("file parts with file_data need a filename".into());
                    }
                    let url = v["file"]["file_data"]
                        .as_str()
                        .ok_or("file.file_data missing")?;
                    let (media, data) = url
                        .strip_prefix("data:")
                        .and_then(|r| r.split_once(";base64,"))
                        .ok_or("file.file_data is not a base64 data URL")?;
                    check(media, data, &["application/pdf"])?;
                }
                (Family::Anthropic, Some(kind @ ("image" | "document"))) => {
                    let s = &v["source"];
                    if s["type"] != "base64" {
                        return Err(format!("{kind}.source.type must be base64"));
                    }
                    let allowed: &[&str] = if kind == "image" {
                        IMAGES
                    } else {
                        &["application/pdf"]
                    };
                    check(
                        s["media_type"].as_str().unwrap_or_default(),
                        s["data"].as_str().unwrap_or_default(),
                        allowed,
                    )?;
                }
                _ => {}
            }
            if family == Family::Gemini
                && let Some(d) = o.get("inlineData")
            {
                check(
                    d["mimeType"].as_str().unwrap_or_default(),
                    d["data"].as_str().unwrap_or_default(),
                    &["image/png", "image/jpeg", "image/webp", "application/pdf"],
                )?;
            }
            o.values().try_for_each(|x| validate_media(family, x))
        }
        _ => Ok(()),
    }
}

/// The whole encoded answer when `behaviour` is an immediate reply (no delays, no split writes),
/// built once per route.
fn cached(shared: &Shared, req: &Recorded, behaviour: &Behaviour) -> Option<Arc<Vec<u8>>> {
    let Behaviour::Reply(reply) = behaviour else {
        return None;
    };
    if !reply.ttft.is_zero() || !reply.token_delay.is_zero() || reply.framing.split_writes {
        return None;
    }
    let family = shared.family;
    let slot = match route(family, req) {
        Route::Chat { stream: false, .. } => 0,
        Route::Chat {
            include_usage: false,
            ..
        } => 1,
        Route::Chat { .. } => 2,
        Route::Models => 3,
        Route::Responses { .. } | Route::Unknown => return None,
    };
    let mut cache = lock(&shared.cache);
    let bytes = cache[slot].get_or_insert_with(|| {
        Arc::new(match slot {
            0 => json_response(200, &full_body(family, reply), &[]),
            3 => json_response(200, &models_body(family), &[]),
            _ => {
                let mut out = STREAM_HEAD.to_vec();
                for ev in stream_events(family, reply, slot == 2) {
                    push_chunk(&mut out, &frame(family, &ev, reply.framing));
                }
                out.extend_from_slice(b"0\r\n\r\n");
                out
            }
        })
    });
    Some(Arc::clone(bytes))
}

enum Route {
    Chat {
        stream: bool,
        include_usage: bool,
    },
    /// OpenAI's Responses API (`POST /v1/responses`): text replies only.
    Responses {
        stream: bool,
    },
    Models,
    Unknown,
}

fn route(family: Family, req: &Recorded) -> Route {
    let path = req.target.split('?').next().unwrap_or_default();
    let body = req.json();
    let stream = body["stream"].as_bool() == Some(true);
    match (family, req.method.as_str()) {
        (_, "GET") if path.ends_with("/models") => Route::Models,
        (Family::OpenAi, "POST") if path.ends_with("/chat/completions") => Route::Chat {
            stream,
            include_usage: body["stream_options"]["include_usage"].as_bool() == Some(true),
        },
        (Family::OpenAi, "POST") if path.ends_with("/responses") => Route::Responses { stream },
        (Family::Anthropic, "POST") if path.ends_with("/v1/messages") => Route::Chat {
            stream,
            include_usage: true,
        },
        (Family::Gemini, "POST") if path.ends_with(":generateContent") => Route::Chat {
            stream: false,
            include_usage: true,
        },
        (Family::Gemini, "POST") if path.ends_with(":streamGenerateContent") => Route::Chat {
            stream: true,
            include_usage: true,
        },
        _ => Route::Unknown,
    }
}

/// Answers one request; `false` when the connection must close afterwards.
async fn respond(
    wr: &mut OwnedWriteHalf,
    family: Family,
    request: &Request,
    behaviour: &Behaviour,
    cache: Option<&Shared>,
) -> std::io::Result<bool> {
    let (req, start) = (&request.rec, request.received);
    let route = route(family, req);
    if matches!(route, Route::Unknown) {
        write_json(
            wr,
            (request, family),
            404,
            r#"{"error":{"message":"fake provider: no such route"}}"#,
            &[],
        )
        .await?;
        return Ok(true);
    }
    match behaviour {
        Behaviour::Hang => {
            std::future::pending::<()>().await;
            Ok(false)
        }
        Behaviour::Close => Ok(false),
        Behaviour::Error {
            status,
            body,
            headers,
        } => {
            write_json(wr, (request, family), *status, body, headers).await?;
            Ok(true)
        }
        Behaviour::Malformed => match route {
            Route::Chat { stream: true, .. } => {
                let bad = vec![Event::data(
                    "{\"choices\": [ this is not json".into(),
                    false,
                )];
                write_stream(wr, family, &bad, &Reply::tokens(0), usize::MAX, request).await
            }
            _ => {
                write_json(
                    wr,
                    (request, family),
                    200,
                    r#"{"id": "fake", "choices": [{"message": "#,
                    &[],
                )
                .await?;
                Ok(true)
            }
        },
        Behaviour::Reply(reply) => match route {
            Route::Models => {
                // A reply's time to first token delays a model list too: a slow live check.
                if !reply.ttft.is_zero() {
                    sleep_until_precise(start + reply.ttft).await;
                }
                write_json(wr, (request, family), 200, &models_body(family), &[]).await?;
                Ok(true)
            }
            Route::Responses { stream: false } => {
                let body = responses_body(reply, "completed").to_string();
                write_json(wr, (request, family), 200, &body, &[]).await?;
                Ok(true)
            }
            Route::Responses { stream: true } => {
                write_stream(
                    wr,
                    family,
                    &responses_events(reply),
                    reply,
                    usize::MAX,
                    request,
                )
                .await
            }
            Route::Chat { stream: false, .. } => {
                let n = reply.tokens.len() as u32;
                let wait = reply.ttft + reply.token_delay * n.saturating_sub(1);
                if !wait.is_zero() {
                    sleep_until_precise(start + wait).await;
                }
                write_json(wr, (request, family), 200, &full_body(family, reply), &[]).await?;
                Ok(true)
            }
            Route::Chat { include_usage, .. } => {
                let events = match cache {
                    Some(shared) => {
                        let mut slots = lock(&shared.events);
                        Arc::clone(slots[usize::from(include_usage)].get_or_insert_with(|| {
                            Arc::new(stream_events(family, reply, include_usage))
                        }))
                    }
                    None => Arc::new(stream_events(family, reply, include_usage)),
                };
                write_stream(wr, family, &events, reply, usize::MAX, request).await
            }
            Route::Unknown => Ok(true),
        },
        Behaviour::DropMidStream { tokens } => {
            let reply = Reply::tokens(tokens + 3);
            let events = stream_events(family, &reply, true);
            write_stream(wr, family, &events, &reply, *tokens, request).await?;
            Ok(false)
        }
        Behaviour::StreamError { tokens } => {
            let reply = Reply::tokens(*tokens);
            let mut events = stream_events(family, &reply, true);
            // Cut after the last content event, then fail the way the family does.
            let last = events.iter().rposition(|e| e.content).map_or(1, |i| i + 1);
            events.truncate(last);
            events.push(error_event(family));
            write_stream(wr, family, &events, &reply, usize::MAX, request).await
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        529 => "Site Overloaded",
        _ => "Unknown",
    }
}

async fn write_json(
    wr: &mut OwnedWriteHalf,
    (request, family): (&Request, Family),
    status: u16,
    body: &str,
    headers: &[(String, String)],
) -> std::io::Result<()> {
    wr.write_all(&request.tag(family, &json_response(status, body, headers)))
        .await
}

fn json_response(status: u16, body: &str, headers: &[(String, String)]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n",
        reason(status),
        body.len()
    );
    for (n, v) in headers {
        out.push_str(&format!("{n}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

/// One server-sent event: an optional name and a JSON (or `[DONE]`) payload.
struct Event {
    name: Option<&'static str>,
    data: String,
    /// Carries reply text: the ttft and per-token delays go before these.
    content: bool,
}

impl Event {
    fn data(data: String, content: bool) -> Event {
        Event {
            name: None,
            data,
            content,
        }
    }

    fn named(name: &'static str, data: Value, content: bool) -> Event {
        Event {
            name: Some(name),
            data: data.to_string(),
            content,
        }
    }
}

/// A Responses API answer holding the reply's text (with usage once `completed`).
fn responses_body(r: &Reply, status: &str) -> Value {
    let done = status == "completed";
    let mut v = json!({
        "id": "resp_fake1", "object": "response", "created_at": 1_700_000_000,
        "status": status, "model": r.model, "output": [],
        "parallel_tool_calls": true, "tool_choice": "auto", "tools": [],
    });
    if done {
        v["output"] = json!([{"type": "message", "id": "msg_fake1", "status": "completed",
            "role": "assistant", "content": [{"type": "output_text", "text": r.full_text(),
            "annotations": []}]}]);
        if let Some((i, o)) = r.usage {
            v["usage"] = json!({"input_tokens": i, "output_tokens": o, "total_tokens": i + o,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0}});
        }
    }
    v
}

/// The Responses API's stream for a text reply: created, the message item, a delta per token,
/// completed (with usage).
fn responses_events(r: &Reply) -> Vec<Event> {
    let mut seq = 0;
    let mut ev = |name: &'static str, mut data: Value, content: bool| {
        data["type"] = json!(name);
        data["sequence_number"] = json!(seq);
        seq += 1;
        Event::named(name, data, content)
    };
    let item = json!({"type": "message", "id": "msg_fake1", "status": "in_progress",
        "role": "assistant", "content": []});
    let mut out = vec![
        ev(
            "response.created",
            json!({"response": responses_body(r, "in_progress")}),
            false,
        ),
        ev(
            "response.output_item.added",
            json!({"output_index": 0, "item": item}),
            false,
        ),
    ];
    for t in &r.tokens {
        out.push(ev(
            "response.output_text.delta",
            json!({"item_id": "msg_fake1", "output_index": 0, "content_index": 0, "delta": t,
                "logprobs": []}),
            true,
        ));
    }
    let done = responses_body(r, "completed");
    out.push(ev(
        "response.output_item.done",
        json!({"output_index": 0, "item": done["output"][0]}),
        false,
    ));
    out.push(ev("response.completed", json!({"response": done}), false));
    out
}

fn models_body(family: Family) -> String {
    match family {
        Family::OpenAi => json!({"object": "list", "data": [
            {"id": "fake-model-1", "object": "model", "created": 1_686_935_002, "owned_by": "system"},
            {"id": "gpt-4o-mini", "object": "model", "created": 1_721_172_741, "owned_by": "system"}
        ]}),
        Family::Anthropic => json!({"data": [
            {"type": "model", "id": "fake-model-1", "display_name": "Fake Model 1", "created_at": "2025-10-01T00:00:00Z"},
            {"type": "model", "id": "claude-haiku-4-5", "display_name": "Claude Haiku 4.5", "created_at": "2025-10-01T00:00:00Z"}
        ], "has_more": false, "first_id": "fake-model-1", "last_id": "claude-haiku-4-5"}),
        Family::Gemini => json!({"models": [
            {"name": "models/fake-model-1", "version": "001", "displayName": "Fake Model 1", "supportedGenerationMethods": ["generateContent", "countTokens"]},
            {"name": "models/gemini-2.5-flash", "version": "001", "displayName": "Gemini 2.5 Flash", "supportedGenerationMethods": ["generateContent", "countTokens"]}
        ]}),
    }
    .to_string()
}

fn full_body(family: Family, r: &Reply) -> String {
    let text = r.full_text();
    let (input, output) = r.usage.unwrap_or_default();
    let mut v = match family {
        Family::OpenAi => json!({
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1_700_000_000, "model": r.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": null, "annotations": []}, "logprobs": null, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": input, "completion_tokens": output, "total_tokens": input + output},
            "service_tier": "default", "system_fingerprint": null
        }),
        Family::Anthropic => json!({
            "id": "msg_fake", "type": "message", "role": "assistant", "model": r.model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": input, "output_tokens": output}
        }),
        Family::Gemini => json!({
            "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": input, "candidatesTokenCount": output, "totalTokenCount": input + output},
            "modelVersion": r.model, "responseId": "fake"
        }),
    };
    if !r.calls.is_empty() || r.thinking.is_some() || r.late_signature.is_some() {
        with_calls(family, r, &mut v);
    }
    if r.usage.is_none() {
        for k in ["usage", "usageMetadata"] {
            if let Some(o) = v.as_object_mut() {
                o.remove(k);
            }
        }
    }
    if r.nulls {
        fill_nulls(family, &mut v, "");
    }
    v.to_string()
}

/// The optional fields of each family's replies, by the key of the object or list holding them
/// (`""`: the top level), that an SDK-built server sends as `null` when it has no value.
fn optional_fields(family: Family, at: &str) -> &'static [&'static str] {
    match (family, at) {
        (Family::OpenAi, "") => &["usage", "system_fingerprint", "service_tier"],
        (Family::OpenAi, "choices") => &["logprobs", "finish_reason"],
        (Family::OpenAi, "delta" | "message") => &[
            "role",
            "content",
            "refusal",
            "function_call",
            "tool_calls",
            "annotations",
            "audio",
        ],
        (Family::OpenAi, "tool_calls") => &["id", "type"],
        (Family::OpenAi, "function") => &["name"],
        (Family::OpenAi, "usage") => &["prompt_tokens_details", "completion_tokens_details"],
        (Family::Anthropic, "") => &[
            "usage",
            "stop_reason",
            "stop_sequence",
            "container",
            "context_management",
        ],
        (Family::Anthropic, "message") => &[
            "stop_reason",
            "stop_sequence",
            "usage",
            "container",
            "context_management",
        ],
        (Family::Anthropic, "content" | "content_block") => &["citations"],
        (Family::Anthropic, "delta") => &["stop_reason", "stop_sequence", "container"],
        (Family::Anthropic, "usage") => &[
            "input_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "cache_creation",
            "server_tool_use",
            "service_tier",
        ],
        (Family::Gemini, "") => &[
            "candidates",
            "usageMetadata",
            "promptFeedback",
            "modelVersion",
        ],
        (Family::Gemini, "candidates") => &[
            "finishReason",
            "safetyRatings",
            "citationMetadata",
            "groundingMetadata",
        ],
        (Family::Gemini, "parts") => &["text", "thought", "functionCall", "thoughtSignature"],
        (Family::Gemini, "functionCall") => &["id"],
        (Family::Gemini, "usageMetadata") => &[
            "candidatesTokenCount",
            "thoughtsTokenCount",
            "cachedContentTokenCount",
        ],
        _ => &[],
    }
}

/// Puts `null` in every optional field `v` leaves out (not inside tool arguments).
fn fill_nulls(family: Family, v: &mut Value, at: &str) {
    match v {
        Value::Object(o) => {
            for &key in optional_fields(family, at) {
                o.entry(key).or_insert(Value::Null);
            }
            for (key, child) in o.iter_mut() {
                if !matches!(key.as_str(), "args" | "input" | "arguments" | "error") {
                    fill_nulls(family, child, key);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                fill_nulls(family, item, at);
            }
        }
        _ => {}
    }
}

/// A whole reply's body with the reply's calls (and thinking, and signatures) in it.
fn with_calls(family: Family, r: &Reply, v: &mut Value) {
    let text = r.full_text();
    match family {
        Family::OpenAi => {
            let m = &mut v["choices"][0]["message"];
            // OpenAI sends null content beside tool calls.
            m["content"] = if text.is_empty() {
                Value::Null
            } else {
                json!(text)
            };
            m["tool_calls"] = r
                .calls
                .iter()
                .map(|c| json!({"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.args()}}))
                .collect();
            if r.call_style == CallStyle::LlamaCpp
                && let Some(c) = r.calls.first()
            {
                // Beside the calls, the first as the legacy `function_call`.
                m["function_call"] = json!({"name": c.name, "arguments": c.args()});
            }
            v["choices"][0]["finish_reason"] = json!("tool_calls");
        }
        Family::Anthropic => {
            let mut content = Vec::new();
            if let Some((thinking, sig)) = &r.thinking {
                content.push(json!({"type": "thinking", "thinking": thinking, "signature": sig}));
            }
            if !text.is_empty() {
                content.push(json!({"type": "text", "text": text}));
            }
            for c in &r.calls {
                content.push(json!({"type": "tool_use", "id": c.id, "name": c.name, "input": c.args_value()}));
            }
            v["content"] = Value::Array(content);
            if !r.calls.is_empty() {
                v["stop_reason"] = json!("tool_use");
            }
        }
        Family::Gemini => {
            let mut parts = Vec::new();
            if !text.is_empty() {
                parts.push(json!({"text": text}));
            }
            for c in &r.calls {
                parts.push(gemini_call_part(c));
            }
            if let Some(sig) = &r.late_signature {
                parts.push(json!({"text": "", "thoughtSignature": sig}));
            }
            v["candidates"][0]["content"]["parts"] = Value::Array(parts);
        }
    }
}

fn gemini_call_part(c: &FakeCall) -> Value {
    let mut fc = json!({"name": c.name, "args": c.args_value()});
    if let Some(id) = &c.id {
        fc["id"] = json!(id);
    }
    let mut part = json!({"functionCall": fc});
    if let Some(sig) = &c.signature {
        part["thoughtSignature"] = json!(sig);
    }
    part
}

/// A streamed reply with calls: text first, then each call as the family streams one.
fn call_events(family: Family, r: &Reply, include_usage: bool) -> Vec<Event> {
    let mut out = Vec::new();
    let usage = r.usage.filter(|_| include_usage);
    // Where to cut for `cut_in_call`: after the last call's first argument piece.
    let mut cut = None;
    match family {
        Family::OpenAi if r.call_style == CallStyle::LlamaCpp => {
            return llama_cpp_events(r);
        }
        Family::OpenAi => {
            let chunk = |delta: Value, finish: Value| {
                json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": r.model, "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]}).to_string()
            };
            out.push(Event::data(
                chunk(json!({"role": "assistant", "content": null}), Value::Null),
                false,
            ));
            for t in &r.tokens {
                out.push(Event::data(chunk(json!({"content": t}), Value::Null), true));
            }
            for (k, c) in r.calls.iter().enumerate() {
                let index = match r.call_style {
                    CallStyle::ReuseIndex0 => 0,
                    _ => k,
                };
                let head = json!({"index": index, "id": c.id, "type": "function", "function": {"name": c.name, "arguments": ""}});
                out.push(Event::data(
                    chunk(json!({"tool_calls": [head]}), Value::Null),
                    true,
                ));
                for (n, piece) in c.pieces.iter().enumerate() {
                    let frag = match r.call_style {
                        CallStyle::RepeatIdName => {
                            json!({"index": index, "id": c.id, "type": "function", "function": {"name": c.name, "arguments": piece}})
                        }
                        _ => json!({"index": index, "function": {"arguments": piece}}),
                    };
                    out.push(Event::data(
                        chunk(json!({"tool_calls": [frag]}), Value::Null),
                        true,
                    ));
                    if n == 0 && k + 1 == r.calls.len() {
                        cut = Some(out.len());
                    }
                }
            }
            out.push(Event::data(chunk(json!({}), json!("tool_calls")), false));
            if let Some((i, o)) = usage {
                out.push(Event::data(json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": r.model, "choices": [], "usage": {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o}}).to_string(), false));
            }
            out.push(Event::data("[DONE]".into(), false));
        }
        Family::Anthropic => {
            let (i, o) = usage.unwrap_or_default();
            out.push(Event::named("message_start", json!({"type": "message_start", "message": {"id": "msg_fake", "type": "message", "role": "assistant", "model": r.model, "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": i, "output_tokens": 1}}}), false));
            let mut index = 0;
            let ping = || Event::named("ping", json!({"type": "ping"}), false);
            let delta = |index: usize, d: Value| {
                Event::named(
                    "content_block_delta",
                    json!({"type": "content_block_delta", "index": index, "delta": d}),
                    true,
                )
            };
            let stop = |index: usize| {
                Event::named(
                    "content_block_stop",
                    json!({"type": "content_block_stop", "index": index}),
                    false,
                )
            };
            if let Some((thinking, sig)) = &r.thinking {
                out.push(Event::named("content_block_start", json!({"type": "content_block_start", "index": index, "content_block": {"type": "thinking", "thinking": "", "signature": ""}}), false));
                let mid = thinking.len() / 2;
                let mid = (mid..=thinking.len())
                    .find(|m| thinking.is_char_boundary(*m))
                    .unwrap_or(0);
                out.push(delta(
                    index,
                    json!({"type": "thinking_delta", "thinking": &thinking[..mid]}),
                ));
                out.push(ping());
                out.push(delta(
                    index,
                    json!({"type": "thinking_delta", "thinking": &thinking[mid..]}),
                ));
                out.push(delta(
                    index,
                    json!({"type": "signature_delta", "signature": sig}),
                ));
                out.push(stop(index));
                index += 1;
            }
            if !r.tokens.is_empty() {
                out.push(Event::named("content_block_start", json!({"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}}), false));
                for t in &r.tokens {
                    out.push(delta(index, json!({"type": "text_delta", "text": t})));
                }
                out.push(stop(index));
                index += 1;
            }
            for (k, c) in r.calls.iter().enumerate() {
                out.push(Event::named("content_block_start", json!({"type": "content_block_start", "index": index, "content_block": {"type": "tool_use", "id": c.id, "name": c.name, "input": {}}}), true));
                // The first piece is empty, as the API sends it.
                out.push(delta(
                    index,
                    json!({"type": "input_json_delta", "partial_json": ""}),
                ));
                for (n, piece) in c.pieces.iter().enumerate() {
                    out.push(ping());
                    out.push(delta(
                        index,
                        json!({"type": "input_json_delta", "partial_json": piece}),
                    ));
                    if n == 0 && k + 1 == r.calls.len() {
                        cut = Some(out.len());
                    }
                }
                out.push(stop(index));
                index += 1;
            }
            let reason = if r.calls.is_empty() {
                "end_turn"
            } else {
                "tool_use"
            };
            out.push(Event::named("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": null}, "usage": {"output_tokens": o}}), false));
            out.push(Event::named(
                "message_stop",
                json!({"type": "message_stop"}),
                false,
            ));
        }
        Family::Gemini => {
            let event = |parts: Value| json!({"candidates": [{"content": {"parts": parts, "role": "model"}, "index": 0}], "modelVersion": r.model, "responseId": "fake"});
            for t in &r.tokens {
                out.push(Event::data(event(json!([{"text": t}])).to_string(), true));
            }
            for c in &r.calls {
                out.push(Event::data(
                    event(json!([gemini_call_part(c)])).to_string(),
                    true,
                ));
            }
            if r.cut_in_call {
                cut = Some(out.len());
            }
            let mut last = event(json!([{"text": ""}]));
            if let Some(sig) = &r.late_signature {
                last = event(json!([{"text": "", "thoughtSignature": sig}]));
            }
            last["candidates"][0]["finishReason"] = json!("STOP");
            if let Some((i, o)) = usage {
                last["usageMetadata"] = json!({"promptTokenCount": i, "candidatesTokenCount": o, "totalTokenCount": i + o});
            }
            out.push(Event::data(last.to_string(), false));
        }
    }
    if r.cut_in_call
        && let Some(cut) = cut
    {
        out.truncate(cut);
    }
    out
}

/// A streamed reply with calls as llama-cpp-python's server sends it (see
/// [`CallStyle::LlamaCpp`]), down to the order of the keys.
fn llama_cpp_events(r: &Reply) -> Vec<Event> {
    let chunk = |finish: &str, delta: &str| {
        Event::data(
            format!(
                r#"{{"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1700000000, "model": {}, "choices": [{{"index": 0, "finish_reason": {finish}, "logprobs": null, "delta": {delta}}}]}}"#,
                json!(r.model)
            ),
            false,
        )
    };
    let mut out = vec![chunk(
        "null",
        r#"{"role": "assistant", "content": null, "function_call": null, "tool_calls": null}"#,
    )];
    for t in &r.tokens {
        let mut e = chunk(
            "null",
            &format!(
                r#"{{"role": null, "content": {}, "function_call": null, "tool_calls": null}}"#,
                json!(t)
            ),
        );
        e.content = true;
        out.push(e);
    }
    let mut cut = None;
    for (k, c) in r.calls.iter().enumerate() {
        for (n, piece) in c.pieces.iter().enumerate() {
            let (name, piece) = (json!(c.name), json!(piece));
            let mut e = chunk(
                "null",
                &format!(
                    r#"{{"role": null, "content": null, "function_call": {{"name": {name}, "arguments": {piece}}}, "tool_calls": [{{"index": {k}, "id": {}, "type": "function", "function": {{"name": {name}, "arguments": {piece}}}}}]}}"#,
                    json!(c.id)
                ),
            );
            e.content = true;
            out.push(e);
            if n == 0 && k + 1 == r.calls.len() {
                cut = Some(out.len());
            }
        }
    }
    out.push(chunk(
        r#""tool_calls""#,
        r#"{"role": null, "content": null, "function_call": null, "tool_calls": null}"#,
    ));
    out.push(Event::data("[DONE]".into(), false));
    if r.cut_in_call
        && let Some(cut) = cut
    {
        out.truncate(cut);
    }
    out
}

fn stream_events(family: Family, r: &Reply, include_usage: bool) -> Vec<Event> {
    let mut events = if !r.calls.is_empty() || r.thinking.is_some() || r.late_signature.is_some() {
        call_events(family, r, include_usage)
    } else {
        text_events(family, r, include_usage)
    };
    if r.nulls {
        for e in &mut events {
            if let Ok(mut v) = serde_json::from_str::<Value>(&e.data) {
                fill_nulls(family, &mut v, "");
                e.data = v.to_string();
            }
        }
    }
    events
}

fn text_events(family: Family, r: &Reply, include_usage: bool) -> Vec<Event> {
    let mut out = Vec::with_capacity(r.tokens.len() + 8);
    let usage = r.usage.filter(|_| include_usage);
    match family {
        Family::OpenAi => {
            let chunk = |choices: Value, usage: Value| {
                let mut c = json!({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": r.model, "system_fingerprint": null, "choices": choices});
                if include_usage {
                    c["usage"] = usage;
                }
                c.to_string()
            };
            // The first chunk carries the role and an empty content: not a token.
            out.push(Event::data(
                chunk(json!([{"index": 0, "delta": {"role": "assistant", "content": "", "refusal": null}, "logprobs": null, "finish_reason": null}]), Value::Null),
                false,
            ));
            for t in &r.tokens {
                out.push(Event::data(
                    chunk(json!([{"index": 0, "delta": {"content": t}, "logprobs": null, "finish_reason": null}]), Value::Null),
                    true,
                ));
            }
            out.push(Event::data(
                chunk(
                    json!([{"index": 0, "delta": {}, "logprobs": null, "finish_reason": "stop"}]),
                    Value::Null,
                ),
                false,
            ));
            if let Some((i, o)) = usage {
                out.push(Event::data(
                    chunk(
                        json!([]),
                        json!({"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o}),
                    ),
                    false,
                ));
            }
            out.push(Event::data("[DONE]".into(), false));
        }
        Family::Anthropic => {
            let (i, o) = usage.unwrap_or_default();
            // output_tokens starts at 1 and message_delta carries the cumulative total: a client
            // that adds instead of assigning is off by one.
            out.push(Event::named("message_start", json!({"type": "message_start", "message": {"id": "msg_fake", "type": "message", "role": "assistant", "model": r.model, "content": [], "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": i, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}}}), false));
            out.push(Event::named("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}), false));
            out.push(Event::named("ping", json!({"type": "ping"}), false));
            for t in &r.tokens {
                out.push(Event::named("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}}), true));
            }
            out.push(Event::named(
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
                false,
            ));
            out.push(Event::named("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": o}}), false));
            out.push(Event::named(
                "message_stop",
                json!({"type": "message_stop"}),
                false,
            ));
        }
        Family::Gemini => {
            let n = r.tokens.len();
            for (k, t) in r.tokens.iter().enumerate() {
                let last = k + 1 == n;
                let mut c = json!({"candidates": [{"content": {"parts": [{"text": t}], "role": "model"}, "index": 0}], "modelVersion": r.model, "responseId": "fake"});
                if let Some((i, o)) = usage {
                    c["usageMetadata"] = if last {
                        json!({"promptTokenCount": i, "candidatesTokenCount": o, "totalTokenCount": i + o})
                    } else {
                        json!({"promptTokenCount": i, "totalTokenCount": i})
                    };
                }
                if last {
                    c["candidates"][0]["finishReason"] = json!("STOP");
                }
                out.push(Event::data(c.to_string(), true));
            }
            if n == 0 {
                out.push(Event::data(json!({"candidates": [{"content": {"parts": [{"text": ""}], "role": "model"}, "finishReason": "STOP", "index": 0}], "modelVersion": r.model}).to_string(), false));
            }
        }
    }
    out
}

fn error_event(family: Family) -> Event {
    match family {
        Family::OpenAi => Event::data(
            r#"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#.into(),
            false,
        ),
        Family::Anthropic => Event::named(
            "error",
            json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            false,
        ),
        Family::Gemini => Event::data(
            r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#.into(),
            false,
        ),
    }
}

fn frame(family: Family, ev: &Event, f: Framing) -> Vec<u8> {
    // Gemini frames its events with CRLF.
    let nl = if f.crlf || family == Family::Gemini {
        "\r\n"
    } else {
        "\n"
    };
    let mut s = String::with_capacity(ev.data.len() + 64);
    if f.comments {
        s.push_str(": ping");
        s.push_str(nl);
    }
    if let Some(name) = ev.name {
        s.push_str("event: ");
        s.push_str(name);
        s.push_str(nl);
    }
    let split = if f.multiline_data {
        comma_outside_strings(&ev.data)
    } else {
        None
    };
    match split {
        // Joined back with "\n", which JSON takes as whitespace.
        Some(i) => {
            for part in [&ev.data[..=i], &ev.data[i + 1..]] {
                s.push_str("data: ");
                s.push_str(part);
                s.push_str(nl);
            }
        }
        None => {
            s.push_str("data: ");
            s.push_str(&ev.data);
            s.push_str(nl);
        }
    }
    s.push_str(nl);
    s.into_bytes()
}

/// Where a JSON text can be broken across lines: the first comma between values, not in a string.
fn comma_outside_strings(json: &str) -> Option<usize> {
    let (mut in_string, mut escaped) = (false, false);
    for (i, c) in json.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            ',' if !in_string => return Some(i),
            _ => {}
        }
    }
    None
}

const STREAM_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n";

fn push_chunk(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    out.extend_from_slice(format!("{:x}\r\n", bytes.len()).as_bytes());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// Writes an SSE response with chunked transfer encoding. Stops after `cut_after` content events
/// without the terminating chunk (a dropped connection), returning `false`.
async fn write_stream(
    wr: &mut OwnedWriteHalf,
    family: Family,
    events: &[Event],
    reply: &Reply,
    cut_after: usize,
    request: &Request,
) -> std::io::Result<bool> {
    let start = request.received;
    let f = reply.framing;
    // The first content event's timer readings, until the write that carries it is logged.
    let mut first_write: Option<FirstWrite> = None;
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(&request.tag(family, STREAM_HEAD));
    let mut sent = 0usize;
    // The first content event is due `ttft` after the start, each later one a whole number of
    // token delays after the first: a late wake-up delays one event, not every one after it.
    let mut first_sent = start;
    for ev in events {
        if ev.content && sent == cut_after {
            wr.write_all(&out).await?;
            wr.flush().await?;
            return Ok(false);
        }
        let wait = match (ev.content, sent) {
            (false, _) => Duration::ZERO,
            (true, 0) => reply.ttft,
            (true, _) => reply.token_delay,
        };
        if !wait.is_zero() && !f.one_write {
            // Everything before the pause goes out first, as a real server's would.
            wr.write_all(&out).await?;
            out.clear();
            if let Some(w) = first_write.take() {
                w.log(request);
            }
            let due = match sent {
                0 => start + reply.ttft,
                n => first_sent + reply.token_delay * n as u32,
            };
            let fired = sleep_until_precise(due).await;
            if sent == 0 {
                first_sent = std::time::Instant::now();
                first_write = (!f.split_writes).then(|| FirstWrite {
                    due,
                    fired: fired.unwrap_or(first_sent),
                    woke: first_sent,
                });
            }
        }
        let bytes = frame(family, ev, f);
        if f.split_writes && !f.one_write {
            let mut cuts = vec![bytes.len() / 2];
            if let Some(cr) = bytes.iter().position(|b| *b == b'\r') {
                cuts.push(cr + 1);
            }
            // Inside the first multi-byte character, between its lead byte and the next.
            if let Some(lead) = bytes.iter().position(|b| *b >= 0xC0) {
                cuts.push(lead + 1);
            }
            cuts.sort_unstable();
            cuts.dedup();
            let mut from = 0;
            for cut in cuts.into_iter().chain([bytes.len()]) {
                push_chunk(&mut out, &bytes[from..cut]);
                wr.write_all(&out).await?;
                wr.flush().await?;
                out.clear();
                from = cut;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        } else {
            push_chunk(&mut out, &bytes);
        }
        if ev.content {
            sent += 1;
        }
    }
    out.extend_from_slice(b"0\r\n\r\n");
    wr.write_all(&out).await?;
    if let Some(w) = first_write.take() {
        w.log(request);
    }
    Ok(true)
}

/// When a delayed reply's first content event was due, when the precise timer fired for it,
/// and when the task that writes it woke.
struct FirstWrite {
    due: std::time::Instant,
    fired: std::time::Instant,
    woke: std::time::Instant,
}

impl FirstWrite {
    /// Sends the log line, if [`log_first_writes`] is on; call right after the write that
    /// carried the event.
    fn log(self, request: &Request) {
        let Some(log) = FIRST_WRITES.get() else {
            return;
        };
        let written = std::time::Instant::now();
        let line = json!({
            "request_id": format!("req_{}", request.id),
            "received_ns": unix_nanos(request.received),
            "due_ns": unix_nanos(self.due),
            "fired_ns": unix_nanos(self.fired),
            "woke_ns": unix_nanos(self.woke),
            "written_ns": unix_nanos(written),
        });
        let _ = lock(log).send(format!("{line}\n"));
    }
}

/// Where [`log_first_writes`] sends its lines.
static FIRST_WRITES: std::sync::OnceLock<Mutex<std::sync::mpsc::Sender<String>>> =
    std::sync::OnceLock::new();

/// From now on, append one JSON line per delayed streamed reply to `path`: when the request
/// arrived, when its first content event was due, when the timer fired, when the writing task
/// woke and when the write returned, so a benchmark can tell the fake's own lateness from the
/// client's. Nanoseconds on the Unix clock (so another process can line them up with its own),
/// all read from the monotonic clock. Written by a thread of its own, off the runtime.
pub fn log_first_writes(path: &std::path::Path) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::io::LineWriter::new(std::fs::File::create(path)?);
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::Builder::new()
        .name("fake-provider-log".into())
        .spawn(move || {
            for line in rx {
                let _ = file.write_all(line.as_bytes());
            }
        })?;
    let _ = FIRST_WRITES.set(Mutex::new(tx));
    Ok(())
}

/// `at` in nanoseconds since the Unix epoch, by one (monotonic, system) pair of readings taken
/// once, so that every stamp the process logs is on the same monotonic scale.
fn unix_nanos(at: std::time::Instant) -> i128 {
    static BASE: std::sync::OnceLock<(std::time::Instant, i128)> = std::sync::OnceLock::new();
    let (base, base_unix) = *BASE.get_or_init(|| {
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        (std::time::Instant::now(), unix)
    });
    match at.checked_duration_since(base) {
        Some(d) => base_unix + d.as_nanos() as i128,
        None => base_unix - base.duration_since(at).as_nanos() as i128,
    }
}

/// Sleeps until `deadline` to within some tens of microseconds. tokio's timer rounds every
/// deadline up to its next millisecond tick, so delays injected with it would be off by up to a
/// millisecond (more under load) and a benchmark's accuracy could not be told from the fake's.
/// One OS thread sleeps on a condition variable (a high-resolution futex wait) until the earliest
/// deadline and wakes the waiting task.
///
/// Returns when the timer thread fired (`None` when the deadline had already passed), so the
/// timer's own lateness can be told from the runtime's in waking the task.
pub async fn sleep_until_precise(deadline: std::time::Instant) -> Option<std::time::Instant> {
    if deadline <= std::time::Instant::now() {
        return None;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let timer = precise_timer();
    {
        let mut heap = lock(&timer.heap);
        let seq = timer.seq.fetch_add(1, Ordering::Relaxed);
        heap.push(std::cmp::Reverse(TimerEntry { deadline, seq, tx }));
    }
    timer.wake.notify_one();
    rx.await.ok()
}

struct TimerEntry {
    deadline: std::time::Instant,
    seq: u64,
    /// Gets when the timer fired.
    tx: tokio::sync::oneshot::Sender<std::time::Instant>,
}

impl PartialEq for TimerEntry {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}
impl Eq for TimerEntry {}
impl PartialOrd for TimerEntry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for TimerEntry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.deadline, self.seq).cmp(&(other.deadline, other.seq))
    }
}

struct PreciseTimer {
    heap: Mutex<std::collections::BinaryHeap<std::cmp::Reverse<TimerEntry>>>,
    wake: std::sync::Condvar,
    seq: AtomicU64,
}

fn precise_timer() -> &'static PreciseTimer {
    static TIMER: std::sync::OnceLock<&'static PreciseTimer> = std::sync::OnceLock::new();
    TIMER.get_or_init(|| {
        let timer: &'static PreciseTimer = Box::leak(Box::new(PreciseTimer {
            heap: Mutex::new(std::collections::BinaryHeap::new()),
            wake: std::sync::Condvar::new(),
            seq: AtomicU64::new(0),
        }));
        std::thread::Builder::new()
            .name("fake-provider-timer".into())
            .spawn(move || {
                let mut due = Vec::new();
                let mut heap = lock(&timer.heap);
                loop {
                    let now = std::time::Instant::now();
                    while heap.peek().is_some_and(|e| e.0.deadline <= now) {
                        due.push(heap.pop().expect("peeked").0.tx);
                    }
                    if !due.is_empty() {
                        // Wake the tasks without the lock: a timer thread preempted while
                        // holding it would stall every task that wants to sleep.
                        drop(heap);
                        for tx in due.drain(..) {
                            let _ = tx.send(std::time::Instant::now());
                        }
                        heap = lock(&timer.heap);
                        continue;
                    }
                    heap = match heap.peek() {
                        Some(e) => {
                            let wait = e.0.deadline - now;
                            timer
                                .wake
                                .wait_timeout(heap, wait)
                                .unwrap_or_else(|e| e.into_inner())
                                .0
                        }
                        None => timer.wake.wait(heap).unwrap_or_else(|e| e.into_inner()),
                    };
                }
            })
            .expect("start the fake provider's timer thread");
        timer
    })
}
