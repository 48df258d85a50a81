//! `omc list`: credentials with masked keys. Never unlocks the master key.

use clap::Args;
use serde::Serialize;

use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{Credential, Filter, Store};
use crate::terminal::line;
use crate::time::{Ago, Rfc3339};

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

    /// Every column, however wide the terminal (on a narrow one the least needed are left out)
    #[arg(long)]
    pub wide: bool,
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
    pub validated_at: Option<Rfc3339>,
    pub validation_latency_ms: Option<i64>,
    pub last_used_at: Option<Rfc3339>,
    pub created_at: Rfc3339,
    pub updated_at: Rfc3339,
    pub deleted_at: Option<Rfc3339>,
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
            validated_at: c.validated_at.map(Rfc3339),
            validation_latency_ms: c.validation_latency_ms,
            last_used_at: c.last_used_at.map(Rfc3339),
            created_at: Rfc3339(c.created_at),
            updated_at: Rfc3339(c.updated_at),
            deleted_at: c.deleted_at.map(Rfc3339),
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
        let mut backend = crate::creds::open(&ctx.keys, s, &name)?;
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
    let mut table = Listing::new(ctx, args.all_profiles);
    // A missing store is "not found" (exit 3, with the command that creates it), as for
    // every other command: not an empty list that hides where the credentials went.
    match ctx.store()? {
        store if args.all_profiles => {
            let creds = all_profiles(ctx, store, provider, args)?;
            if ctx.global.json {
                creds.iter().for_each(|c| warn_unmanaged(ctx, c));
                let views: Vec<View<'_>> = creds.iter().map(View::from).collect();
                return ctx.out.json(&views);
            }
            for c in &creds {
                table.add(c);
            }
        }
        store => {
            if store.profile_id(ctx.profile())?.is_none() {
                return Err(Error::not_found("profile", ctx.profile()));
            }
            let mut backend = ctx.backend(store)?;
            if ctx.global.json {
                return json_streamed(ctx, &mut *backend, provider, args.include_deleted);
            }
            // Straight from the rows into the table: no list of thousands of credentials, and
            // the table's buffers sized once rather than grown (and copied) as rows come.
            // A bound, not the count: room for rows that never come is never touched, and the
            // table is not wiped at the end (see below). Capped, so that a small profile in a
            // store of millions asks for megabytes, not gigabytes, of address space.
            if let Some(n) = backend.count_bound() {
                table.table.reserve(n.min(MAX_RESERVED_ROWS), ROW_BYTES);
            }
            backend.for_each(provider, args.include_deleted, &mut |c| {
                table.add(c);
                Ok(())
            })?;
        }
    }
    if table.table.is_empty() {
        ctx.out.note(format!(
            "No credentials in profile '{}'. Add one with `omc add PROVIDER`.",
            ctx.profile()
        ));
        return Ok(());
    }
    table.table.hide(table.base_column, !table.show_base);
    if !args.wide
        && let Some(width) = ctx.out.stdout_width()
    {
        // As gh does: the least needed columns go first; name, provider and key always stay.
        let b = table.base_column;
        table
            .table
            .fit(width, &[b + 3, b + 2, b, b + 1, b - 1, b - 2]);
    }
    let printed = ctx.out.print_table(&table.table);
    // Names and masked keys, no secret: the table's memory (1.7 MB at 10,000 credentials) is
    // left to the process's end, which is next, not wiped on free by the zeroizing allocator.
    std::mem::forget(table.table);
    printed
}

/// The most rows the table makes room for up front (6 MB of text); past them it grows.
const MAX_RESERVED_ROWS: usize = 100_000;

/// About how many bytes of cell text one credential's row holds (name, provider, masked key,
/// dates), for sizing the table.
const ROW_BYTES: usize = 64;

/// The table `omc list` prints, filled one credential at a time.
struct Listing<'c> {
    ctx: &'c Ctx,
    table: crate::table::Table,
    all_profiles: bool,
    /// The BASE URL column is shown only when some credential has one.
    base_column: usize,
    show_base: bool,
    now: i64,
}

impl<'c> Listing<'c> {
    fn new(ctx: &'c Ctx, all_profiles: bool) -> Self {
        let mut header = vec![];
        if all_profiles {
            header.push("PROFILE");
        }
        header.extend(["NAME", "PROVIDER", "KEY", "DEFAULT", "MODEL"]);
        let base_column = header.len();
        header.push("BASE URL");
        header.extend(["VALIDATED", "LAST USED", "CREATED"]);
        Listing {
            ctx,
            table: ctx.out.table(&header),
            all_profiles,
            base_column,
            show_base: false,
            now: crate::time::now_ms(),
        }
    }

    fn add(&mut self, c: &Credential) {
        warn_unmanaged(self.ctx, c);
        self.show_base |= c.base_url.is_some();
        let color = self.ctx.out.color;
        let now = self.now;
        let mut row = self.table.row();
        if self.all_profiles {
            row.line_cell(&c.profile);
        }
        let default = match (c.deleted_at, c.is_default, c.is_provider_default) {
            (Some(_), ..) => "deleted",
            (None, true, _) => "*",
            (None, false, true) => "provider",
            _ => "",
        };
        row.line_cell(&c.name)
            .line_cell(&c.provider)
            .line_cell(&c.masked_key)
            .cell(default)
            .line_cell(c.model.as_deref().unwrap_or("-"))
            .line_cell(c.base_url.as_deref().unwrap_or("-"));
        match (&c.validation_status, c.validated_at) {
            (Some(s), Some(at)) => {
                use crate::table::{GREEN, Paint, RED, YELLOW};
                let sgr = match s.as_str() {
                    "valid" => GREEN,
                    "invalid" => RED,
                    _ => YELLOW,
                };
                row.cell_with(|out| {
                    let status = line(s);
                    if color {
                        use std::fmt::Write as _;
                        // Writing to a String cannot fail.
                        let _ = write!(out, "{}", Paint(true, sgr, &status));
                    } else {
                        out.push_str(&status);
                    }
                    out.push(' ');
                    Ago(now, at).push_to(out);
                })
            }
            _ => row.cell("never"),
        };
        match c.last_used_at {
            Some(at) => row.ascii_cell_with(|out| Ago(now, at).push_to(out)),
            None => row.cell("never"),
        };
        row.ascii_cell_with(|out| Ago(now, c.created_at).push_to(out));
    }
}

/// In a vault profile: a secret without omc's metadata (an add that stopped half-way, or one
/// written by another tool) is shown, and said to be so.
fn warn_unmanaged(ctx: &Ctx, c: &Credential) {
    if c.provider == "?" {
        ctx.out.warn(format!(
            "'{}' in profile '{}' has no omc metadata (an add that did not finish, or a secret \
             written by another tool): `omc --profile {} delete {} --purge` removes it",
            c.name, c.profile, c.profile, c.name
        ));
    }
}

/// `--json` for one profile: each credential serialised as its row is read, into a buffer that
/// reaches stdout only once every row was read (an error half-way prints no half a document).
/// The same document `Output::json` prints for the whole list.
fn json_streamed(
    ctx: &Ctx,
    backend: &mut dyn crate::creds::CredentialBackend,
    provider: Option<&str>,
    include_deleted: bool,
) -> Result<()> {
    use serde::ser::{SerializeSeq, Serializer};
    let json_error = |e: serde_json::Error| Error::Other(format!("cannot write JSON: {e}"));
    // Sized once for the whole document: a credential is about 420 bytes of pretty JSON.
    let rows = backend.count_hint(provider, include_deleted).unwrap_or(0);
    let mut buf = Vec::with_capacity((rows * 448).max(64 * 1024));
    let mut ser = serde_json::Serializer::pretty(&mut buf);
    let mut seq = ser.serialize_seq(None).map_err(json_error)?;
    backend.for_each(provider, include_deleted, &mut |c| {
        warn_unmanaged(ctx, c);
        seq.serialize_element(&View::from(c)).map_err(json_error)
    })?;
    seq.end().map_err(json_error)?;
    buf.push(b'\n');
    let mut out = std::io::stdout().lock();
    std::io::Write::write_all(&mut out, &buf)
        .and_then(|()| std::io::Write::flush(&mut out))
        .map_err(crate::output::stdout_error)
}
