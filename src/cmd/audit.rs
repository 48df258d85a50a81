//! `omc audit`: who did what to which credential, when. Never the secret.

use clap::Args;

use super::Ctx;
use crate::error::Result;
use crate::terminal::line;
use crate::time::rfc3339;

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// How many entries, newest first
    #[arg(long, default_value_t = 50)]
    pub limit: u32,

    /// Entries of every profile, not just the current one (store-wide events, such as
    /// master-rotate, show in every profile)
    #[arg(long)]
    pub all_profiles: bool,

    /// Every column, however wide the terminal (on a narrow one WHO, then PROFILE, then
    /// DETAIL are left out)
    #[arg(long)]
    pub wide: bool,
}

pub fn run(ctx: &Ctx, args: &AuditArgs) -> Result<()> {
    let entries = ctx
        .store()?
        .audit_log(args.limit, (!args.all_profiles).then(|| ctx.profile()))?;
    if ctx.global.json {
        let views: Vec<_> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "at": rfc3339(e.at),
                    "actor": e.actor,
                    "uid": e.uid,
                    "action": e.action,
                    "profile": e.profile,
                    "credential": e.credential,
                    "detail": e.detail,
                })
            })
            .collect();
        return ctx.out.json(&views);
    }
    let mut table = ctx
        .out
        .table(&["WHEN", "ACTION", "PROFILE", "CREDENTIAL", "DETAIL", "WHO"]);
    // The actor comes from $USER and the detail names the program `exec` ran: both are shown
    // escaped, as is every stored field.
    let cell = |s: Option<&str>| line(s.unwrap_or_default()).into_owned();
    for e in &entries {
        table.add_row(vec![
            rfc3339(e.at),
            cell(Some(&e.action)),
            cell(e.profile.as_deref()),
            cell(e.credential.as_deref()),
            cell(e.detail.as_deref()),
            match e.uid {
                // Without $USER the actor is already "uid N (pid P)": the uid once.
                Some(uid) if !e.actor.starts_with("uid ") => {
                    format!("{} uid {uid}", cell(Some(&e.actor)))
                }
                _ => cell(Some(&e.actor)),
            },
        ]);
    }
    if !args.wide
        && let Some(width) = ctx.out.stdout_width()
    {
        table.fit(width, &[5, 2, 4]);
    }
    ctx.out.print_table(&table)
}
