//! The keyless hand-off: a proxy on loopback that holds the keys, so a program given only a
//! per-run token can use them (`omc exec --proxy`, `omc serve`).
//!
//! Each selected provider gets its own URL prefix (`http://127.0.0.1:PORT/openai`,
//! `/anthropic`, `/gemini`, `/deepseek`, …) that stands for that credential's base URL: a
//! request to `{prefix}/REST` is checked for the token, given the real key in the family's
//! header, and forwarded to `{base}/REST`; the answer streams back as it arrives. Each call is a
//! usage-ledger row (kind `proxy`), and the profile's daily limits apply before it is sent.
//! A call the provider answers with 429 or 5xx is sent once more on the family's fallback
//! credential, when one was given, before any byte of the answer reaches the program. Each run
//! leaves one `proxy` audit entry (credentials, what ran, how many calls), written as it stops.

mod meter;
mod server;
pub mod token;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

use crate::creds::{CredentialBackend, Selection, Var};
use crate::error::{Error, Result};
use crate::pricing::Prices;
use crate::provider::{Client, ClientOptions, Family, ProviderSpec};
use crate::store::{Credential, Store};
use token::Token;

/// Where one provider's calls go, and with which key.
pub struct Upstream {
    pub spec: &'static ProviderSpec,
    pub credential: String,
    pub credential_id: String,
    /// The credential's base URL, else the provider's default; no trailing `/`.
    pub base: String,
    pub key: SecretString,
}

impl Upstream {
    /// The URL path prefix that stands for this upstream's base URL.
    fn prefix(&self) -> &'static str {
        self.spec.id
    }
}

/// The credentials a run proxies, their keys decrypted, and the store their calls are
/// recorded in.
pub struct Prepared {
    store: Store,
    prices: Prices,
    upstreams: Vec<Upstream>,
    fallbacks: Vec<Upstream>,
}

impl Prepared {
    /// The selected credentials (each provider's default when none is named) and the
    /// `fallbacks`, each of which must speak the family of one selected credential.
    pub fn open(
        mut backend: Box<dyn CredentialBackend + '_>,
        prices: Prices,
        selection: &Selection<'_>,
        fallbacks: &[String],
        warn: &dyn Fn(&str),
    ) -> Result<Prepared> {
        let creds: Vec<Credential> = crate::creds::select(backend.as_mut(), selection)?
            .into_iter()
            .filter(|c| {
                let proxied = proxiable(c);
                if !proxied {
                    warn(&format!(
                        "skipping '{}': the {} provider has no API to proxy",
                        c.name, c.provider
                    ));
                }
                proxied
            })
            .collect();
        if creds.is_empty() {
            return Err(Error::not_found("credential", "(any provider default)"));
        }
        let mut spare: Vec<Credential> = Vec::new();
        for name in fallbacks {
            let cred = backend.get(name)?;
            let spec = crate::provider::require(&cred.provider)?;
            if creds.iter().chain(&spare).any(|c| c.id == cred.id) {
                return Err(Error::usage_hint(
                    format!("'{name}' is both proxied and its own fallback"),
                    "name another credential of the same family with --fallback",
                ));
            }
            if !proxiable(&cred) {
                return Err(Error::usage(format!(
                    "'{name}' cannot be a fallback: the {} provider has no API to proxy",
                    cred.provider
                )));
            }
            let family_of = |c: &Credential| crate::provider::lookup(&c.provider).map(|s| s.family);
            if !creds.iter().any(|c| family_of(c) == Some(spec.family)) {
                return Err(Error::usage_hint(
                    format!(
                        "'{name}' is a {} credential, and no proxied credential speaks its API",
                        cred.provider
                    ),
                    "a fallback takes over calls of its own family (OpenAI-compatible, Anthropic or Gemini)",
                ));
            }
            if spare.iter().any(|c| family_of(c) == Some(spec.family)) {
                return Err(Error::usage(format!(
                    "two fallbacks for the same family: give one --fallback per family ('{name}')"
                )));
            }
            spare.push(cred);
        }
        let mut reveal = |creds: &[Credential]| -> Result<Vec<Upstream>> {
            let mut out = Vec::new();
            for cred in creds {
                let spec = crate::provider::require(&cred.provider)?;
                let Some(base) = spec.base_url(cred.base_url.as_deref()) else {
                    continue;
                };
                out.push(Upstream {
                    spec,
                    credential: cred.name.clone(),
                    credential_id: cred.id.clone(),
                    base: base.to_owned(),
                    key: backend.reveal(cred)?,
                });
            }
            Ok(out)
        };
        let upstreams = reveal(&creds)?;
        let fallbacks = reveal(&spare)?;
        Ok(Prepared {
            store: backend.into_store(),
            prices,
            upstreams,
            fallbacks,
        })
    }
}

/// Whether a credential's provider has an HTTP API to stand in front of.
fn proxiable(c: &Credential) -> bool {
    crate::provider::lookup(&c.provider)
        .is_some_and(|s| s.default_base.is_some() || c.base_url.is_some())
        && c.provider != "echo"
}

/// Where the proxy listens.
#[derive(Debug, Clone)]
pub enum Listen {
    Tcp(SocketAddr),
    /// A Unix socket, created mode 0600 and removed when the proxy stops.
    Unix(PathBuf),
}

/// A certificate chain and its private key, PEM files, to serve HTTPS with.
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// How a proxy runs; the default is `omc exec --proxy`'s: an ephemeral loopback port, plain
/// HTTP, a token that lives as long as the proxy.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: Listen,
    /// Needed to listen off loopback.
    pub tls: Option<Tls>,
    /// The token stops working this long after the proxy starts.
    pub ttl: Option<Duration>,
    /// What the run is, for the audit entry: `exec PROGRAM` or `serve`.
    pub purpose: String,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            listen: Listen::Tcp(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)),
            tls: None,
            ttl: None,
            purpose: String::new(),
        }
    }
}

/// A TLS certificate or key file is never near this big.
const TLS_FILE: crate::bounded::Limit =
    crate::bounded::Limit::new("TLS certificate or key", 1 << 20);

/// What the request handlers share.
struct State {
    token: Token,
    /// When the token stops working (`--ttl`).
    expires: Option<Instant>,
    upstreams: Vec<Upstream>,
    fallbacks: Vec<Upstream>,
    http: reqwest::Client,
    ledger: Mutex<Store>,
    profile: String,
    prices: Prices,
    calls: AtomicU64,
}

impl State {
    /// The credential a failed call of `up` is retried on, if any.
    fn fallback_for(&self, up: &Upstream) -> Option<&Upstream> {
        self.fallbacks
            .iter()
            .find(|f| f.spec.family == up.spec.family)
    }
}

/// A running proxy; it stops when dropped.
pub struct Proxy {
    runtime: Option<tokio::runtime::Runtime>,
    /// Where programs reach it: `http://127.0.0.1:PORT`, `https://…`, or `http://localhost`
    /// on a Unix socket.
    origin: String,
    /// What it listens on, for people: `127.0.0.1:PORT` or `unix:PATH`.
    address: String,
    socket: Option<PathBuf>,
    token_file: Option<PathBuf>,
    purpose: String,
    audited: bool,
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
    #[cfg(not(unix))]
    signals: Option<()>,
    state: Arc<State>,
}

impl Proxy {
    /// Listen where `options` says and serve in the background.
    pub fn start(prepared: Prepared, profile: &str, options: Options) -> Result<Proxy> {
        let Prepared {
            store,
            prices,
            upstreams,
            fallbacks,
        } = prepared;
        let tls = upstreams
            .iter()
            .chain(&fallbacks)
            .any(|u| !u.base.to_ascii_lowercase().starts_with("http://"));
        let client = Client::new(ClientOptions {
            // Forwarded as sent: a retry is the program's decision (or the fallback's), and an
            // unstreamed answer may take minutes to generate.
            max_retries: 0,
            read_timeout: Some(Duration::from_secs(600)),
            tls,
            ..ClientOptions::default()
        })
        .map_err(|e| e.into_error("omc"))?;
        let acceptor = options.tls.as_ref().map(tls_acceptor).transpose()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("omc-proxy")
            .enable_all()
            .build()
            .map_err(|e| Error::io("cannot start the proxy's runtime", e))?;
        let (listener, origin, address, socket) = match &options.listen {
            Listen::Tcp(addr) => {
                let listener = runtime
                    .block_on(tokio::net::TcpListener::bind(addr))
                    .map_err(|e| Error::io(format!("cannot listen on {addr}"), e))?;
                let bound = listener
                    .local_addr()
                    .map_err(|e| Error::io("cannot read the proxy's address", e))?;
                // A program on this machine reaches an unspecified address on loopback.
                let shown = match bound.ip() {
                    IpAddr::V4(ip) if ip.is_unspecified() => {
                        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), bound.port())
                    }
                    IpAddr::V6(ip) if ip.is_unspecified() => {
                        SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), bound.port())
                    }
                    _ => bound,
                };
                let scheme = if acceptor.is_some() { "https" } else { "http" };
                (
                    server::Listener::Tcp(listener, acceptor),
                    format!("{scheme}://{shown}"),
                    bound.to_string(),
                    None,
                )
            }
            #[cfg(unix)]
            Listen::Unix(path) => {
                let listener = runtime.block_on(async { bind_unix(path) })?;
                (
                    server::Listener::Unix(listener),
                    "http://localhost".to_owned(),
                    format!("unix:{}", path.display()),
                    Some(path.clone()),
                )
            }
            #[cfg(not(unix))]
            Listen::Unix(_) => {
                return Err(Error::usage_hint(
                    "Unix sockets are not available on this system",
                    "listen on a loopback port instead: --port N",
                ));
            }
        };
        let state = Arc::new(State {
            token: Token::generate(),
            expires: options.ttl.map(|t| Instant::now() + t),
            upstreams,
            fallbacks,
            http: client.http().clone(),
            ledger: Mutex::new(store),
            profile: profile.to_owned(),
            prices,
            calls: AtomicU64::new(0),
        });
        runtime.spawn(server::serve(listener, state.clone()));
        Ok(Proxy {
            runtime: Some(runtime),
            origin,
            address,
            socket,
            token_file: None,
            purpose: options.purpose,
            audited: false,
            signals: None,
            state,
        })
    }

    /// What it listens on: `127.0.0.1:PORT` or `unix:PATH`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Each proxied provider and the base URL that stands for it.
    pub fn urls(&self) -> Vec<(&'static str, String)> {
        self.state
            .upstreams
            .iter()
            .map(|u| (u.spec.id, format!("{}/{}", self.origin, u.prefix())))
            .collect()
    }

    /// The token, to show once.
    pub fn token(&self) -> &SecretString {
        self.state.token.secret()
    }

    /// Write the token to a new file only its owner can read (refused if `path` exists); the
    /// file is removed when the proxy stops.
    pub fn write_token_file(&mut self, path: &Path) -> Result<()> {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut file = opts.open(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Error::usage_hint(
                format!("{} already exists", path.display()),
                "--token-file writes a new file: name one that does not exist",
            ),
            _ => Error::io_path("create", path, e),
        })?;
        self.token_file = Some(path.to_owned());
        file.write_all(self.state.token.secret().expose_secret().as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(|e| Error::io_path("write", path, e))
    }

    /// The variables a program needs to reach each provider through the proxy: every
    /// spelling popular clients read for the base URL, and the token under every key name.
    pub fn child_vars(&self) -> Vec<Var> {
        self.vars()
            .into_iter()
            .map(|(name, value, _)| Var {
                name,
                value: SecretString::from(value),
            })
            .collect()
    }

    /// [`Proxy::child_vars`], each marked whether it is the token (true) or a base URL.
    pub fn vars(&self) -> Vec<(&'static str, String, bool)> {
        let mut vars = Vec::new();
        let token = self.state.token.secret().expose_secret();
        let mut add = |name: &'static str, value: &str, secret: bool| {
            vars.push((name, value.to_owned(), secret));
        };
        for up in &self.state.upstreams {
            let base = format!("{}/{}", self.origin, up.prefix());
            for name in up.spec.key_vars {
                add(name, token, true);
            }
            add(up.spec.base_url_var, &base, false);
            match (up.spec.id, up.spec.family) {
                ("openai", _) => {
                    // aichat reads `{CLIENT}_API_BASE`, the base its paths follow.
                    add("OPENAI_API_BASE", &base, false);
                }
                (_, Family::Anthropic) => {
                    add("CLAUDE_API_KEY", token, true);
                    add("CLAUDE_API_BASE", &format!("{base}/v1"), false);
                }
                (_, Family::Gemini) => {
                    add("GOOGLE_GEMINI_BASE_URL", &base, false);
                    add("GEMINI_API_BASE", &format!("{base}/v1beta"), false);
                }
                _ => {}
            }
        }
        vars
    }

    /// From now on SIGINT (Ctrl-C) and SIGTERM no longer end omc: they are kept for
    /// [`Proxy::wait_for_stop_signal`]. Called before anything tells a caller the proxy is
    /// ready, so a signal sent at once still stops it cleanly.
    pub fn catch_stop_signals(&mut self) -> Result<()> {
        let Some(rt) = &self.runtime else {
            return Ok(());
        };
        let _entered = rt.enter();
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let int =
                signal(SignalKind::interrupt()).map_err(|e| Error::io("cannot catch Ctrl-C", e))?;
            let term = signal(SignalKind::terminate())
                .map_err(|e| Error::io("cannot catch SIGTERM", e))?;
            self.signals = Some((int, term));
        }
        Ok(())
    }

    /// Serve until SIGINT or SIGTERM (Ctrl-C).
    pub fn wait_for_stop_signal(&mut self) -> Result<()> {
        if self.signals.is_none() {
            self.catch_stop_signals()?;
        }
        let Some(rt) = &self.runtime else {
            return Ok(());
        };
        #[cfg(unix)]
        {
            let Some((int, term)) = &mut self.signals else {
                return Ok(());
            };
            rt.block_on(async {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            });
            Ok(())
        }
        #[cfg(not(unix))]
        rt.block_on(tokio::signal::ctrl_c())
            .map_err(|e| Error::io("cannot wait for Ctrl-C", e))
    }

    /// Stop serving (calls in flight are cut off and recorded as interrupted), write the run's
    /// audit entry; returns how many calls were proxied.
    pub fn stop(mut self) -> u64 {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(Duration::from_millis(500));
        }
        self.finish();
        self.state.calls.load(Ordering::Relaxed)
    }

    /// Once: the audit entry, and the socket and token file removed.
    fn finish(&mut self) {
        if self.audited {
            return;
        }
        self.audited = true;
        for path in [self.socket.take(), self.token_file.take()]
            .into_iter()
            .flatten()
        {
            let _ = std::fs::remove_file(path);
        }
        let calls = self.state.calls.load(Ordering::Relaxed);
        let creds: Vec<(&str, &str)> = self
            .state
            .upstreams
            .iter()
            .chain(&self.state.fallbacks)
            .map(|u| (u.credential.as_str(), u.credential_id.as_str()))
            .collect();
        let mut detail = format!(
            "{}, {calls} call{}",
            self.purpose,
            if calls == 1 { "" } else { "s" }
        );
        if !self.state.fallbacks.is_empty() {
            let names: Vec<&str> = self
                .state
                .fallbacks
                .iter()
                .map(|f| f.credential.as_str())
                .collect();
            detail.push_str(&format!(", fallback {}", names.join(", ")));
        }
        let mut store = self.state.ledger.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = store.mark_used_once(&self.state.profile, &creds, "proxy", Some(&detail)) {
            tracing::warn!("cannot record the proxy run in the audit log: {e}");
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
        self.finish();
    }
}

/// Bind a Unix socket only its owner can connect to: made under a umask that leaves it 0600
/// from the start, not chmod-ed after.
#[cfg(unix)]
fn bind_unix(path: &Path) -> Result<tokio::net::UnixListener> {
    let old = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o177));
    let bound = tokio::net::UnixListener::bind(path);
    rustix::process::umask(old);
    let listener = bound.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => Error::usage_hint(
            format!("{} already exists", path.display()),
            "another omc serve may be using it; if none is, remove the file",
        ),
        _ => Error::io(format!("cannot listen on {}", path.display()), e),
    })?;
    crate::paths::set_mode(path, 0o600)?;
    Ok(listener)
}

/// The TLS server setup from PEM files: a certificate chain and its private key.
fn tls_acceptor(tls: &Tls) -> Result<tokio_rustls::TlsAcceptor> {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |path: &Path, what: &str| {
        Error::usage_hint(
            format!("{} holds no {what}", path.display()),
            "give PEM files: --tls-cert the certificate chain, --tls-key its private key",
        )
    };
    let pem = crate::bounded::read_file(&tls.cert, TLS_FILE)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| bad(&tls.cert, "readable PEM certificate"))?;
    if certs.is_empty() {
        return Err(bad(&tls.cert, "certificate"));
    }
    let pem = crate::bounded::read_file(&tls.key, TLS_FILE)?;
    let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|_| bad(&tls.key, "private key"))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Other(format!("cannot set up TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            Error::usage_hint(
                format!("cannot use the TLS certificate and key: {e}"),
                "--tls-key must be the private key of --tls-cert's certificate",
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}
