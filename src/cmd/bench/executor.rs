//! The real [`Executor`]: one shared [`Client`] (one connection pool, so keep-alive connections
//! are reused across requests and targets) and every request built once, up front.

use std::future::Future;

use secrecy::SecretString;

use crate::bench::Executor;
use crate::provider::{ChatRequest, ChatResponse, Client, ProviderError, ProviderSpec, Target};

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
    prompts: usize,
}

impl HttpExecutor {
    /// `requests` is indexed `[target][prompt]`.
    pub fn new(client: Client, endpoints: Vec<Endpoint>, requests: Vec<Vec<ChatRequest>>) -> Self {
        let prompts = requests.first().map_or(0, Vec::len);
        HttpExecutor {
            client,
            endpoints,
            requests: requests.into_iter().flatten().collect(),
            prompts,
        }
    }
}

impl Executor for HttpExecutor {
    fn execute(
        &self,
        target: usize,
        prompt: usize,
    ) -> impl Future<Output = Result<ChatResponse, ProviderError>> + Send {
        let e = &self.endpoints[target];
        let req = &self.requests[target * self.prompts + prompt];
        async move {
            let target = Target {
                spec: e.spec,
                base_url: e.base_url.as_deref(),
                key: &e.key,
            };
            // The text is not shown as it streams; the response keeps it whole.
            self.client.chat(&target, req, &mut |_| {}).await
        }
    }
}
