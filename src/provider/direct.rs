//! A lean HTTP/1.1 client for plain-`http` endpoints: hyper's connection API and a small pool
//! of keep-alive connections, without reqwest's layers (URL to URI conversion, the pool's
//! bookkeeping, redirect, retry and timeout wrappers, body adapters) on every request.
//!
//! `omc bench` uses it (see [`super::ClientOptions::lean_http`]): against a local server its
//! capacity is bounded by the client's own work per request. It covers what a benchmark sends,
//! a prepared request to a plain-`http` URL; anything else (https, a model list, `omc run`)
//! goes through reqwest. Timeouts, status handling, retries and error messages stay with the
//! caller ([`super::client`]), which treats both transports alike.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::Stream;
use http_body_util::Full;
use hyper::body::{Body as _, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper_util::rt::TokioIo;

use super::client::chain;
use super::wire::Prepared;

type Sender = SendRequest<Full<Bytes>>;

/// Why a request or its reply failed, in the terms the caller maps to an error.
#[derive(Debug)]
pub(super) enum Failed {
    /// No connection: refused, unreachable, or not within the connect timeout.
    Connect(String),
    /// The total or the read timeout passed.
    Timeout,
    /// The connection failed or closed, before or during the reply.
    Io(String),
}

/// Idle keep-alive connections by `host:port`. A connection is put back only once its reply
/// has been read to the end, so one taken from here is free for the next request.
#[derive(Debug)]
pub(super) struct Pool {
    idle: Mutex<HashMap<Box<str>, Vec<Sender>>>,
    user_agent: HeaderValue,
}

impl Pool {
    pub fn new(user_agent: &'static str) -> Arc<Pool> {
        Arc::new(Pool {
            idle: Mutex::default(),
            user_agent: HeaderValue::from_static(user_agent),
        })
    }

    fn take(&self, authority: &str) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let senders = idle.get_mut(authority)?;
        while let Some(s) = senders.pop() {
            if s.is_ready() {
                return Some(s);
            }
        }
        None
    }

    fn put(&self, authority: &str, sender: Sender) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        match idle.get_mut(authority) {
            Some(v) => v.push(sender),
            None => {
                idle.insert(authority.into(), vec![sender]);
            }
        }
    }
}

/// Limits on one request, as [`super::ClientOptions`] sets them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub connect: Duration,
    /// Longest silence between reads, response headers included.
    pub read: Option<Duration>,
    /// When the whole request, reply included, must be done.
    pub deadline: Option<Instant>,
}

impl Limits {
    /// When the wait that starts now must end.
    fn wait_until(&self) -> Option<Instant> {
        let idle = self.read.map(|r| Instant::now() + r);
        match (idle, self.deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// `fut`, or [`Failed::Timeout`] once `until` has passed.
async fn within<T>(
    until: Option<Instant>,
    fut: impl Future<Output = Result<T, Failed>>,
) -> Result<T, Failed> {
    match until {
        Some(t) => tokio::time::timeout_at(t.into(), fut)
            .await
            .unwrap_or(Err(Failed::Timeout)),
        None => fut.await,
    }
}

/// A reply whose headers have arrived; its body is read with [`Reply::into_body`].
pub(super) struct Reply {
    pub head: hyper::http::response::Parts,
    body: Body,
}

impl Reply {
    pub fn status(&self) -> u16 {
        self.head.status.as_u16()
    }

    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    pub fn into_body(self) -> Body {
        self.body
    }
}

/// Sends `p` (whose URL is plain `http`) on an idle connection to its host, or a new one.
pub(super) async fn send(pool: &Arc<Pool>, p: &Prepared, limits: Limits) -> Result<Reply, Failed> {
    let url = &p.url;
    // `[::1]` in the URL and the Host header, `::1` to connect to.
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        Some(h) => h.to_string(),
        None => return Err(Failed::Connect(format!("{url} names no host"))),
    };
    let host = host.as_str();
    let port = url.port_or_known_default().unwrap_or(80);
    let authority: Box<str> = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or(host)).into(),
        None => url.host_str().unwrap_or(host).into(),
    };
    let mut request = hyper::Request::new(Full::new(p.body.clone().unwrap_or_default()));
    *request.method_mut() = p.method.clone();
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    *request.uri_mut() = path
        .parse()
        .map_err(|e| Failed::Io(format!("invalid request path: {e}")))?;
    let headers = request.headers_mut();
    *headers = p.headers.clone();
    let host_value =
        HeaderValue::from_str(&authority).map_err(|e| Failed::Io(format!("invalid host: {e}")))?;
    headers.insert(header::HOST, host_value);
    headers
        .entry(header::USER_AGENT)
        .or_insert_with(|| pool.user_agent.clone());
    headers
        .entry(header::ACCEPT)
        .or_insert_with(|| HeaderValue::from_static("*/*"));

    let mut sender = match pool.take(&authority) {
        Some(s) => s,
        None => within(limits.deadline, connect(host, port, limits.connect)).await?,
    };
    let response = within(limits.wait_until(), async {
        match sender.try_send_request(request).await {
            Ok(r) => Ok(r),
            // A pooled connection the server had closed before the request left: nothing was
            // sent, so it goes once more on a new connection.
            Err(mut e) => match e.take_message() {
                Some(request) => {
                    sender = connect(host, port, limits.connect).await?;
                    sender
                        .send_request(request)
                        .await
                        .map_err(|e| Failed::Io(chain(&e)))
                }
                None => Err(Failed::Io(chain(e.error()))),
            },
        }
    })
    .await?;
    let (head, body) = response.into_parts();
    Ok(Reply {
        head,
        body: Body {
            body,
            home: Some((Arc::clone(pool), authority, sender)),
            timer: None,
            limits,
        },
    })
}

/// A new connection, its HTTP/1.1 handshake done and its I/O driven by a task of its own.
async fn connect(host: &str, port: u16, timeout: Duration) -> Result<Sender, Failed> {
    let open = async {
        let stream = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| Failed::Connect(format!("{host}:{port}: {e}")))?;
        let _ = stream.set_nodelay(true);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Failed::Connect(chain(&e)))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("connection closed: {e}");
            }
        });
        sender
            .ready()
            .await
            .map_err(|e| Failed::Connect(chain(&e)))?;
        Ok(sender)
    };
    tokio::time::timeout(timeout, open)
        .await
        .unwrap_or_else(|_| Err(Failed::Connect(format!("{host}:{port}: connect timed out"))))
}

/// A reply's body as a stream of chunks. Read to its end, its connection goes back to the
/// pool; dropped before, the connection is closed.
pub(super) struct Body {
    body: Incoming,
    home: Option<(Arc<Pool>, Box<str>, Sender)>,
    /// Started at the first wait, then reset at each chunk when there is a read timeout.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    limits: Limits,
}

impl Stream for Body {
    type Item = Result<Bytes, Failed>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers
                    };
                    if this.limits.read.is_some()
                        && let (Some(timer), Some(until)) =
                            (this.timer.as_mut(), this.limits.wait_until())
                    {
                        timer.as_mut().reset(until.into());
                    }
                    return Poll::Ready(Some(Ok(data)));
                }
                Poll::Ready(Some(Err(e))) => {
                    this.home = None;
                    return Poll::Ready(Some(Err(Failed::Io(chain(&e)))));
                }
                Poll::Ready(None) => {
                    if let Some((pool, authority, sender)) = this.home.take() {
                        pool.put(&authority, sender);
                    }
                    return Poll::Ready(None);
                }
                Poll::Pending => {}
            }
            if this.timer.is_none() {
                match this.limits.wait_until() {
                    Some(until) => {
                        this.timer = Some(Box::pin(tokio::time::sleep_until(until.into())))
                    }
                    None => return Poll::Pending,
                }
            }
            let timer = this.timer.as_mut().expect("set above");
            ready!(timer.as_mut().poll(cx));
            this.home = None;
            return Poll::Ready(Some(Err(Failed::Timeout)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server that answers every request on a connection with `body`, keeping it open, and
    /// counts connections and the Host headers it was sent.
    async fn serve(
        listener: tokio::net::TcpListener,
        body: &'static str,
        connections: Arc<AtomicUsize>,
        hosts: Arc<Mutex<Vec<String>>>,
    ) {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            connections.fetch_add(1, Ordering::SeqCst);
            let hosts = Arc::clone(&hosts);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = s.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    // One request: headers, then a body of Content-Length bytes.
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map_or(0, |v| v.trim().parse().unwrap());
                    if buf.len() < end + 4 + length {
                        continue;
                    }
                    if let Some(h) = head.lines().find_map(|l| l.strip_prefix("host:")) {
                        hosts.lock().unwrap().push(h.trim().to_owned());
                    }
                    buf.drain(..end + 4 + length);
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    if s.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    }

    fn prepared(url: &str) -> Prepared {
        Prepared {
            method: hyper::Method::POST,
            url: url.parse().unwrap(),
            headers: HeaderMap::new(),
            body: Some(Bytes::from_static(b"{}")),
        }
    }

    const LIMITS: Limits = Limits {
        connect: Duration::from_secs(5),
        read: Some(Duration::from_secs(5)),
        deadline: None,
    };

    async fn body_of(reply: Reply) -> String {
        use futures_util::StreamExt;
        let mut out = Vec::new();
        let mut body = reply.into_body();
        while let Some(chunk) = body.next().await {
            out.extend_from_slice(&chunk.unwrap());
        }
        String::from_utf8(out).unwrap()
    }

    #[tokio::test]
    async fn a_reply_read_to_the_end_gives_its_connection_to_the_next_request() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (connections, hosts) = (Arc::default(), Arc::default());
        tokio::spawn(serve(
            listener,
            "hello",
            Arc::clone(&connections),
            Arc::clone(&hosts),
        ));
        let pool = Pool::new("omc/test");
        let p = prepared(&format!("http://127.0.0.1:{port}/v1/chat?x=1"));
        for _ in 0..3 {
            let reply = send(&pool, &p, LIMITS).await.unwrap();
            assert_eq!(reply.status(), 200);
            assert_eq!(body_of(reply).await, "hello");
        }
        assert_eq!(
            connections.load(Ordering::SeqCst),
            1,
            "one keep-alive connection"
        );
        // A reply dropped unread takes its connection with it: the next request opens another.
        drop(send(&pool, &p, LIMITS).await.unwrap());
        let reply = send(&pool, &p, LIMITS).await.unwrap();
        assert_eq!(body_of(reply).await, "hello");
        assert_eq!(connections.load(Ordering::SeqCst), 2);
        let hosts = hosts.lock().unwrap().clone();
        assert_eq!(hosts.len(), 5);
        assert!(
            hosts.iter().all(|h| *h == format!("127.0.0.1:{port}")),
            "{hosts:?}"
        );
    }

    #[tokio::test]
    async fn an_ipv6_literal_is_connected_to_without_its_brackets() {
        let Ok(listener) = tokio::net::TcpListener::bind("[::1]:0").await else {
            eprintln!("no IPv6 loopback here; nothing to test");
            return;
        };
        let port = listener.local_addr().unwrap().port();
        let (connections, hosts) = (Arc::default(), Arc::default());
        tokio::spawn(serve(listener, "six", connections, Arc::clone(&hosts)));
        let pool = Pool::new("omc/test");
        let reply = send(&pool, &prepared(&format!("http://[::1]:{port}/v1")), LIMITS)
            .await
            .unwrap();
        assert_eq!(body_of(reply).await, "six");
        assert_eq!(*hosts.lock().unwrap(), [format!("[::1]:{port}")]);
    }

    #[tokio::test]
    async fn a_refused_connection_and_a_silent_server_are_told_apart() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let pool = Pool::new("omc/test");
        let url = format!("http://127.0.0.1:{port}/v1");
        match send(&pool, &prepared(&url), LIMITS).await {
            Err(Failed::Connect(m)) => assert!(m.contains(&port.to_string()), "{m}"),
            other => panic!("expected a connect failure, got {:?}", other.err()),
        }
        // Accepts, never answers: the read timeout ends the wait.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = silent.local_addr().unwrap().port();
        let held = tokio::spawn(async move {
            let conn = silent.accept().await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(conn);
        });
        let limits = Limits {
            read: Some(Duration::from_millis(200)),
            ..LIMITS
        };
        let url = format!("http://127.0.0.1:{port}/v1");
        let started = Instant::now();
        assert!(matches!(
            send(&pool, &prepared(&url), limits).await,
            Err(Failed::Timeout)
        ));
        assert!(started.elapsed() < Duration::from_secs(5));
        held.abort();
    }
}
