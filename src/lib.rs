//! omc: keep LLM API keys encrypted, run prompts against them, benchmark providers.
//!
//! The binary is a thin `main`; everything is here so tests and benchmarks can reach it.
#![forbid(unsafe_code)]

pub mod agent;
pub mod attach;
pub mod bench;
pub mod bounded;
pub mod bounds;
pub mod bundle;
pub mod chart;
pub mod cli;
pub mod cmd;
pub mod complete;
pub mod config;
pub mod creds;
pub mod error;
pub mod hardening;
pub mod import;
pub mod keys;
pub mod logging;
pub mod mask;
pub mod openbao;
pub mod output;
pub mod paths;
pub mod pricing;
pub mod process;
pub mod provider;
pub mod proxy;
pub mod runtime;
pub mod schema;
pub mod store;
pub mod suggest;
pub mod table;
pub mod terminal;
pub mod testhook;
pub mod time;
pub mod ui;

use cli::{Cli, Command};
use error::Result;

/// Run a parsed command line; returns the process exit code on success (non-zero only for
/// `exec`, which passes its child's on).
pub fn run(cli: Cli) -> Result<u8> {
    // Commands that need neither the store nor the keyring return before any is touched.
    match &cli.command {
        Command::Completions(args) => return cmd::completions::run(args).map(|_| 0),
        Command::Man(args) => return cmd::man::run(args).map(|_| 0),
        _ => {}
    }
    let ctx = cmd::Ctx::new(cli.global)?;
    match &cli.command {
        Command::Init(args) => cmd::init::run(&ctx, args)?,
        Command::Add(args) => cmd::add::run(&ctx, args)?,
        Command::List(args) => cmd::list::run(&ctx, args)?,
        Command::Default(args) => cmd::default::run(&ctx, args)?,
        Command::Delete(args) => cmd::delete::run(&ctx, args)?,
        Command::Rotate(args) => cmd::rotate::run(&ctx, args)?,
        Command::Key(args) => cmd::key::run(&ctx, args)?,
        Command::Exec(args) => return cmd::exec::run(&ctx, args),
        Command::Env(args) => cmd::env::run(&ctx, args)?,
        Command::Serve(args) => cmd::serve::run(&ctx, args)?,
        Command::Import(args) => cmd::import::run(&ctx, args)?,
        Command::Export(args) => cmd::export::run(&ctx, args)?,
        Command::Profile(c) => cmd::profile::run(&ctx, c)?,
        Command::Master(c) => cmd::master::run(&ctx, c)?,
        Command::Unlock(args) => cmd::lock::unlock(&ctx, args)?,
        Command::Lock(args) => cmd::lock::lock(&ctx, args)?,
        Command::Audit(args) => cmd::audit::run(&ctx, args)?,
        Command::Validate(args) => cmd::validate::run(&ctx, args)?,
        Command::Run(args) => cmd::run::run(&ctx, args)?,
        Command::Agent(c) => cmd::agent::run(&ctx, c)?,
        Command::Log(args) => cmd::log::run(&ctx, args)?,
        Command::Chat(args) => cmd::chat::run(&ctx, args)?,
        Command::Models(args) => cmd::models::run(&ctx, args)?,
        Command::Bench(args) => cmd::bench::run(&ctx, args)?,
        Command::Usage(args) => cmd::usage::run(&ctx, args)?,
        Command::Limit(c) => cmd::limit::run(&ctx, c)?,
        Command::Doctor(args) => cmd::doctor::run(&ctx, args)?,
        Command::Completions(_) | Command::Man(_) => unreachable!("handled above"),
    }
    Ok(0)
}
