//! `omc limit set | show | clear`: daily token and cost limits per profile.

use clap::{Args, Subcommand};

use super::Ctx;
use crate::error::{Error, Result};
use crate::store::{Limits, Store};

#[derive(Debug, Subcommand)]
pub enum LimitCommand {
    /// Set the profile's daily limits (UTC day); unset ones stay as they are
    Set(SetArgs),
    /// Show the limits and today's use
    Show,
    /// Remove the profile's limits
    Clear,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// Tokens (input + output) per day
    #[arg(long, value_name = "N")]
    pub daily_tokens: Option<u64>,

    /// US dollars per day
    #[arg(long, value_name = "USD")]
    pub daily_cost: Option<f64>,
}

pub fn run(ctx: &Ctx, cmd: &LimitCommand) -> Result<()> {
    match cmd {
        LimitCommand::Set(args) => {
            if args.daily_tokens.is_none() && args.daily_cost.is_none() {
                return Err(Error::usage_hint(
                    "nothing to set",
                    "pass --daily-tokens N and/or --daily-cost USD",
                ));
            }
            if args.daily_cost.is_some_and(|c| !c.is_finite() || c < 0.0) {
                return Err(Error::usage("--daily-cost must be a non-negative amount"));
            }
            let mut store = match Store::open(&ctx.paths)? {
                Some(s) => s,
                None => super::init::create(ctx, None)?.0,
            };
            store.set_limits(
                ctx.profile(),
                Limits {
                    daily_tokens: args.daily_tokens,
                    daily_cost: args.daily_cost,
                },
            )?;
            store.audit("limit-set", Some(ctx.profile()), None, None)?;
            show(ctx, &store)
        }
        LimitCommand::Show => show(ctx, &ctx.store()?),
        LimitCommand::Clear => {
            let mut store = ctx.store()?;
            store.clear_limits(ctx.profile())?;
            store.audit("limit-clear", Some(ctx.profile()), None, None)?;
            show(ctx, &store)
        }
    }
}

fn show(ctx: &Ctx, store: &Store) -> Result<()> {
    let (limits, today) = store.limits(ctx.profile())?;
    if ctx.global.json {
        return ctx.out.json(&serde_json::json!({
            "profile": ctx.profile(),
            "limits": limits,
            "today": today,
        }));
    }
    let mut t = ctx.out.table(&["", "LIMIT", "TODAY (UTC)"]);
    t.add_row(vec![
        "tokens".to_string(),
        limits.daily_tokens.map_or("none".into(), |v| v.to_string()),
        today.tokens.to_string(),
    ]);
    t.add_row(vec![
        "cost (USD)".to_string(),
        limits.daily_cost.map_or("none".into(), crate::pricing::usd),
        format!("{:.6}", today.cost_usd),
    ]);
    ctx.out.print_table(&t)
}
