//! `omc import llm|aichat|dotenv|env|bundle`: bring keys in from where they sit today. Each key
//! takes `add`'s path (duplicates refused before any call, live validation, sealing, audit);
//! sources are read, never modified.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::Ctx;
use super::add::{NewKey, check_base_url, open_or_create, store_key};
use crate::bundle;
use crate::creds::CredentialBackend;
use crate::error::{Error, Kind, Result};
use crate::import::{self, Found, Maps, aichat, dotenv, llm};
use crate::store::Store;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub source: Source,
}

#[derive(Debug, Subcommand)]
pub enum Source {
    /// Keys from llm's keys.json ($LLM_USER_PATH, else llm's config directory)
    Llm {
        /// keys.json to read [default: $LLM_USER_PATH/keys.json, else
        /// ~/.config/io.datasette.llm/keys.json]
        file: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        map: MapArgs,
    },
    /// Clients from aichat's config.yaml, and keys from the .env beside it
    Aichat {
        /// config.yaml to read [default: $AICHAT_CONFIG_FILE, else config.yaml in
        /// $AICHAT_CONFIG_DIR or ~/.config/aichat]
        file: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        map: MapArgs,
    },
    /// *_API_KEY lines of a dotenv file, with their *_BASE_URL
    Dotenv {
        /// The .env file
        file: PathBuf,
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        map: MapArgs,
    },
    /// *_API_KEY variables of the environment, with their *_BASE_URL
    Env {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        map: MapArgs,
    },
    /// A sharing bundle made by `omc export` (or by the age tool in omc's format)
    Bundle {
        /// The bundle (binary or armored age file)
        file: PathBuf,
        /// Decrypt with this age identity file or SSH private key [default: this store's
        /// master key]
        #[arg(long, short = 'i', value_name = "FILE")]
        identity: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Args)]
pub struct Common {
    /// Show what would be imported (keys masked); store nothing, call nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Store the keys without checking them with their providers first
    #[arg(long)]
    pub no_validate: bool,
}

#[derive(Debug, Args)]
pub struct MapArgs {
    /// Import the source's ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat
    /// for several
    #[arg(long, value_name = "ALIAS=PROVIDER")]
    pub map: Vec<String>,
}

/// One line of the report.
#[derive(Debug, Serialize)]
struct Row {
    from: String,
    name: String,
    provider: Option<&'static str>,
    model: Option<String>,
    base_url: Option<String>,
    key: String,
    status: &'static str,
    reason: Option<String>,
    #[serde(skip)]
    exit_code: u8,
}

#[derive(Debug, Serialize)]
struct Report {
    source: String,
    dry_run: bool,
    imported: Vec<Row>,
    skipped: Vec<Row>,
    failed: Vec<Row>,
    /// Where the keys still are in plaintext: omc never edits or deletes a source.
    plaintext_sources: Vec<String>,
}

pub fn run(ctx: &Ctx, args: &ImportArgs) -> Result<()> {
    let (source, found, common, maps) = gather(ctx, &args.source)?;
    let mut plaintext: Vec<String> = Vec::new();
    for f in found.iter().filter(|f| f.secret.is_some()) {
        let place = match &f.file {
            Some(path) => path.display().to_string(),
            None if matches!(args.source, Source::Env { .. }) => "the environment".into(),
            None => continue,
        };
        if !plaintext.contains(&place) {
            plaintext.push(place);
        }
    }
    if let Some(maps) = &maps {
        for alias in maps.unused() {
            ctx.out
                .warn(format!("--map {alias}=…: the source has no '{alias}'"));
        }
    }
    let rows = import(ctx, found, common, &source)?;
    let mut report = Report {
        source,
        dry_run: common.dry_run,
        imported: Vec::new(),
        skipped: Vec::new(),
        failed: Vec::new(),
        plaintext_sources: plaintext,
    };
    for row in rows {
        match row.status {
            "imported" | "would import" => report.imported.push(row),
            "skipped" => report.skipped.push(row),
            _ => report.failed.push(row),
        }
    }
    render(ctx, &report)?;
    let total = report.imported.len() + report.skipped.len() + report.failed.len();
    match report.failed.iter().map(|r| r.exit_code).min() {
        None => Ok(()),
        Some(code) => Err(Error::Exit {
            message: format!(
                "{} of {total} keys failed to import: {}",
                report.failed.len(),
                report
                    .failed
                    .iter()
                    .map(|r| r.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            code,
        }),
    }
}

/// Read the source: what it holds, how to describe it, and the flags that apply.
fn gather<'a>(
    ctx: &Ctx,
    source: &'a Source,
) -> Result<(String, Vec<Found>, &'a Common, Option<Maps>)> {
    let mapped = |mut found: Vec<Found>, map: &MapArgs| -> Result<(Vec<Found>, Maps)> {
        let maps = Maps::parse(&map.map)?;
        maps.apply(&mut found);
        Ok((found, maps))
    };
    Ok(match source {
        Source::Llm { file, common, map } => {
            let path = match file {
                Some(f) => f.clone(),
                None => llm::default_path()?,
            };
            let (found, maps) = mapped(llm::read(&path)?, map)?;
            (format!("llm {}", path.display()), found, common, Some(maps))
        }
        Source::Aichat { file, common, map } => {
            let paths = match file {
                Some(f) => aichat::paths_for(f),
                None => aichat::default_paths()?,
            };
            let (found, maps) = mapped(aichat::read(&paths)?, map)?;
            (
                format!("aichat {}", paths.config.display()),
                found,
                common,
                Some(maps),
            )
        }
        Source::Dotenv { file, common, map } => {
            if !file.exists() {
                return Err(Error::not_found("file", file.display().to_string()));
            }
            let parsed = dotenv::parse(&import::read_secret_file(file)?);
            if !parsed.bad_lines.is_empty() {
                ctx.out.warn(format!(
                    "{}: ignored line(s) {} (not KEY=VALUE)",
                    file.display(),
                    parsed
                        .bad_lines
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            let found = import::from_vars(&parsed.vars, Some(file), |_| None);
            let (found, maps) = mapped(found, map)?;
            (
                format!("dotenv {}", file.display()),
                found,
                common,
                Some(maps),
            )
        }
        Source::Env { common, map } => {
            let vars: Vec<(String, SecretString)> = std::env::vars_os()
                .filter_map(|(k, v)| {
                    let k = k.into_string().ok()?;
                    let keep = k.ends_with("_API_KEY")
                        || k.ends_with("_BASE_URL")
                        || k.ends_with("_API_BASE");
                    let v = v.into_string().ok()?;
                    keep.then(|| (k, SecretString::from(v)))
                })
                .collect();
            let (found, maps) = mapped(import::from_vars(&vars, None, |_| None), map)?;
            ("env".to_owned(), found, common, Some(maps))
        }
        Source::Bundle {
            file,
            identity,
            common,
        } => {
            let ciphertext = bundle::read_file(file)?;
            let identities: Vec<Box<dyn age::Identity>> = match identity {
                Some(path) => bundle::identities_from_file(path, ctx.ui)?,
                None => {
                    let store = ctx.store().map_err(|e| match e {
                        Error::NotFound { .. } => e.with_hint(
                            "there is no store here to decrypt with: pass --identity FILE",
                        ),
                        e => e,
                    })?;
                    vec![Box::new(ctx.unlock(&store)?.identity)]
                }
            };
            let found = bundle::open(&ciphertext, &identities)?
                .into_iter()
                .map(|e| Found {
                    from: e.name.clone(),
                    provider: crate::provider::lookup(&e.provider)
                        .ok_or_else(|| format!("unknown provider '{}'", e.provider)),
                    model: e.model,
                    base_url: e.base_url,
                    name: e.name,
                    secret: Some(e.key),
                    file: None,
                })
                .collect();
            (format!("bundle {}", file.display()), found, common, None)
        }
    })
}

/// Store (or, in a dry run, check) each key found, in order.
fn import(ctx: &Ctx, found: Vec<Found>, common: &Common, source: &str) -> Result<Vec<Row>> {
    // The profile's backend: this store, or OpenBao / Vault for a vault profile.
    let mut store: Option<Box<dyn CredentialBackend>> = if common.dry_run {
        match Store::open(&ctx.paths)? {
            Some(store) => {
                ctx.check_env_key(&store)?;
                Some(ctx.backend(store)?)
            }
            None => None,
        }
    } else if found
        .iter()
        .any(|f| f.provider.is_ok() && f.secret.is_some())
    {
        Some(ctx.backend(open_or_create(ctx)?)?)
    } else {
        None
    };
    // A dry run stores nothing, so it remembers what it would have stored.
    let mut planned: Vec<(String, SecretString)> = Vec::new();
    let mut rows = Vec::new();
    for f in found {
        let mut row = Row {
            from: f.from,
            name: f.name,
            provider: f.provider.as_ref().ok().map(|p| p.id),
            model: f.model,
            base_url: f.base_url,
            key: f
                .secret
                .as_ref()
                .map_or_else(|| "-".into(), |s| crate::mask::mask(s.expose_secret())),
            status: "skipped",
            reason: None,
            exit_code: 0,
        };
        let (spec, secret) = match (f.provider, f.secret) {
            (Err(reason), _) => {
                row.reason = Some(reason);
                rows.push(row);
                continue;
            }
            (Ok(_), None) => {
                row.reason = Some("the key is empty".into());
                rows.push(row);
                continue;
            }
            (Ok(t), Some(s)) => (t, s),
        };
        let checked = super::clean_key(secret).and_then(|secret| {
            crate::store::validate_name("credential", &row.name)?;
            if let Some(model) = &row.model {
                crate::bounds::check_model(model)?;
            }
            if row.base_url.is_none() && spec.default_base.is_none() && spec.id != "echo" {
                return Err(Error::usage(format!(
                    "provider '{}' needs a base URL, and the source gives none",
                    spec.id
                )));
            }
            Ok((secret, check_base_url(spec, row.base_url.as_deref())?))
        });
        let (secret, base_url) = match checked {
            Ok(ok) => ok,
            Err(e) => {
                fail(&mut row, &e);
                rows.push(row);
                continue;
            }
        };
        row.base_url.clone_from(&base_url);
        if common.dry_run {
            let clash = match &mut store {
                Some(store) => match store.check_new(&row.name, &secret) {
                    Ok(()) => None,
                    Err(e @ Error::Conflict { .. }) => Some(e.to_string()),
                    Err(e) => return Err(e),
                },
                None => None,
            }
            .or_else(|| {
                planned.iter().find_map(|(name, key)| {
                    if *name == row.name {
                        Some(format!("the name '{name}' is taken by a key above"))
                    } else if key.expose_secret() == secret.expose_secret() {
                        Some(format!("the same key as '{name}' above"))
                    } else {
                        None
                    }
                })
            });
            match clash {
                Some(reason) => row.reason = Some(reason),
                None => {
                    row.status = "would import";
                    planned.push((row.name.clone(), secret));
                }
            }
            rows.push(row);
            continue;
        }
        let store = store.as_mut().expect("opened when there is a key to store");
        let stored = store_key(
            ctx,
            store.as_mut(),
            &NewKey {
                spec,
                name: &row.name,
                model: row.model.as_deref(),
                base_url: base_url.as_deref(),
                secret: &secret,
                make_default: false,
                validate: !common.no_validate,
            },
        );
        match stored {
            Ok(cred) => {
                store.store().audit(
                    "import",
                    Some(ctx.profile()),
                    Some((&cred.name, &cred.id)),
                    Some(source),
                )?;
                row.status = "imported";
                row.reason = cred
                    .validation_status
                    .as_ref()
                    .map(|s| format!("{s} ({} ms)", cred.validation_latency_ms.unwrap_or(0)));
            }
            Err(e @ Error::Conflict { .. }) => row.reason = Some(e.to_string()),
            Err(e)
                if matches!(
                    e.kind(),
                    Kind::Usage | Kind::KeyRejected | Kind::Unavailable | Kind::RateLimited
                ) =>
            {
                fail(&mut row, &e)
            }
            Err(e) => return Err(e),
        }
        rows.push(row);
    }
    Ok(rows)
}

fn fail(row: &mut Row, e: &Error) {
    row.status = "failed";
    row.reason = Some(e.to_string());
    row.exit_code = e.exit_code();
}

fn render(ctx: &Ctx, report: &Report) -> Result<()> {
    if ctx.global.json {
        ctx.out.json(report)?;
    } else {
        let mut table = ctx
            .out
            .table(&["FROM", "NAME", "PROVIDER", "KEY", "STATUS", "DETAIL"]);
        for row in report
            .imported
            .iter()
            .chain(&report.skipped)
            .chain(&report.failed)
        {
            table.add_row(vec![
                row.from.clone(),
                row.name.clone(),
                row.provider.unwrap_or("-").to_owned(),
                row.key.clone(),
                row.status.to_owned(),
                row.reason.clone().unwrap_or_default(),
            ]);
        }
        ctx.out.print_table(&table)?;
    }
    let (imported, skipped, failed) = (
        report.imported.len(),
        report.skipped.len(),
        report.failed.len(),
    );
    if report.dry_run {
        ctx.out.note(format!(
            "Dry run: {imported} would be imported, {skipped} skipped, {failed} failed; nothing was stored."
        ));
    } else {
        ctx.out.note(format!(
            "Imported {imported}, skipped {skipped}, failed {failed} (profile '{}').",
            ctx.profile()
        ));
    }
    for place in &report.plaintext_sources {
        ctx.out.note(format!(
            "The keys are still in plaintext in {place}: omc never edits or deletes a source. \
             Remove them there once you rely on omc."
        ));
    }
    Ok(())
}
