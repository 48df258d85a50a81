//! `omc run`: send a prompt with a stored credential, stream the answer, record what it cost.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::Args;
use serde::Serialize;

use super::Ctx;
use crate::config::Config;
use crate::creds::CredentialBackend;
use crate::error::{Error, Result};
use crate::pricing::Prices;
use crate::provider::{
    ChatRequest, ChatResponse, Client, ClientOptions, Delta, ProviderError, Target, Usage,
    estimate_tokens,
};
use crate::store::{Credential, FailKind, RunEnd, RunKind, RunStart, RunStatus};

use super::run_log::{self, Thread};

/// A run's total limit when neither `--timeout` nor `run.timeout` sets one: a drip-fed stream
/// must not hold a CI job forever.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The prompt. Piped stdin is appended to it as context, or is the prompt when none is given
    pub prompt: Option<String>,

    /// Credential to use [default: --provider's default, else the profile's default]
    #[arg(long, value_name = "NAME", conflicts_with = "provider", add = crate::complete::credentials())]
    pub credential: Option<String>,

    /// Use this provider's default credential
    #[arg(long, value_name = "PROVIDER", add = crate::complete::providers())]
    pub provider: Option<String>,

    /// Model [default: the credential's model, else the provider's default]
    #[arg(long, short, value_parser = crate::bounds::parse_model)]
    pub model: Option<String>,

    /// System prompt
    #[arg(long, short)]
    pub system: Option<String>,

    /// Sampling temperature
    #[arg(long)]
    pub temperature: Option<f32>,

    /// Most tokens to generate [default: 1024, or run.max_tokens in config.toml]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tokens: Option<u32>,

    /// Wait for the whole answer instead of streaming it
    #[arg(long)]
    pub no_stream: bool,

    /// Credentials to try in order when the first fails with 429/5xx after retries, a timeout,
    /// or an unknown model (each uses its own model)
    #[arg(long, value_delimiter = ',', value_name = "NAME,…", add = crate::complete::credentials())]
    pub fallback: Vec<String>,

    /// Give up on a request after this long, retries included (e.g. 60s) [default: 10m, or
    /// run.timeout in config.toml]
    #[arg(long, value_name = "DURATION")]
    pub timeout: Option<String>,

    /// On a terminal, pass escape sequences in the answer through to it (by default they are
    /// shown escaped; piped output is always byte-exact)
    #[arg(long)]
    pub raw: bool,

    /// Ask for JSON matching this schema: a JSON Schema file, inline JSON, or a spec such as
    /// 'name, age int, tags [str]' (types: str, int, float, bool, [T]). Stdout is exactly the
    /// document; an answer that does not match exits 6
    #[arg(long, value_name = "FILE|JSON|SPEC", conflicts_with = "agent")]
    pub schema: Option<String>,
    /// Attach a file: a PNG, JPEG, WebP or GIF image, a PDF, or a text file (type read from
    /// its bytes); repeatable. `-a -` reads standard input (the prompt is then the argument)
    #[arg(
        long = "attach",
        short = 'a',
        value_name = "FILE",
        conflicts_with = "agent"
    )]
    pub attach: Vec<std::path::PathBuf>,
    #[command(flatten)]
    pub conv: super::run_log::ConvArgs,
    #[command(flatten)]
    pub agent: super::agent_run::AgentRunArgs,
}

#[derive(Debug, Serialize)]
struct RunOutput<'a> {
    text: &'a str,
    /// With `--schema`: the answer as the JSON document it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<&'a serde_json::Value>,
    provider: &'a str,
    model: &'a str,
    credential: &'a str,
    usage: Usage,
    cost_usd: Option<f64>,
    ttft_ms: Option<f64>,
    latency_ms: f64,
    finish_reason: Option<&'a str>,
    /// The provider's id for the request (`x-request-id` / `request-id`), when it sent one.
    request_id: Option<&'a str>,
    /// Credentials that failed before this one answered.
    fell_back_from: Vec<String>,
    /// The stored conversation (`omc run -c` / `--conversation ID` continue it); `null` with
    /// `--no-log`.
    conversation: Option<i64>,
}

pub(crate) enum Outcome {
    Done(Box<ChatResponse>),
    Failed(ProviderError),
    Interrupted,
}

pub fn run(ctx: &Ctx, args: &RunArgs) -> Result<()> {
    if args.agent.agent.is_some() {
        return super::agent_run::run(ctx, args);
    }
    let settings = Settings::load(ctx, args)?;
    let mut creds = ctx.credentials()?;
    let found = run_log::find(creds.store(), ctx.profile(), &args.conv)?;
    let mut thread = Thread::start(creds.as_mut(), found, &args.conv, &settings.config, "run")?;
    let candidates = candidates(creds.as_mut(), args, thread.credential())?;
    let mut conv = thread.with_prompt(thread.system(args.system.as_deref()), &settings.prompt);
    crate::attach::attach_to(&mut conv, &settings.attachments);
    // Every candidate can take the attachments, or nothing is sent.
    for (i, cred) in candidates.iter().enumerate() {
        let spec = crate::provider::require(&cred.provider)?;
        crate::attach::check(spec, &model_for(i, cred, spec, args, &thread), &conv)?;
    }
    let client = client_for(&candidates, settings.timeout)?;

    // Each candidate in turn, until one answers or fails in a way another would not fix.
    let mut failed: Vec<String> = Vec::new();
    for (i, cred) in candidates.iter().enumerate() {
        let spec = crate::provider::require(&cred.provider)?;
        let model = model_for(i, cred, spec, args, &thread);
        let request = ChatRequest {
            temperature: args.temperature,
            max_tokens: Some(settings.max_tokens),
            stream: !args.no_stream,
            schema: settings.schema.clone(),
            ..ChatRequest::new(model.clone(), conv.clone())
        };
        let attempt = Attempt {
            cred,
            provider: spec.id,
            model: &model,
            conv: &conv,
        };
        let run_id = begin_run(ctx, creds.store(), &settings, &attempt)?;
        // A key that cannot be had (master key locked, engine unreachable) ends the ledger row.
        let secret = match creds.reveal(cred) {
            Ok(s) => s,
            Err(e) => {
                let _ = creds
                    .store()
                    .finish_run(run_id, &RunEnd::failed(FailKind::NotStarted));
                return Err(e);
            }
        };
        creds.mark_used(&[cred], "run", Some(&model))?;
        let target = Target {
            spec,
            base_url: cred.base_url.as_deref(),
            key: &secret,
        };
        let (outcome, partial) = call(ctx, args, &client, &target, &request)?;

        let store = creds.store();
        match outcome {
            Outcome::Done(resp) => {
                let cost = cost(&settings.prices, spec.id, &resp, &model);
                finish_done(store, run_id, &resp, cost)?;
                let answered = run_log::Answered {
                    cred,
                    resp: &resp,
                    cost,
                    asked_model: &model,
                };
                let conversation = thread.answered(creds.as_mut(), conv, answered)?;
                let document = match &settings.schema {
                    Some(schema) => Some(structured(schema, &resp, spec.id)?),
                    None => None,
                };
                let streamed = streams_to_stdout(ctx, args);
                return render(
                    ctx,
                    args,
                    Rendered {
                        cred,
                        resp: &resp,
                        cost,
                        document: document.as_ref(),
                        conversation,
                    },
                    failed,
                    streamed,
                );
            }
            Outcome::Interrupted => {
                let price = settings.prices.get(spec.id, &model);
                finish_interrupted(store, run_id, &settings.prompt, &partial, price)?;
                return Err(Error::Interrupted);
            }
            Outcome::Failed(e) => {
                store.finish_run(run_id, &RunEnd::failed(FailKind::Provider(e.kind)))?;
                // Fall back only before any text was shown: the answer would be two answers.
                let next = candidates.get(i + 1).filter(|_| partial.is_empty());
                match next {
                    Some(next) if e.falls_back() => {
                        ctx.out.warn(format!(
                            "{} failed ({}); falling back to {}",
                            cred.name,
                            e.clone().into_error(spec.id),
                            next.name
                        ));
                        failed.push(cred.name.clone());
                    }
                    _ => return Err(provider_error(e, spec.id, settings.timeout)),
                }
            }
        }
    }
    unreachable!("the loop returns on the last candidate")
}

/// The model candidate `i` is asked for: `--model` applies to the first only; then the model
/// the continued conversation used with that credential, then the credential's own.
fn model_for(
    i: usize,
    cred: &Credential,
    spec: &crate::provider::ProviderSpec,
    args: &RunArgs,
    thread: &Thread,
) -> String {
    match (i, &args.model) {
        (0, Some(m)) => m.clone(),
        _ => thread
            .model_for(cred)
            .or_else(|| cred.model.clone())
            .unwrap_or_else(|| spec.default_model.to_owned()),
    }
}

/// What a run needs before it picks a credential: the prompt, prices, the token cap and the
/// total time limit (flags first, then config.toml).
pub(crate) struct Settings {
    prompt: String,
    /// Files sent with the prompt (`-a`).
    attachments: Vec<crate::attach::Attachment>,
    pub config: Config,
    schema: Option<crate::schema::OutputSchema>,
    pub prices: Prices,
    pub max_tokens: u32,
    pub timeout: Duration,
}

impl Settings {
    fn load(ctx: &Ctx, args: &RunArgs) -> Result<Self> {
        // The schema first: a bad one is refused before stdin is read.
        let schema = match &args.schema {
            Some(arg) => Some(crate::schema::OutputSchema::parse(arg)?),
            None => None,
        };
        let attachments = crate::attach::load_all(&args.attach)?;
        let prompt = if args.attach.iter().any(|a| a.as_os_str() == "-") {
            // Standard input is the attachment: the prompt is the argument alone.
            prompt_argument(args.prompt.as_deref())?
        } else {
            read_prompt(args.prompt.as_deref())?
        };
        Ok(Settings {
            attachments,
            ..Settings::with_prompt(ctx, args, prompt, schema)?
        })
    }

    /// The settings of a run whose prompt is already known (a chat reads its own).
    pub(crate) fn with_prompt(
        ctx: &Ctx,
        args: &RunArgs,
        prompt: String,
        schema: Option<crate::schema::OutputSchema>,
    ) -> Result<Self> {
        let config = Config::load(&ctx.paths.config_file)?;
        let prices = Prices::load(&config.prices)?;
        let max_tokens = args
            .max_tokens
            .or(config.run.max_tokens)
            .unwrap_or(crate::provider::DEFAULT_MAX_TOKENS);
        let timeout = total_limit(args.timeout.as_deref().or(config.run.timeout.as_deref()))?;
        Ok(Settings {
            prompt,
            attachments: Vec::new(),
            config,
            schema,
            prices,
            max_tokens,
            timeout,
        })
    }
}

/// One client for every candidate; TLS trust roots are loaded only when one of them needs TLS.
pub(crate) fn client_for(candidates: &[Credential], timeout: Duration) -> Result<Client> {
    let tls = candidates.iter().any(|c| {
        crate::provider::lookup(&c.provider).is_none_or(|s| s.needs_tls(c.base_url.as_deref()))
    });
    Client::new(ClientOptions {
        total_timeout: Some(timeout),
        tls,
        ..ClientOptions::default()
    })
    .map_err(|e| e.into_error("omc"))
}

/// The answer streams to stdout as it comes, unless the run is unstreamed, prints JSON, or
/// must be checked against a schema before anything is printed.
pub(crate) fn streams_to_stdout(ctx: &Ctx, args: &RunArgs) -> bool {
    !args.no_stream && !ctx.global.json && args.schema.is_none()
}

/// The answer to a `--schema` run: the document and its text as the model wrote it, or exit 6
/// with what does not match.
fn structured(
    schema: &crate::schema::OutputSchema,
    resp: &ChatResponse,
    provider: &str,
) -> Result<(serde_json::Value, String)> {
    match schema.check_answer(&resp.text) {
        Ok(doc) => Ok((doc, crate::schema::document_text(&resp.text).to_owned())),
        Err(why) => {
            let shown: String = resp.text.chars().take(300).collect();
            let more = if resp.text.chars().count() > 300 {
                "…"
            } else {
                ""
            };
            Err(Error::Provider {
                provider: provider.to_owned(),
                message: why,
            }
            .with_hint(format!(
                "the answer was: {}{more}",
                crate::terminal::line(&shown)
            )))
        }
    }
}

/// One attempt at an answer: on which credential and model, sending what.
pub(crate) struct Attempt<'a> {
    pub cred: &'a Credential,
    pub provider: &'a str,
    pub model: &'a str,
    pub conv: &'a crate::provider::Conversation,
}

/// The ledger row of one attempt, reserving the conversation's estimate and the token cap
/// against the profile's limits (refused with exit 8 when over).
pub(crate) fn begin_run(
    ctx: &Ctx,
    store: &mut crate::store::Store,
    settings: &Settings,
    a: &Attempt<'_>,
) -> Result<i64> {
    let reserve =
        estimate_tokens(&a.conv.text_for_estimate_spaced()) + u64::from(settings.max_tokens);
    let (run_id, warning) = store.begin_run(&RunStart {
        profile: ctx.profile(),
        credential: Some((&a.cred.name, &a.cred.id)),
        provider: a.provider,
        model: a.model,
        kind: RunKind::Run,
        agent: None,
        reserve_tokens: reserve,
    })?;
    if let Some(w) = warning {
        ctx.out.warn(w);
    }
    Ok(run_id)
}

/// Send the request, streaming the answer to stdout as it comes (when it should), until it
/// ends, fails or Ctrl-C. Returns the outcome and the text received so far.
pub(crate) fn call(
    ctx: &Ctx,
    args: &RunArgs,
    client: &Client,
    target: &Target<'_>,
    request: &ChatRequest,
) -> Result<(Outcome, String)> {
    let stream_to_stdout = streams_to_stdout(ctx, args);
    let neutralise = neutralise(args);
    let mut partial = String::new();
    let mut write_error: Option<std::io::Error> = None;
    let outcome = crate::runtime::block_on(async {
        let mut on_delta = |d: Delta<'_>| {
            partial.push_str(d.text);
            if stream_to_stdout && write_error.is_none() {
                let mut out = std::io::stdout().lock();
                let shown = shown(neutralise, d.text);
                if let Err(e) = out.write_all(shown.as_bytes()).and_then(|_| out.flush()) {
                    write_error = Some(e);
                }
            }
        };
        tokio::select! {
            r = client.chat(target, request, &mut on_delta) => match r {
                Ok(resp) => Outcome::Done(Box::new(resp)),
                Err(e) => Outcome::Failed(e),
            },
            _ = crate::runtime::interrupted() => Outcome::Interrupted,
        }
    })?;
    match write_error {
        Some(e) => Err(crate::output::stdout_error(e)),
        None => Ok((outcome, partial)),
    }
}

pub(crate) fn finish_done(
    store: &mut crate::store::Store,
    run_id: i64,
    resp: &ChatResponse,
    cost: Option<f64>,
) -> Result<()> {
    store.finish_run(
        run_id,
        &RunEnd {
            status: RunStatus::Ok,
            model: Some(&resp.model),
            input_tokens: resp.usage.input_tokens,
            output_tokens: resp.usage.output_tokens,
            estimated: resp.usage.estimated,
            ttft_ms: resp.ttft().map(ms),
            latency_ms: Some(ms(resp.latency())),
            cost_usd: cost,
            ..RunEnd::default()
        },
    )
}

/// Ctrl-C: what was sent and received so far, estimated, and what that cost.
pub(crate) fn finish_interrupted(
    store: &mut crate::store::Store,
    run_id: i64,
    prompt: &str,
    partial: &str,
    price: Option<crate::pricing::Price>,
) -> Result<()> {
    let input = estimate_tokens(prompt);
    let output = estimate_tokens(partial);
    store.finish_run(
        run_id,
        &RunEnd {
            status: RunStatus::Interrupted,
            input_tokens: Some(input),
            output_tokens: Some(output),
            estimated: true,
            cost_usd: price.map(|p| p.cost(input, output)),
            ..RunEnd::default()
        },
    )
}

/// A provider's failure as the run's error; a timeout names the limit and how to raise it.
pub(crate) fn provider_error(e: ProviderError, provider: &str, timeout: Duration) -> Error {
    if e.kind == crate::provider::ErrorKind::Timeout {
        return e.into_error(provider).with_hint(format!(
            "the run's total limit is {}: raise it with --timeout or run.timeout in config.toml",
            humantime::format_duration(timeout)
        ));
    }
    e.into_error(provider)
}

use crate::time::ms;

pub(crate) fn cost(
    prices: &Prices,
    provider: &str,
    resp: &ChatResponse,
    asked: &str,
) -> Option<f64> {
    let price = prices
        .get(provider, &resp.model)
        .or_else(|| prices.get(provider, asked))?;
    Some(price.cost(resp.usage.input_tokens?, resp.usage.output_tokens?))
}

/// What a finished run prints.
struct Rendered<'a> {
    cred: &'a Credential,
    resp: &'a ChatResponse,
    cost: Option<f64>,
    /// With `--schema`: the document, and its text as the model wrote it.
    document: Option<&'a (serde_json::Value, String)>,
    /// The stored conversation's id.
    conversation: Option<i64>,
}

fn render(
    ctx: &Ctx,
    args: &RunArgs,
    r: Rendered<'_>,
    fell_back_from: Vec<String>,
    streamed: bool,
) -> Result<()> {
    let Rendered {
        cred,
        resp,
        cost,
        document,
        conversation,
    } = r;
    if ctx.global.json {
        return ctx.out.json(&RunOutput {
            text: &resp.text,
            output: document.map(|(doc, _)| doc),
            provider: &cred.provider,
            model: &resp.model,
            credential: &cred.name,
            usage: resp.usage,
            cost_usd: cost,
            ttft_ms: resp.ttft().map(ms),
            latency_ms: ms(resp.latency()),
            finish_reason: resp.finish_reason.as_deref(),
            request_id: resp.request_id.as_deref(),
            fell_back_from,
            conversation,
        });
    }
    let mut out = std::io::stdout().lock();
    if let Some((_, text)) = document {
        // Exactly the document, one line ending: what `jq` and scripts read.
        writeln!(out, "{}", shown(neutralise(args), text)).map_err(crate::output::stdout_error)?;
        out.flush().map_err(crate::output::stdout_error)?;
        return Ok(());
    }
    if !streamed {
        out.write_all(shown(neutralise(args), &resp.text).as_bytes())
            .map_err(crate::output::stdout_error)?;
    }
    // On a terminal, end the answer's line; in a pipe, the text stays exactly as sent.
    if std::io::stdout().is_terminal() && !resp.text.ends_with('\n') {
        writeln!(out).map_err(crate::output::stdout_error)?;
    }
    out.flush().map_err(crate::output::stdout_error)?;
    Ok(())
}

/// Model output is untrusted (a prompt injection can make a model emit escape sequences): on a
/// terminal it is shown escaped unless `--raw`; in a pipe it stays byte-exact.
pub(crate) fn neutralise(args: &RunArgs) -> bool {
    !args.raw && std::io::stdout().is_terminal()
}

pub(crate) fn shown(neutralise: bool, text: &str) -> std::borrow::Cow<'_, str> {
    if neutralise {
        crate::terminal::text(text)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// The run's total limit: the one given, else [`DEFAULT_TIMEOUT`].
fn total_limit(given: Option<&str>) -> Result<Duration> {
    match given {
        Some(t) => humantime::parse_duration(t)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                Error::usage_hint(
                    format!("invalid timeout '{}'", crate::terminal::line(t)),
                    "use e.g. 30s or 2m",
                )
            }),
        None => Ok(DEFAULT_TIMEOUT),
    }
}

/// The prompt from the argument and/or piped stdin.
pub(crate) fn read_prompt(arg: Option<&str>) -> Result<String> {
    let mut piped = String::new();
    if !std::io::stdin().is_terminal() {
        // Bounded: `omc run < /dev/zero` ends at the limit, not when memory runs out.
        let limit = crate::bounded::Limit::PIPED_PROMPT;
        let bytes = crate::bounded::read(std::io::stdin(), "standard input", limit)?;
        piped = std::mem::take(&mut *crate::bounded::into_string(
            bytes,
            "standard input",
            limit,
        )?);
    }
    // An empty argument is no prompt, not a request for the provider to answer nothing.
    let arg = arg.filter(|a| !a.trim().is_empty());
    match (arg, piped.trim().is_empty()) {
        (Some(p), true) => Ok(p.to_owned()),
        (Some(p), false) => Ok(format!("{p}\n\n{piped}")),
        (None, false) => Ok(piped),
        (None, true) => Err(Error::usage_hint(
            "no prompt given",
            "pass it as an argument (omc run \"…\") or pipe it on stdin",
        )),
    }
}

/// The prompt when standard input is attached (`-a -`): the argument, which must be there.
fn prompt_argument(arg: Option<&str>) -> Result<String> {
    match arg.filter(|a| !a.trim().is_empty()) {
        Some(p) => Ok(p.to_owned()),
        None => Err(Error::usage_hint(
            "no prompt given",
            "with -a - standard input is the attachment: give the prompt as an argument (omc run -a - \"…\")",
        )),
    }
}

/// The credential to use, then the `--fallback` ones, each with its ciphertext.
/// `continued`: the credential of the conversation continued, used when no flag names one.
pub(crate) fn candidates(
    creds: &mut dyn CredentialBackend,
    args: &RunArgs,
    continued: Option<&str>,
) -> Result<Vec<Credential>> {
    let first = match (&args.credential, &args.provider, continued) {
        (Some(n), _, _) => n.clone(),
        (None, Some(p), _) => {
            let spec = crate::provider::require(p)?;
            creds.default_name(Some(spec.id))?
        }
        (None, None, Some(c)) => c.to_owned(),
        (None, None, None) => creds.default_name(None)?,
    };
    let mut out = vec![creds.get(&first)?];
    for name in &args.fallback {
        if out.iter().all(|c| &c.name != name) {
            out.push(creds.get(name)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_without_a_timeout_still_has_a_total_limit() {
        assert_eq!(total_limit(None).unwrap(), Duration::from_secs(600));
        assert_eq!(total_limit(Some("90s")).unwrap(), Duration::from_secs(90));
        assert_eq!(total_limit(Some("soon")).unwrap_err().exit_code(), 2);
        assert_eq!(total_limit(Some("0s")).unwrap_err().exit_code(), 2);
    }
}
