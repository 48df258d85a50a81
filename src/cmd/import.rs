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
use crate::import::{self, Entry, Maps, aichat, dotenv, llm};
use crate::provider::ProviderSpec;
use crate::store::Store;
use crate::terminal::Untrusted;

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

    /// Name each credential P followed by the name it would get (e.g. `--prefix llm-` when
    /// the names are taken)
    #[arg(long, value_name = "P")]
    pub prefix: Option<String>,

    /// Store the entry named OLD (the report's NAME column) as NEW; repeat for several
    #[arg(long, value_name = "OLD=NEW")]
    pub rename: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MapArgs {
    /// Import the source's ALIAS (llm alias, aichat client name, variable) as PROVIDER; repeat
    /// for several
    #[arg(long, value_name = "ALIAS=PROVIDER")]
    pub map: Vec<String>,

    /// Send the keys of the source's ALIAS to URL (a provider with no default base URL, such
    /// as openai-compatible, needs one); repeat for several
    #[arg(long, value_name = "ALIAS=URL")]
    pub base_url: Vec<String>,
}

/// One line of the report. Its text comes from the source (names, models, base URLs, and the
/// reasons that quote them): [`Untrusted`], shown only escaped; `--json` has it exact.
#[derive(Debug, Serialize)]
struct Row {
    from: Untrusted,
    name: Untrusted,
    provider: Option<&'static str>,
    model: Option<Untrusted>,
    base_url: Option<Untrusted>,
    key: Untrusted,
    status: &'static str,
    reason: Option<Untrusted>,
    #[serde(skip)]
    exit_code: u8,
    /// Skipped because a credential of that name exists: `--prefix`/`--rename` get past it.
    #[serde(skip)]
    name_taken: bool,
    /// The provider, when the source names one omc knows: its default base URL is not a
    /// warning.
    #[serde(skip)]
    spec: Option<&'static ProviderSpec>,
}

impl Row {
    /// The base URL this key goes to when it is not its provider's default one.
    fn other_base_url(&self) -> Option<&Untrusted> {
        let url = self.base_url.as_ref()?;
        let default = self
            .spec
            .and_then(|s| s.default_base)
            .and_then(|d| crate::bounds::check_base_url(d).ok());
        let given = crate::bounds::check_base_url(url.expose_raw()).ok();
        (default.is_none() || default != given).then_some(url)
    }
}

#[derive(Debug, Serialize)]
struct Report {
    source: Untrusted,
    dry_run: bool,
    imported: Vec<Row>,
    skipped: Vec<Row>,
    failed: Vec<Row>,
    /// Where the keys still are in plaintext: omc never edits or deletes a source.
    plaintext_sources: Vec<Untrusted>,
}

pub fn run(ctx: &Ctx, args: &ImportArgs) -> Result<()> {
    let (source, found, common, maps) = gather(ctx, &args.source)?;
    let mut plaintext: Vec<Untrusted> = Vec::new();
    for f in found.iter().filter(|f| f.secret.is_some()) {
        let place: Untrusted = match &f.file {
            Some(path) => path.display().to_string().into(),
            None if matches!(args.source, Source::Env { .. }) => "the environment".into(),
            None => continue,
        };
        if !plaintext.contains(&place) {
            plaintext.push(place);
        }
    }
    if let Some(maps) = &maps {
        for flag in maps.unused() {
            ctx.out.warn(format!(
                "{flag}=…: the source has no '{}'",
                flag.split(' ').nth(1).unwrap_or_default()
            ));
        }
    }
    let mut found = found;
    let renames = import::Renames::parse(common.prefix.as_deref(), &common.rename)?;
    renames.apply(&mut found);
    for old in renames.unused() {
        ctx.out.warn(format!(
            "--rename {old}=…: the source has no entry named '{old}'"
        ));
    }
    let rows = import(ctx, found, common, &source)?;
    let mut report = Report {
        source: source.into(),
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
    let taken = report
        .skipped
        .iter()
        .filter(|r| r.name_taken)
        .map(|r| r.name.to_string())
        .collect::<Vec<_>>();
    if !taken.is_empty() {
        ctx.out.note(format!(
            "{} skipped because the name is taken ({}): import under other names with \
             --prefix P or --rename OLD=NEW",
            taken.len(),
            taken.join(", ")
        ));
    }
    let unchecked = report
        .failed
        .iter()
        .any(|r| r.exit_code == 5 || r.exit_code == 7 || r.exit_code == 8);
    match report.failed.iter().map(|r| r.exit_code).min() {
        None => Ok(()),
        Some(code) => Err(Error::Exit {
            message: format!(
                "{} of {total} keys failed to import: {}",
                report.failed.len(),
                report
                    .failed
                    .iter()
                    .map(|r| r.name.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            code,
        }
        .with_hint(if unchecked && !common.no_validate {
            "check the keys and the network, or rerun with --no-validate to store them unchecked"
        } else {
            "the DETAIL column says why each failed"
        })),
    }
}

/// Read the source: what it holds, how to describe it, and the flags that apply.
fn gather<'a>(
    ctx: &Ctx,
    source: &'a Source,
) -> Result<(String, Vec<Entry>, &'a Common, Option<Maps>)> {
    let mapped = |mut found: Vec<Entry>, map: &MapArgs| -> Result<(Vec<Entry>, Maps)> {
        let maps = Maps::parse(&map.map, &map.base_url)?;
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
            let found = bundle::open(&ciphertext, &identities, identity.is_some())?
                .into_iter()
                .map(|e| Entry {
                    from: e.name.clone(),
                    provider: crate::provider::lookup(e.provider.expose_raw()).ok_or_else(|| {
                        format!("unknown provider '{}'", e.provider.expose_raw()).into()
                    }),
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
fn import(ctx: &Ctx, found: Vec<Entry>, common: &Common, source: &str) -> Result<Vec<Row>> {
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
            key: f.secret.as_ref().map_or_else(
                || "-".into(),
                |s| crate::mask::mask(s.expose_secret()).into(),
            ),
            status: "skipped",
            reason: None,
            exit_code: 0,
            name_taken: false,
            spec: f.provider.as_ref().ok().copied(),
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
            crate::store::validate_name("credential", row.name.expose_raw())?;
            if let Some(model) = &row.model {
                crate::bounds::check_model(model.expose_raw())?;
            }
            if row.base_url.is_none() && spec.default_base.is_none() && spec.id != "echo" {
                return Err(Error::usage(format!(
                    "provider '{}' needs a base URL, and the source gives none",
                    spec.id
                )));
            }
            let base_url = row.base_url.as_ref().map(Untrusted::expose_raw);
            Ok((secret, check_base_url(spec, base_url)?))
        });
        let (secret, base_url) = match checked {
            Ok(ok) => ok,
            Err(e) => {
                fail(&mut row, &e);
                rows.push(row);
                continue;
            }
        };
        row.base_url = base_url.as_deref().map(Untrusted::from);
        let name = row.name.expose_raw().to_owned();
        if common.dry_run {
            let clash = match &mut store {
                Some(store) => match store.check_new(&name, &secret) {
                    Ok(()) => None,
                    Err(e @ Error::Conflict { .. }) => {
                        row.name_taken = store.get(&name).is_ok();
                        Some(e.to_string())
                    }
                    Err(e) => return Err(e),
                },
                None => None,
            }
            .or_else(|| {
                planned.iter().find_map(|(other, key)| {
                    if *other == name {
                        Some(format!("the name '{other}' is taken by a key above"))
                    } else if key.expose_secret() == secret.expose_secret() {
                        Some(format!("the same key as '{other}' above"))
                    } else {
                        None
                    }
                })
            });
            match clash {
                Some(reason) => row.reason = Some(reason.into()),
                None => {
                    row.status = "would import";
                    planned.push((name, secret));
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
                name: &name,
                model: row.model.as_ref().map(Untrusted::expose_raw),
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
                row.reason = cred.validation_status.as_ref().map(|s| {
                    format!("{s} ({} ms)", cred.validation_latency_ms.unwrap_or(0)).into()
                });
            }
            Err(e @ Error::Conflict { .. }) => {
                row.name_taken = store.get(&name).is_ok();
                row.reason = Some(e.to_string().into());
            }
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
    row.reason = Some(e.to_string().into());
    row.exit_code = e.exit_code();
}

fn render(ctx: &Ctx, report: &Report) -> Result<()> {
    let rows = || {
        report
            .imported
            .iter()
            .chain(&report.skipped)
            .chain(&report.failed)
    };
    if ctx.global.json {
        ctx.out.json(report)?;
    } else {
        let mut table = ctx.out.table(&[
            "FROM", "NAME", "PROVIDER", "KEY", "STATUS", "BASE URL", "DETAIL",
        ]);
        // The base URL column only when some key goes elsewhere than its provider's default.
        table.hide(5, rows().all(|r| r.other_base_url().is_none()));
        for row in rows() {
            let mut cells = table.row();
            cells
                .untrusted_cell(&row.from)
                .untrusted_cell(&row.name)
                .cell(row.provider.unwrap_or("-"))
                .untrusted_cell(&row.key)
                .cell(row.status);
            match row.other_base_url() {
                Some(url) => cells.untrusted_cell(url),
                None => cells.cell("-"),
            };
            match &row.reason {
                Some(reason) => cells.untrusted_cell(reason),
                None => cells.cell(""),
            };
        }
        ctx.out.print_table(&table)?;
    }
    // A key stored with another base URL is sent there by every request made with it.
    for row in &report.imported {
        let Some(url) = row.other_base_url() else {
            continue;
        };
        let default = match row.spec.and_then(|s| s.default_base) {
            Some(d) => format!("not to {}'s default {d}", row.provider.unwrap_or("-")),
            None => format!("{} has no default", row.provider.unwrap_or("-")),
        };
        ctx.out.warn(if report.dry_run {
            format!(
                "'{}' would send its key to {url} ({default}): import it only if you trust \
                 that server",
                row.name
            )
        } else {
            format!(
                "'{}' sends its key to {url} ({default}): keep it only if you trust that \
                 server (`omc delete {}` removes it)",
                row.name, row.name
            )
        });
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
