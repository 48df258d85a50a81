//! The conversation side of `omc run` and `omc chat`: which stored conversation a run
//! continues (`-c`, `--conversation`), what carries over from it, and storing each exchange
//! age-encrypted (unless `--no-log` or `log = false`).

use clap::Args;

use crate::agent::transcript::{ConversationLog, Exchange, TurnUsage};
use crate::config::Config;
use crate::creds::CredentialBackend;
use crate::error::Result;
use crate::provider::{ChatResponse, Conversation, Message};
use crate::store::{ConversationRow, ConversationSave, Credential, Store};

#[derive(Debug, Clone, Default, Args)]
pub struct ConvArgs {
    /// Continue the profile's last conversation (its credential, model and system prompt
    /// carry over unless given)
    #[arg(short = 'c', long = "continue", conflicts_with_all = ["conversation", "agent"])]
    pub continue_last: bool,

    /// Continue this conversation (an id from `omc log`)
    #[arg(long, value_name = "ID", conflicts_with = "agent")]
    pub conversation: Option<i64>,

    /// Store nothing of this run but its usage row (or `log = false` in config.toml)
    #[arg(long)]
    pub no_log: bool,
}

/// Where the conversation comes from and whether it is kept.
pub struct Thread {
    /// The conversation so far (the stored one when continuing), and its id once stored.
    pub log: ConversationLog,
    pub stored: Option<i64>,
    /// The row of the conversation continued: its credential and model carry over.
    pub prior: Option<ConversationRow>,
    /// Store each exchange.
    pub keep: bool,
    /// Keep the first words of the first prompt in plaintext (`log_titles = true`).
    pub titles: bool,
    /// `run` or `chat`.
    pub kind: &'static str,
}

/// The conversation `args` asks to continue: its row and ciphertext, read without the key.
pub fn find(
    store: &Store,
    profile: &str,
    args: &ConvArgs,
) -> Result<Option<(ConversationRow, Vec<u8>)>> {
    if let Some(id) = args.conversation {
        let (row, body) = store.conversation(id)?;
        if row.profile != profile {
            return Err(crate::error::Error::not_found(
                "conversation",
                id.to_string(),
            ));
        }
        return Ok(Some((row, body)));
    }
    if args.continue_last {
        return match store.last_conversation(profile)? {
            Some(found) => Ok(Some(found)),
            None => Err(crate::error::Error::not_found("conversation", "last")),
        };
    }
    Ok(None)
}

impl Thread {
    /// A thread continuing `found` (decrypted with the backend's master key), or a new one.
    pub fn start(
        creds: &mut dyn CredentialBackend,
        found: Option<(ConversationRow, Vec<u8>)>,
        args: &ConvArgs,
        config: &Config,
        kind: &'static str,
    ) -> Result<Thread> {
        let keep = !args.no_log && config.log != Some(false);
        let titles = config.log_titles == Some(true);
        Ok(match found {
            Some((row, body)) => {
                let identity = &creds.master_key()?.identity;
                let log = ConversationLog::open(identity, row.id, &body)?;
                Thread {
                    log,
                    stored: Some(row.id),
                    prior: Some(row),
                    keep,
                    titles,
                    kind,
                }
            }
            None => Thread {
                log: ConversationLog::new(0, Conversation::default()),
                stored: None,
                prior: None,
                keep,
                titles,
                kind,
            },
        })
    }

    /// The credential to use when no flag names one: the continued conversation's.
    pub fn credential(&self) -> Option<&str> {
        self.prior.as_ref().and_then(|r| r.credential.as_deref())
    }

    /// The model to use on `cred` when `--model` is not given: the continued conversation's,
    /// when `cred` is the credential it ran on.
    pub fn model_for(&self, cred: &Credential) -> Option<String> {
        let prior = self.prior.as_ref()?;
        (prior.credential.as_deref() == Some(&cred.name))
            .then(|| prior.model.clone())
            .flatten()
    }

    /// The system prompt: the one given, else the conversation's.
    pub fn system(&self, given: Option<&str>) -> Option<String> {
        given
            .map(str::to_owned)
            .or_else(|| self.log.conversation.system.clone())
    }

    /// The conversation to send: the history, `system`, and the new prompt.
    pub fn with_prompt(&self, system: Option<String>, prompt: &str) -> Conversation {
        let mut conv = self.log.conversation.clone();
        conv.system = system;
        conv.push(Message::user(prompt));
        conv
    }

    /// Record an answered exchange: `sent` (what was sent, the prompt last) and the reply.
    /// Stored at once, sealed to the store's own key, unless the thread is not kept.
    pub fn answered(
        &mut self,
        creds: &mut dyn CredentialBackend,
        sent: Conversation,
        ex: Answered<'_>,
    ) -> Result<Option<i64>> {
        self.log.conversation = sent;
        self.log.conversation.push(ex.resp.message.clone());
        self.log.exchanges.push(Exchange {
            at: crate::time::now_ms(),
            credential: ex.cred.name.clone(),
            provider: ex.cred.provider.clone(),
            model: ex.resp.model.clone(),
            usage: TurnUsage {
                input_tokens: ex.resp.usage.input_tokens,
                output_tokens: ex.resp.usage.output_tokens,
                estimated: ex.resp.usage.estimated,
            },
            cost_usd: ex.cost,
            latency_ms: crate::time::ms(ex.resp.latency()),
            finish_reason: ex.resp.finish_reason.clone(),
        });
        if !self.keep {
            return Ok(None);
        }
        self.save(creds, ex.cred, ex.asked_model).map(Some)
    }

    /// Store the conversation as it stands (`/save` in a chat stores one that is not kept).
    pub fn save(
        &mut self,
        creds: &mut dyn CredentialBackend,
        cred: &Credential,
        model: &str,
    ) -> Result<i64> {
        // Sealed to the key that opened the credential: proven to be the store's own.
        let recipient = creds.master_key()?.identity.to_public();
        let title = match (self.stored, self.titles) {
            (None, true) => Some(title(&self.log.conversation)),
            _ => None,
        };
        let (mut input, mut output, mut cost) = (0u64, 0u64, Some(0.0));
        for e in &self.log.exchanges {
            input += e.usage.input_tokens.unwrap_or(0);
            output += e.usage.output_tokens.unwrap_or(0);
            cost = cost.zip(e.cost_usd).map(|(a, b)| a + b);
        }
        let profile = creds.profile().to_owned();
        let save = ConversationSave {
            id: self.stored,
            profile: &profile,
            kind: self.kind,
            credential: Some(&cred.name),
            provider: Some(&cred.provider),
            model: Some(model),
            exchanges: self.log.exchanges.len() as u32,
            input_tokens: input,
            output_tokens: output,
            cost_usd: cost,
            title: title.as_deref(),
        };
        let log = &mut self.log;
        let id = creds.store().save_conversation(&save, |id| {
            log.id = id;
            log.seal(&recipient)
        })?;
        self.stored = Some(id);
        Ok(id)
    }

    /// Start afresh (`/new` in a chat): the next exchange begins a new conversation.
    pub fn reset(&mut self) {
        self.log = ConversationLog::new(0, Conversation::default());
        self.stored = None;
        self.prior = None;
    }
}

/// An answered exchange, for [`Thread::answered`].
pub struct Answered<'a> {
    pub cred: &'a Credential,
    pub resp: &'a ChatResponse,
    pub cost: Option<f64>,
    /// The model asked for (what `-c` asks for again).
    pub asked_model: &'a str,
}

/// The first words of the first prompt, for a user who opted into plaintext titles.
fn title(conv: &Conversation) -> String {
    let first = conv.messages.first().map(Message::text).unwrap_or_default();
    let words: Vec<&str> = first.split_whitespace().take(8).collect();
    let mut t = words.join(" ");
    if t.chars().count() > 60 {
        t = t.chars().take(60).collect();
    }
    t
}
