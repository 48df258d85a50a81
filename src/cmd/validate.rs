//! `omc validate [NAME… | --all]`: live checks that spend no tokens (they list models).

use std::time::{Duration, Instant};

use clap::Args;
use secrecy::SecretString;
use serde::Serialize;

use super::Ctx;
use crate::creds::CredentialBackend;
use crate::error::{Error, Result};
use crate::provider::{Client, ClientOptions, ProviderError, ProviderSpec, Target};
use crate::store::{Credential, FailKind, RunEnd, RunKind, RunStart, RunStatus};
use crate::terminal::line;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Credentials to check [default: the profile's default]
    #[arg(add = crate::complete::credentials())]
    pub names: Vec<String>,

    /// Check every credential of the profile
    #[arg(long, conflicts_with = "names")]
    pub all: bool,
}

/// The outcome of a live check, as stored with the credential.
#[derive(Debug, Clone)]
pub struct Validation {
    pub status: &'static str,
    pub latency_ms: i64,
}

#[derive(Debug, Serialize)]
struct Checked {
    name: String,
    provider: String,
    status: &'static str,
    latency_ms: i64,
    models: Option<usize>,
    error: Option<String>,
    exit_code: u8,
}

/// The longest a live check may take, retries included: listing models takes a second or two,
/// and a server that drips an endless reply must not hold `add` or `validate` forever.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

fn probe_timeout() -> Duration {
    crate::hardening::test_hook("OMC_TEST_PROBE_TIMEOUT_MS")
        .and_then(|ms| ms.parse().ok())
        .map_or(PROBE_TIMEOUT, Duration::from_millis)
}

/// One live check: Ok with its latency, or the provider's error.
pub fn probe(
    spec: &'static ProviderSpec,
    base_url: Option<&str>,
    secret: &SecretString,
) -> Result<(std::result::Result<Vec<String>, ProviderError>, i64)> {
    let client = Client::new(ClientOptions {
        tls: spec.needs_tls(base_url),
        total_timeout: Some(probe_timeout()),
        ..ClientOptions::default()
    })
    .map_err(|e| e.into_error(spec.id))?;
    let target = Target {
        spec,
        base_url,
        key: secret,
    };
    let started = Instant::now();
    let result = crate::runtime::block_on(client.list_models(&target))?;
    Ok((result, started.elapsed().as_millis() as i64))
}

/// Check a key before it is stored: a rejected key is an error (exit 5) and is never stored.
pub fn check_key(
    _ctx: &Ctx,
    spec: &'static ProviderSpec,
    base_url: Option<&str>,
    secret: &SecretString,
) -> Result<Option<Validation>> {
    let (result, latency_ms) = probe(spec, base_url, secret)?;
    match result {
        Ok(_) => Ok(Some(Validation {
            status: "valid",
            latency_ms,
        })),
        Err(e) => Err(e.into_error(spec.id)),
    }
}

pub fn run(ctx: &Ctx, args: &ValidateArgs) -> Result<()> {
    let mut creds = ctx.credentials()?;
    let mut checked = Vec::new();
    for cred in selected(creds.as_mut(), args)? {
        checked.push(validate_one(ctx, creds.as_mut(), &cred)?);
    }
    print(ctx, &checked)?;
    verdict(&checked)
}

/// `--all`, the names given, or the profile's default credential.
fn selected(creds: &mut dyn CredentialBackend, args: &ValidateArgs) -> Result<Vec<Credential>> {
    if args.all {
        creds.list(None, false)
    } else if args.names.is_empty() {
        let name = creds.default_name(None)?;
        Ok(vec![creds.get(&name)?])
    } else {
        args.names.iter().map(|name| creds.get(name)).collect()
    }
}

/// Probe one key, and record the result on the credential and in the usage ledger.
fn validate_one(
    ctx: &Ctx,
    creds: &mut dyn CredentialBackend,
    cred: &Credential,
) -> Result<Checked> {
    let spec = crate::provider::require(&cred.provider)?;
    let secret = creds.reveal(cred)?;
    let model = cred.model.as_deref().unwrap_or(spec.default_model);
    let (run_id, _) = creds.store().begin_run(&RunStart {
        profile: ctx.profile(),
        credential: Some((&cred.name, &cred.id)),
        provider: spec.id,
        model,
        kind: RunKind::Validate,
        agent: None,
        reserve_tokens: 0,
    })?;
    let (result, latency_ms) = probe(spec, cred.base_url.as_deref(), &secret)?;
    let (status, error, exit_code, models, kind) = match &result {
        Ok(models) => ("valid", None, 0, Some(models.len()), None),
        Err(e) => {
            let err = e.clone().into_error(spec.id);
            let status = if err.kind() == crate::error::Kind::KeyRejected {
                "invalid"
            } else {
                "error"
            };
            (
                status,
                Some(err.to_string()),
                err.exit_code(),
                None,
                Some(e.kind),
            )
        }
    };
    creds.record_validation(cred, status, latency_ms)?;
    creds.store().finish_run(
        run_id,
        &RunEnd {
            status: if status == "valid" {
                RunStatus::Ok
            } else {
                RunStatus::Error
            },
            error_kind: kind.map(FailKind::Provider),
            latency_ms: Some(latency_ms as f64),
            input_tokens: Some(0),
            output_tokens: Some(0),
            cost_usd: Some(0.0),
            ..RunEnd::default()
        },
    )?;
    Ok(Checked {
        name: cred.name.clone(),
        provider: cred.provider.clone(),
        status,
        latency_ms,
        models,
        error,
        exit_code,
    })
}

fn print(ctx: &Ctx, checked: &[Checked]) -> Result<()> {
    if ctx.global.json {
        return ctx.out.json(checked);
    }
    let mut table = ctx
        .out
        .table(&["NAME", "PROVIDER", "STATUS", "LATENCY", "DETAIL"]);
    for c in checked {
        // DETAIL quotes the provider's reply: shown escaped.
        table.add_row(vec![
            line(&c.name).into_owned(),
            c.provider.clone(),
            c.status.to_owned(),
            format!("{} ms", c.latency_ms),
            c.error.as_deref().map_or_else(
                || format!("{} models", c.models.unwrap_or(0)),
                |e| line(e).into_owned(),
            ),
        ]);
    }
    ctx.out.print_table(&table)
}

/// Exit 0 only if all are valid; otherwise the exit code of the most telling failure: 5
/// rejected, 6 failure, 7 rate limited.
fn verdict(checked: &[Checked]) -> Result<()> {
    let failed: Vec<&Checked> = checked.iter().filter(|c| c.exit_code != 0).collect();
    if failed.is_empty() {
        return Ok(());
    }
    let code = failed.iter().map(|c| c.exit_code).min().unwrap_or(1);
    let names: Vec<&str> = failed.iter().map(|c| c.name.as_str()).collect();
    let message = format!(
        "{} of {} {} failed validation: {}",
        failed.len(),
        checked.len(),
        if checked.len() == 1 {
            "credential"
        } else {
            "credentials"
        },
        names.join(", ")
    );
    Err(Error::Exit { message, code })
}
