//! `omc audit`: who did what to which credential, when. Never the secret.

use clap::Args;

use super::Ctx;
use crate::error::Result;
use crate::store::Store;
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
}

pub fn run(ctx: &Ctx, args: &AuditArgs) -> Result<()> {
    let entries = match Store::open(&ctx.paths)? {
        Some(store) => store.audit_log(args.limit, (!args.all_profiles).then(|| ctx.profile()))?,
        None => Vec::new(),
    };
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
    for e in &entries {
        table.add_row(vec![
            rfc3339(e.at),
            e.action.clone(),
            e.profile.clone().unwrap_or_default(),
            e.credential.clone().unwrap_or_default(),
            e.detail.clone().unwrap_or_default(),
            match e.uid {
                Some(uid) => format!("{} uid {uid}", e.actor),
                None => e.actor.clone(),
            },
        ]);
    }
    ctx.out.print_table(&table)
}
