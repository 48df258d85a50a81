//! The keyless hand-off: a proxy on loopback that holds the keys, so a program given only a
//! per-run token can use them (`omc exec --proxy`).
//!
//! Each selected provider gets its own URL prefix (`http://127.0.0.1:PORT/openai`,
//! `/anthropic`, `/gemini`, `/deepseek`, …) that stands for that credential's base URL: a
//! request to `{prefix}/REST` is checked for the token, given the real key in the family's
//! header, and forwarded to `{base}/REST`; the answer streams back as it arrives. Each call is a
//! usage-ledger row (kind `proxy`), and the profile's daily limits apply before it is sent.

mod meter;
mod server;
pub mod token;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use secrecy::{ExposeSecret, SecretString};

use crate::creds::Var;
use crate::error::{Error, Result};
use crate::pricing::Prices;
use crate::provider::{Client, ClientOptions, Family, ProviderSpec};
use crate::store::Store;
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

/// What the request handlers share.
struct State {
    token: Token,
    upstreams: Vec<Upstream>,
    http: reqwest::Client,
    ledger: Mutex<Store>,
    profile: String,
    prices: Prices,
    calls: AtomicU64,
}

/// A running proxy; it stops when dropped.
pub struct Proxy {
    runtime: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
    state: Arc<State>,
}

impl Proxy {
    /// Listen on an ephemeral loopback port and serve in the background.
    pub fn start(
        store: Store,
        profile: &str,
        prices: Prices,
        upstreams: Vec<Upstream>,
    ) -> Result<Proxy> {
        let tls = upstreams
            .iter()
            .any(|u| !u.base.to_ascii_lowercase().starts_with("http://"));
        let client = Client::new(ClientOptions {
            // Forwarded as sent: a retry is the program's decision, and an unstreamed answer
            // may take minutes to generate.
            max_retries: 0,
            read_timeout: Some(std::time::Duration::from_secs(600)),
            tls,
            ..ClientOptions::default()
        })
        .map_err(|e| e.into_error("omc"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("omc-proxy")
            .enable_all()
            .build()
            .map_err(|e| Error::io("cannot start the proxy's runtime", e))?;
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0)))
            .map_err(|e| Error::io("cannot listen on 127.0.0.1", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("cannot read the proxy's address", e))?;
        let state = Arc::new(State {
            token: Token::generate(),
            upstreams,
            http: client.http().clone(),
            ledger: Mutex::new(store),
            profile: profile.to_owned(),
            prices,
            calls: AtomicU64::new(0),
        });
        runtime.spawn(server::serve(listener, state.clone()));
        Ok(Proxy {
            runtime: Some(runtime),
            addr,
            state,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The variables a program needs to reach each provider through the proxy: every
    /// spelling popular clients read for the base URL, and the token under every key name.
    pub fn child_vars(&self) -> Vec<Var> {
        let mut vars = Vec::new();
        let token = self.state.token.secret();
        let mut add = |name: &'static str, value: &str| {
            vars.push(Var {
                name,
                value: SecretString::from(value.to_owned()),
            });
        };
        for up in &self.state.upstreams {
            let base = format!("http://{}/{}", self.addr, up.prefix());
            for name in up.spec.key_vars {
                add(name, token.expose_secret());
            }
            add(up.spec.base_url_var, &base);
            match (up.spec.id, up.spec.family) {
                ("openai", _) => {
                    // aichat reads `{CLIENT}_API_BASE`, the base its paths follow.
                    add("OPENAI_API_BASE", &base);
                }
                (_, Family::Anthropic) => {
                    add("CLAUDE_API_KEY", token.expose_secret());
                    add("CLAUDE_API_BASE", &format!("{base}/v1"));
                }
                (_, Family::Gemini) => {
                    add("GOOGLE_GEMINI_BASE_URL", &base);
                    add("GEMINI_API_BASE", &format!("{base}/v1beta"));
                }
                _ => {}
            }
        }
        vars
    }

    /// Stop serving (calls in flight are cut off and recorded as interrupted); returns how
    /// many calls were proxied.
    pub fn stop(mut self) -> u64 {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_timeout(std::time::Duration::from_millis(500));
        }
        self.state.calls.load(Ordering::Relaxed)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
