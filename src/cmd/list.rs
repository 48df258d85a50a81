//! `omc list`: credentials with masked keys. Never unlocks the master key.

use clap::Args;
use serde::Serialize;

use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{Credential, Filter, Store};
use crate::terminal::line;
use crate::time::{ago, rfc3339};

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this provider's credentials
    #[arg(long, value_name = "PROVIDER", add = crate::complete::providers())]
    pub provider: Option<String>,

    /// Every profile, not just the current one
    #[arg(long)]
    pub all_profiles: bool,

    /// Show deleted credentials' tombstones too
    #[arg(long)]
    pub include_deleted: bool,
}

/// A credential as `--json` shows it: times in RFC 3339, never the key.
#[derive(Debug, Serialize)]
pub struct View<'a> {
    pub name: &'a str,
    pub profile: &'a str,
    pub provider: &'a str,
    pub key: &'a str,
    pub default: bool,
    pub provider_default: bool,
    pub model: Option<&'a str>,
    pub base_url: Option<&'a str>,
    pub validation: Option<&'a str>,
    pub validated_at: Option<String>,
    pub validation_latency_ms: Option<i64>,
    pub last_used_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub deleted_at: Option<String>,
}

impl<'a> From<&'a Credential> for View<'a> {
    fn from(c: &'a Credential) -> Self {
        View {
            name: &c.name,
            profile: &c.profile,
            provider: &c.provider,
            key: &c.masked_key,
            default: c.is_default,
            provider_default: c.is_provider_default,
            model: c.model.as_deref(),
            base_url: c.base_url.as_deref(),
            validation: c.validation_status.as_deref(),
            validated_at: c.validated_at.map(rfc3339),
            validation_latency_ms: c.validation_latency_ms,
            last_used_at: c.last_used_at.map(rfc3339),
            created_at: rfc3339(c.created_at),
            updated_at: rfc3339(c.updated_at),
            deleted_at: c.deleted_at.map(rfc3339),
        }
    }
}

/// This store's credentials, then each OpenBao / Vault profile's (one that cannot be read is
/// reported and skipped, so one unreachable engine does not hide the rest).
fn all_profiles(
    ctx: &Ctx,
    store: Store,
    provider: Option<&str>,
    args: &ListArgs,
) -> Result<Vec<Credential>> {
    let mut creds = store.list_credentials(&Filter {
        profile: None,
        provider,
        include_deleted: args.include_deleted,
    })?;
    let remote = store.remote_profile_names()?;
    let mut store = Some(store);
    for name in remote {
        let Some(s) = store.take() else { break };
        let mut backend = crate::creds::open(ctx, s, &name)?;
        match backend.list(provider, args.include_deleted) {
            Ok(found) => creds.extend(found),
            Err(e) => ctx.out.warn(format!("profile '{name}' skipped: {e}")),
        }
        store = Some(backend.into_store());
    }
    creds.sort_by(|a, b| {
        (&a.profile, &a.provider, &a.name).cmp(&(&b.profile, &b.provider, &b.name))
    });
    Ok(creds)
}

pub fn run(ctx: &Ctx, args: &ListArgs) -> Result<()> {
    let provider = match &args.provider {
        Some(p) => Some(crate::provider::require(p)?.id),
        None => None,
    };
    let creds = match Store::open(&ctx.paths)? {
        Some(store) if args.all_profiles => all_profiles(ctx, store, provider, args)?,
        Some(store) => {
            if store.profile_id(ctx.profile())?.is_none() {
                return Err(Error::not_found("profile", ctx.profile()));
            }
            ctx.backend(store)?.list(provider, args.include_deleted)?
        }
        None => Vec::new(),
    };
    // In a vault profile: a secret without omc's metadata (an add that stopped half-way, or
    // one written by another tool) is shown, and said to be so.
    for c in creds.iter().filter(|c| c.provider == "?") {
        ctx.out.warn(format!(
            "'{}' in profile '{}' has no omc metadata (an add that did not finish, or a secret \
             written by another tool): `omc --profile {} delete {} --purge` removes it",
            c.name, c.profile, c.profile, c.name
        ));
    }
    if ctx.global.json {
        let views: Vec<View<'_>> = creds.iter().map(View::from).collect();
        return ctx.out.json(&views);
    }
    if creds.is_empty() {
        ctx.out.note(format!(
            "No credentials in profile '{}'. Add one with `omc add PROVIDER`.",
            ctx.profile()
        ));
        return Ok(());
    }
    let show_base = creds.iter().any(|c| c.base_url.is_some());
    let mut header = vec![];
    if args.all_profiles {
        header.push("PROFILE");
    }
    header.extend(["NAME", "PROVIDER", "KEY", "DEFAULT", "MODEL"]);
    if show_base {
        header.push("BASE URL");
    }
    header.extend(["VALIDATED", "LAST USED", "CREATED"]);
    let mut table = ctx.out.table(&header);
    for c in &creds {
        let mut row: Vec<String> = vec![];
        if args.all_profiles {
            row.push(line(&c.profile).into_owned());
        }
        let default = match (c.deleted_at, c.is_default, c.is_provider_default) {
            (Some(_), ..) => "deleted",
            (None, true, _) => "*",
            (None, false, true) => "provider",
            _ => "",
        };
        row.extend([
            line(&c.name).into_owned(),
            line(&c.provider).into_owned(),
            line(&c.masked_key).into_owned(),
            default.into(),
            c.model
                .as_deref()
                .map_or("-".into(), |m| line(m).into_owned()),
        ]);
        if show_base {
            row.push(
                c.base_url
                    .as_deref()
                    .map_or("-".into(), |u| line(u).into_owned()),
            );
        }
        row.push(match (&c.validation_status, c.validated_at) {
            (Some(s), Some(at)) => {
                use crate::table::{GREEN, RED, YELLOW, paint};
                let sgr = match s.as_str() {
                    "valid" => GREEN,
                    "invalid" => RED,
                    _ => YELLOW,
                };
                format!("{} {}", paint(ctx.out.color, sgr, &line(s)), ago(at))
            }
            _ => "never".into(),
        });
        row.push(c.last_used_at.map_or_else(|| "never".into(), ago));
        row.push(ago(c.created_at));
        table.add_row(row);
    }
    ctx.out.print_table(&table)
}
