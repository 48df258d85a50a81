//! One `omc chat` session's state and its exchanges, each metered, streamed and stored as an
//! `omc run -c` is (the functions are `omc run`'s own).

use std::io::Write;

use secrecy::SecretString;

use super::Ctx;
use super::run::{self, Attempt, Outcome, RunArgs, Settings};
use super::run_log::{self, Thread};
use crate::creds::CredentialBackend;
use crate::error::{Error, Result};
use crate::provider::{ChatRequest, Client, Target};
use crate::store::{Credential, FailKind, RunEnd};

pub struct Chat<'a> {
    ctx: &'a Ctx,
    args: &'a RunArgs,
    settings: Settings,
    creds: Box<dyn CredentialBackend + 'a>,
    pub thread: Thread,
    pub cred: Credential,
    pub model: String,
    pub system: Option<String>,
    secret: Option<SecretString>,
    client: Client,
    /// Files (`-a`, `/attach`) that go with the next prompt.
    pending: Vec<crate::attach::Attachment>,
}

impl<'a> Chat<'a> {
    pub fn open(ctx: &'a Ctx, args: &'a RunArgs) -> Result<Chat<'a>> {
        let settings = Settings::with_prompt(ctx, args, String::new(), None)?;
        let mut creds = ctx.credentials()?;
        let found = run_log::find(creds.store(), ctx.profile(), &args.conv)?;
        let thread = Thread::start(creds.as_mut(), found, &args.conv, &settings.config, "chat")?;
        let cred = run::candidates(creds.as_mut(), args, thread.credential())?
            .into_iter()
            .next()
            .expect("one credential at least");
        let model = match &args.model {
            Some(m) => m.clone(),
            None => model_of(&thread, &cred)?,
        };
        let system = thread.system(args.system.as_deref());
        if args.attach.iter().any(|a| a.as_os_str() == "-") {
            return Err(Error::usage_hint(
                "omc chat reads the terminal, so it cannot attach standard input",
                "attach a file: omc chat -a FILE, or /attach FILE",
            ));
        }
        let pending = crate::attach::load_all(&args.attach)?;
        let client = run::client_for(std::slice::from_ref(&cred), settings.timeout)?;
        Ok(Chat {
            ctx,
            args,
            settings,
            creds,
            thread,
            cred,
            model,
            system,
            secret: None,
            client,
            pending,
        })
    }

    pub fn set_model(&mut self, name: &str) -> Result<String> {
        let model = crate::bounds::parse_model(name).map_err(Error::usage)?;
        self.model = model;
        Ok(format!("model {}", crate::terminal::line(&self.model)))
    }

    pub fn set_credential(&mut self, name: &str) -> Result<String> {
        if name.is_empty() {
            return Err(Error::usage("give a credential's name (see `omc list`)"));
        }
        let cred = self.creds.get(name)?;
        self.client = run::client_for(std::slice::from_ref(&cred), self.settings.timeout)?;
        self.model = model_of(&self.thread, &cred)?;
        self.cred = cred;
        self.secret = None;
        Ok(format!(
            "credential {} ({})",
            crate::terminal::line(&self.cred.name),
            crate::terminal::line(&self.model)
        ))
    }

    /// `/save`: store the conversation now, and every exchange after.
    pub fn save(&mut self) -> Result<String> {
        if self.thread.log.exchanges.is_empty() {
            return Ok("nothing to save yet".to_owned());
        }
        self.thread.keep = true;
        let id = self
            .thread
            .save(self.creds.as_mut(), &self.cred, &self.model)?;
        Ok(format!("saved as conversation {id} (`omc log show {id}`)"))
    }

    /// Send `prompt`, stream the answer, record it. Errors are shown; the chat goes on.
    pub fn say(&mut self, prompt: &str) {
        if let Err(e) = self.exchange(prompt) {
            super::chat::report(&e);
        }
    }

    /// `/attach FILE`: read it now (bounded, type from its bytes); it goes with the next prompt.
    pub fn attach(&mut self, path: &str) -> Result<String> {
        if path.is_empty() || path == "-" {
            return Err(Error::usage_hint(
                "/attach needs a file",
                "/attach PATH (an image, a PDF or a text file)",
            ));
        }
        let a = crate::attach::Attachment::load(std::path::Path::new(path))?;
        self.pending.push(a);
        Ok(format!(
            "attached {} ({} with the next prompt)",
            crate::terminal::line(path),
            match self.pending.len() {
                1 => "1 file goes".to_owned(),
                n => format!("{n} files go"),
            }
        ))
    }

    fn exchange(&mut self, prompt: &str) -> Result<()> {
        let spec = crate::provider::require(&self.cred.provider)?;
        let mut conv = self.thread.with_prompt(self.system.clone(), prompt);
        crate::attach::attach_to(&mut conv, &self.pending);
        // A model that cannot take them is told here, before anything is sent.
        crate::attach::check(spec, &self.model, &conv)?;
        self.pending.clear();
        let request = ChatRequest {
            temperature: self.args.temperature,
            max_tokens: Some(self.settings.max_tokens),
            stream: !self.args.no_stream,
            ..ChatRequest::new(self.model.clone(), conv.clone())
        };
        let attempt = Attempt {
            cred: &self.cred,
            provider: spec.id,
            model: &self.model,
            conv: &conv,
        };
        let run_id = run::begin_run(self.ctx, self.creds.store(), &self.settings, &attempt)?;
        if self.secret.is_none() {
            match self.creds.reveal(&self.cred) {
                Ok(s) => self.secret = Some(s),
                Err(e) => {
                    let end = RunEnd::failed(FailKind::NotStarted);
                    let _ = self.creds.store().finish_run(run_id, &end);
                    return Err(e);
                }
            }
            self.creds
                .mark_used(&[&self.cred], "run", Some(&format!("chat {}", self.model)))?;
        }
        let target = Target {
            spec,
            base_url: self.cred.base_url.as_deref(),
            key: self.secret.as_ref().expect("revealed above"),
        };
        let (outcome, partial) = run::call(self.ctx, self.args, &self.client, &target, &request)?;
        let store = self.creds.store();
        match outcome {
            Outcome::Done(resp) => {
                let cost = run::cost(&self.settings.prices, spec.id, &resp, &self.model);
                run::finish_done(store, run_id, &resp, cost)?;
                let mut out = std::io::stdout().lock();
                if !run::streams_to_stdout(self.ctx, self.args) {
                    let shown = run::shown(run::neutralise(self.args), &resp.text);
                    out.write_all(shown.as_bytes())
                        .map_err(crate::output::stdout_error)?;
                }
                if !resp.text.ends_with('\n') {
                    writeln!(out).map_err(crate::output::stdout_error)?;
                }
                drop(out);
                let answered = run_log::Answered {
                    cred: &self.cred,
                    resp: &resp,
                    cost,
                    asked_model: &self.model,
                };
                self.thread.answered(self.creds.as_mut(), conv, answered)?;
            }
            Outcome::Interrupted => {
                let price = self.settings.prices.get(spec.id, &self.model);
                run::finish_interrupted(store, run_id, prompt, &partial, price)?;
                // The stopped answer is not kept: the next prompt goes on from before it.
                println!();
                self.ctx
                    .out
                    .note("[answer stopped; it is not part of the conversation]");
            }
            Outcome::Failed(e) => {
                store.finish_run(run_id, &RunEnd::failed(FailKind::Provider(e.kind)))?;
                if !partial.is_empty() {
                    println!();
                }
                return Err(run::provider_error(e, spec.id, self.settings.timeout));
            }
        }
        Ok(())
    }
}

/// The model to use on `cred`: the continued conversation's, the credential's, the provider's.
fn model_of(thread: &Thread, cred: &Credential) -> Result<String> {
    let spec = crate::provider::require(&cred.provider)?;
    Ok(thread
        .model_for(cred)
        .or_else(|| cred.model.clone())
        .unwrap_or_else(|| spec.default_model.to_owned()))
}
