//! `omc chat`: an interactive REPL on a terminal. Each exchange is an `omc run -c` (same
//! ledger row, same storage of the conversation, same escaping of the answer); the line editor
//! keeps its history in memory only, so no prompt reaches a plaintext file.

use std::io::IsTerminal;

use clap::Args;
use rustyline::error::ReadlineError;

use super::Ctx;
use super::chat_turn::Chat;
use super::run::RunArgs;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct ChatArgs {
    #[command(flatten)]
    pub run: RunArgs,
}

const HELP: &str = "\
commands:
  /model NAME        use another model (this credential's)
  /credential NAME   use another credential (its model)
  /system [TEXT]     set the system prompt (none: clear it)
  /attach FILE       send an image, a PDF or a text file with the next prompt
  /save              store this conversation now (also with --no-log)
  /new               start a new conversation
  /exit              leave (also Ctrl-D)
multi-line input: end a line with \\ to go on, or put \"\"\" on a line before and after.
Ctrl-C stops an answer; at the prompt it clears the line.";

pub fn run(ctx: &Ctx, args: &ChatArgs) -> Result<()> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(Error::usage_hint(
            "omc chat needs a terminal (stdin and stdout)",
            "from a script, use `omc run \"PROMPT\"`, then `omc run -c \"NEXT\"` to go on",
        ));
    }
    let a = &args.run;
    if a.agent.agent.is_some() {
        return Err(Error::usage_hint(
            "omc chat --agent is not available yet",
            "run the agent with `omc run --agent NAME \"PROMPT\"`",
        ));
    }
    if a.schema.is_some() || !a.fallback.is_empty() {
        return Err(Error::usage_hint(
            "--schema and --fallback are for `omc run`",
            "leave them out of `omc chat`",
        ));
    }
    let mut chat = Chat::open(ctx, a)?;
    ctx.out.note(format!(
        "omc chat — {} ({}); /help for commands, Ctrl-D to leave",
        crate::terminal::line(&chat.cred.name),
        crate::terminal::line(&chat.model)
    ));
    if let Some(id) = chat.thread.stored {
        ctx.out.note(format!(
            "continuing conversation {id} ({} exchanges)",
            chat.thread.log.exchanges.len()
        ));
    }
    let mut editor = rustyline::DefaultEditor::new()
        .map_err(|e| Error::Other(format!("cannot start the line editor: {e}")))?;
    if let Some(p) = a.prompt.as_deref().filter(|p| !p.trim().is_empty()) {
        chat.say(p);
    }
    while let Some(input) = read_input(&mut editor)? {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            continue;
        }
        let _ = editor.add_history_entry(trimmed);
        if trimmed.starts_with('/') && !trimmed.contains('\n') {
            if !command(ctx, &mut chat, trimmed)? {
                break;
            }
        } else {
            chat.say(&input);
        }
    }
    Ok(())
}

/// Run a `/command`; `false` to leave.
fn command(ctx: &Ctx, chat: &mut Chat<'_>, line: &str) -> Result<bool> {
    let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let done = match name {
        "/exit" | "/quit" => return Ok(false),
        "/help" => Ok(HELP.to_owned()),
        "/new" => {
            chat.thread.reset();
            Ok("a new conversation".to_owned())
        }
        "/model" => chat.set_model(rest),
        "/credential" => chat.set_credential(rest),
        "/system" => {
            chat.system = (!rest.is_empty()).then(|| rest.to_owned());
            Ok(match chat.system {
                Some(_) => "system prompt set".to_owned(),
                None => "system prompt cleared".to_owned(),
            })
        }
        "/save" => chat.save(),
        "/attach" => chat.attach(rest),
        other => Err(Error::usage_hint(
            format!("unknown command {}", crate::terminal::line(other)),
            "/help lists them",
        )),
    };
    match done {
        Ok(msg) => ctx.out.note(msg),
        Err(e) => report(&e),
    }
    Ok(true)
}

/// An error inside the chat: shown as `omc` shows errors, and the chat goes on.
pub(crate) fn report(e: &Error) {
    eprintln!("omc: error: {}", crate::terminal::line(&e.to_string()));
    if let Some(h) = e.hint() {
        eprintln!("hint: {}", crate::terminal::line(&h));
    }
}

/// One input: a line, lines joined by a trailing `\`, or a `"""` block. `None` at Ctrl-D.
fn read_input(editor: &mut rustyline::DefaultEditor) -> Result<Option<String>> {
    let mut buf = String::new();
    let mut block = false;
    loop {
        let prompt = if block || !buf.is_empty() {
            "… "
        } else {
            "» "
        };
        match editor.readline(prompt) {
            Ok(line) => {
                if line.trim() == "\"\"\"" {
                    if block {
                        return Ok(Some(buf));
                    }
                    block = true;
                    continue;
                }
                if block {
                    buf.push_str(&line);
                    buf.push('\n');
                } else if let Some(part) = line.strip_suffix('\\') {
                    buf.push_str(part);
                    buf.push('\n');
                } else {
                    buf.push_str(&line);
                    return Ok(Some(buf));
                }
            }
            // Ctrl-C at the prompt drops what was typed, and stays.
            Err(ReadlineError::Interrupted) => {
                buf.clear();
                block = false;
            }
            Err(ReadlineError::Eof) if buf.is_empty() => return Ok(None),
            Err(ReadlineError::Eof) => return Ok(Some(buf)),
            Err(e) => return Err(Error::Other(format!("cannot read input: {e}"))),
        }
    }
}
