//! The fake LLM provider of the test suite as a standalone process, for benchmarks and trying omc
//! without a real key. Loopback only.
//!
//! ```text
//! cargo run --example fake_provider -- --family openai --ttft-ms 50 --token-ms 5 --tokens 64
//! ```
//!
//! Prints the base URL to give omc (`--base-url`) on stdout, then serves until killed.
//! Flags: `--family openai|anthropic|gemini` (openai), `--port N` (0: any free port),
//! `--ttft-ms N`, `--token-ms N`, `--tokens N` (16), `--key KEY` (refuse other keys),
//! `--log FILE` (one JSON line per delayed streamed reply: when its first content event was due
//! and when it went out, for telling the fake's lateness from the client's).

#[path = "../tests/support/fake_provider.rs"]
mod fake_provider;

use std::io::Write;
use std::time::Duration;

use fake_provider::{Behaviour, FakeProvider, Family, Reply};

struct Args {
    family: Family,
    port: u16,
    ttft_ms: u64,
    token_ms: u64,
    tokens: usize,
    key: Option<String>,
    log: Option<std::path::PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        family: Family::OpenAi,
        port: 0,
        ttft_ms: 0,
        token_ms: 0,
        tokens: 16,
        key: None,
        log: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<u64>().map_err(|e| format!("{flag}: {e}"));
        match flag.as_str() {
            "--family" => {
                args.family =
                    Family::parse(&value).ok_or_else(|| format!("unknown family '{value}'"))?
            }
            "--port" => args.port = value.parse().map_err(|e| format!("{flag}: {e}"))?,
            "--ttft-ms" => args.ttft_ms = number(&value)?,
            "--token-ms" => args.token_ms = number(&value)?,
            "--tokens" => args.tokens = number(&value)? as usize,
            "--key" => args.key = Some(value),
            "--log" => args.log = Some(value.into()),
            _ => return Err(format!("unknown flag '{flag}'")),
        }
    }
    Ok(args)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("fake_provider: {e}");
            }
            eprintln!(
                "usage: fake_provider [--family openai|anthropic|gemini] [--port N] [--ttft-ms N] [--token-ms N] [--tokens N] [--key KEY] [--log FILE]"
            );
            return std::process::ExitCode::from(2);
        }
    };
    let fake = match FakeProvider::start_on(args.family, args.port).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "fake_provider: cannot listen on 127.0.0.1:{}: {e}",
                args.port
            );
            return std::process::ExitCode::from(1);
        }
    };
    if let Some(path) = &args.log
        && let Err(e) = fake_provider::log_first_writes(path)
    {
        eprintln!("fake_provider: cannot create {}: {e}", path.display());
        return std::process::ExitCode::from(1);
    }
    // A long-running server must not keep every request it ever saw.
    fake.record(false);
    if let Some(key) = &args.key {
        fake.expect_key(key);
    }
    fake.set_default(Behaviour::Reply(Reply::tokens(args.tokens).delays(
        Duration::from_millis(args.ttft_ms),
        Duration::from_millis(args.token_ms),
    )));
    println!("{}", fake.base_url());
    let _ = std::io::stdout().flush();
    let _ = tokio::signal::ctrl_c().await;
    std::process::ExitCode::SUCCESS
}
