//! The real [`Executor`]: one shared [`Client`] (one connection pool, so keep-alive connections
//! are reused across requests and targets) and every request built once, up front: checked,
//! serialised, its URL parsed and its key header made before the first is sent.

use std::future::Future;

use secrecy::SecretString;

use crate::bench::Executor;
use crate::provider::{
    ChatRequest, ChatResponse, Client, PreparedChat, ProviderError, ProviderSpec, Target,
};

/// A target's connection details; the key stays a `SecretString`.
pub struct Endpoint {
    pub spec: &'static ProviderSpec,
    pub base_url: Option<String>,
    pub key: SecretString,
}

pub struct HttpExecutor {
    client: Client,
    endpoints: Vec<Endpoint>,
    /// `requests[target * prompts + prompt]`.
    requests: Vec<ChatRequest>,
    /// What goes on the wire for each request, built once (or why it cannot be sent, which
    /// every attempt then reports, as an unprepared send would).
    prepared: Vec<Result<PreparedChat, ProviderError>>,
    prompts: usize,
}

impl HttpExecutor {
    /// `requests` is indexed `[target][prompt]`.
    pub fn new(client: Client, endpoints: Vec<Endpoint>, requests: Vec<Vec<ChatRequest>>) -> Self {
        let prompts = requests.first().map_or(0, Vec::len);
        let requests: Vec<ChatRequest> = requests.into_iter().flatten().collect();
        let prepared = requests
            .iter()
            .enumerate()
            .map(|(i, req)| client.prepare(&target(&endpoints[i / prompts.max(1)]), req))
            .collect();
        HttpExecutor {
            client,
            endpoints,
            requests,
            prepared,
            prompts,
        }
    }
}

fn target(e: &Endpoint) -> Target<'_> {
    Target {
        spec: e.spec,
        base_url: e.base_url.as_deref(),
        key: &e.key,
    }
}

impl Executor for HttpExecutor {
    fn execute(
        &self,
        target_index: usize,
        prompt: usize,
    ) -> impl Future<Output = Result<ChatResponse, ProviderError>> + Send {
        let e = &self.endpoints[target_index];
        let i = target_index * self.prompts + prompt;
        let (req, prepared) = (&self.requests[i], &self.prepared[i]);
        async move {
            let prepared = prepared.as_ref().map_err(Clone::clone)?;
            // The text is not shown as it streams; the response keeps it whole.
            self.client
                .send_prepared(&target(e), prepared, req, &mut |_| {})
                .await
        }
    }
}
