//! Providers: the table of what omc can talk to, and (in the submodules) how.
//!
//! The table is data: adding an OpenAI-compatible provider is one entry, not a code branch.

use serde::{Deserialize, Serialize};

mod anthropic;
pub mod client;
pub mod conversation;
mod direct;
pub mod echo;
#[cfg(test)]
mod fuzz;
mod gemini;
mod openai;
pub mod redact;
mod sse;
pub mod types;
mod wire;

pub use client::{Client, ClientOptions, PreparedChat, Target, estimate_tokens};
pub use conversation::{
    Conversation, FinishReason, Malformed, Message, Opaque, Part, Role, ToolCall, ToolChoice,
    ToolResult, ToolSpec,
};
pub use redact::redact;
pub use types::{ChatRequest, ChatResponse, Delta, ErrorKind, Event, ProviderError, Usage};

/// The reply length omc asks for when neither the user nor the config gave one (Anthropic's
/// API requires one; `run`, agents and `bench` use the same so their figures compare).
pub const DEFAULT_MAX_TOKENS: u32 = 1024;

/// The API family a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// OpenAI Chat Completions: `{base}/chat/completions`, `{base}/models`, Bearer auth.
    OpenAi,
    /// Anthropic Messages: `{base}/v1/messages`, `{base}/v1/models`, `x-api-key`.
    Anthropic,
    /// Gemini Generative Language: `{base}/v1beta/models/{model}:generateContent`, `x-goog-api-key`.
    Gemini,
    /// Built in and offline: a deterministic streamed reply, for dry runs.
    Echo,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProviderSpec {
    pub id: &'static str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub aliases: &'static [&'static str],
    pub family: Family,
    /// `None`: the user must give `--base-url`.
    pub default_base: Option<&'static str>,
    /// Environment variables `exec`/`env` set to the key, in order of convention.
    pub key_vars: &'static [&'static str],
    /// Environment variable `exec`/`env` set to a credential's base URL, when it has one.
    pub base_url_var: &'static str,
    pub default_model: &'static str,
}

pub static PROVIDERS: &[ProviderSpec] = &[
    ProviderSpec {
        id: "openai",
        aliases: &[],
        family: Family::OpenAi,
        default_base: Some("https://api.openai.com/v1"),
        key_vars: &["OPENAI_API_KEY"],
        base_url_var: "OPENAI_BASE_URL",
        default_model: "gpt-4o-mini",
    },
    ProviderSpec {
        id: "anthropic",
        aliases: &["claude"],
        family: Family::Anthropic,
        default_base: Some("https://api.anthropic.com"),
        key_vars: &["ANTHROPIC_API_KEY"],
        base_url_var: "ANTHROPIC_BASE_URL",
        default_model: "claude-haiku-4-5",
    },
    ProviderSpec {
        id: "gemini",
        aliases: &["google"],
        family: Family::Gemini,
        default_base: Some("https://generativelanguage.googleapis.com"),
        key_vars: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        base_url_var: "GEMINI_BASE_URL",
        default_model: "gemini-2.5-flash",
    },
    ProviderSpec {
        id: "deepseek",
        aliases: &[],
        family: Family::OpenAi,
        default_base: Some("https://api.deepseek.com"),
        key_vars: &["DEEPSEEK_API_KEY"],
        base_url_var: "DEEPSEEK_BASE_URL",
        default_model: "deepseek-chat",
    },
    ProviderSpec {
        id: "openrouter",
        aliases: &[],
        family: Family::OpenAi,
        default_base: Some("https://openrouter.ai/api/v1"),
        key_vars: &["OPENROUTER_API_KEY"],
        base_url_var: "OPENROUTER_BASE_URL",
        default_model: "openai/gpt-4o-mini",
    },
    ProviderSpec {
        id: "groq",
        aliases: &[],
        family: Family::OpenAi,
        default_base: Some("https://api.groq.com/openai/v1"),
        key_vars: &["GROQ_API_KEY"],
        base_url_var: "GROQ_BASE_URL",
        default_model: "llama-3.1-8b-instant",
    },
    ProviderSpec {
        id: "mistral",
        aliases: &[],
        family: Family::OpenAi,
        default_base: Some("https://api.mistral.ai/v1"),
        key_vars: &["MISTRAL_API_KEY"],
        base_url_var: "MISTRAL_BASE_URL",
        default_model: "mistral-small-latest",
    },
    ProviderSpec {
        id: "xai",
        aliases: &["grok"],
        family: Family::OpenAi,
        default_base: Some("https://api.x.ai/v1"),
        key_vars: &["XAI_API_KEY"],
        base_url_var: "XAI_BASE_URL",
        default_model: "grok-3-mini",
    },
    ProviderSpec {
        id: "ollama",
        aliases: &[],
        family: Family::OpenAi,
        default_base: Some("http://localhost:11434/v1"),
        key_vars: &["OLLAMA_API_KEY"],
        base_url_var: "OLLAMA_BASE_URL",
        default_model: "llama3.2",
    },
    ProviderSpec {
        id: "openai-compatible",
        aliases: &["compatible"],
        family: Family::OpenAi,
        default_base: None,
        key_vars: &["OPENAI_COMPATIBLE_API_KEY"],
        base_url_var: "OPENAI_COMPATIBLE_BASE_URL",
        default_model: "default",
    },
    ProviderSpec {
        id: "echo",
        aliases: &[],
        family: Family::Echo,
        default_base: None,
        key_vars: &["OMC_ECHO_API_KEY"],
        base_url_var: "OMC_ECHO_BASE_URL",
        default_model: "echo-1",
    },
];

/// A provider by id or alias.
pub fn lookup(id: &str) -> Option<&'static ProviderSpec> {
    let id = id.trim().to_ascii_lowercase();
    PROVIDERS
        .iter()
        .find(|p| p.id == id || p.aliases.contains(&id.as_str()))
}

/// A provider by id or alias, or a usage error suggesting the nearest one, or listing them.
pub fn require(id: &str) -> crate::error::Result<&'static ProviderSpec> {
    lookup(id).ok_or_else(|| {
        let known = PROVIDERS
            .iter()
            .map(|p| p.id)
            .collect::<Vec<_>>()
            .join(", ");
        let hint = match suggest(id) {
            Some(near) => format!("did you mean '{near}'? (known providers: {known})"),
            None => format!("known providers: {known}"),
        };
        crate::error::Error::usage_hint(format!("unknown provider '{id}'"), hint)
    })
}

/// The known id or alias closest to a mistyped one, when it is close.
fn suggest(id: &str) -> Option<&'static str> {
    crate::suggest::nearest(
        id,
        PROVIDERS
            .iter()
            .flat_map(|p| std::iter::once(p.id).chain(p.aliases.iter().copied())),
    )
}

impl ProviderSpec {
    /// Whether talking to this provider at `custom` (or its default base) may need TLS.
    pub fn needs_tls(&self, custom: Option<&str>) -> bool {
        match self.family {
            Family::Echo => false,
            _ => self
                .base_url(custom)
                .is_none_or(|b| !b.to_ascii_lowercase().starts_with("http://")),
        }
    }

    /// The base URL requests go to: the credential's own, else the provider's default.
    pub fn base_url<'a>(&'a self, custom: Option<&'a str>) -> Option<&'a str> {
        custom
            .or(self.default_base)
            .map(|b| b.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistyped_provider_gets_the_nearest_id() {
        assert_eq!(suggest("opnai"), Some("openai"));
        assert_eq!(suggest("anthropc"), Some("anthropic"));
        assert_eq!(suggest("gemni"), Some("gemini"));
        assert_eq!(suggest("gorq"), Some("groq"));
        assert_eq!(suggest("OPENAI-COMPATBLE"), Some("openai-compatible"));
        assert_eq!(suggest("llama"), Some("ollama"));
        assert_eq!(suggest("cohere"), None);
        assert_eq!(suggest("x"), None);
    }

    #[test]
    fn only_https_bases_need_tls() {
        assert!(lookup("openai").unwrap().needs_tls(None));
        assert!(
            !lookup("openai")
                .unwrap()
                .needs_tls(Some("http://127.0.0.1:8000/v1"))
        );
        assert!(!lookup("ollama").unwrap().needs_tls(None));
        assert!(!lookup("echo").unwrap().needs_tls(None));
    }

    #[test]
    fn aliases_resolve() {
        assert_eq!(lookup("google").unwrap().id, "gemini");
        assert_eq!(lookup("OpenAI").unwrap().id, "openai");
        assert!(lookup("nope").is_none());
    }

    #[test]
    fn ids_and_variables_are_unique() {
        let mut vars: Vec<_> = PROVIDERS.iter().flat_map(|p| p.key_vars.iter()).collect();
        let n = vars.len();
        vars.sort();
        vars.dedup();
        assert_eq!(vars.len(), n);
    }

    #[test]
    fn gemini_exports_both_conventional_variables() {
        assert_eq!(
            lookup("gemini").unwrap().key_vars,
            ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
        );
    }
}
