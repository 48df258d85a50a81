//! A decrypted log entry for people: plain text or Markdown. The text is untrusted (prompts,
//! answers, tool output); the caller escapes it for a terminal.

use std::fmt::Write as _;

use crate::agent::transcript::{ConversationLog, Transcript};
use crate::provider::{Message, Part, Role};
use crate::time::rfc3339;

/// Plain text: a header line, then each message under its role.
pub fn text(c: &ConversationLog) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "conversation {} — started {}, {} exchange{}",
        c.id,
        rfc3339(c.started_at),
        c.exchanges.len(),
        if c.exchanges.len() == 1 { "" } else { "s" }
    );
    if let Some(sys) = &c.conversation.system {
        let _ = writeln!(s, "\n[system]\n{}", sys.trim_end());
    }
    let mut answer = 0;
    for m in &c.conversation.messages {
        let label = match m.role {
            Role::User => "user".to_owned(),
            Role::Tool => "tool".to_owned(),
            Role::Assistant => {
                let ex = c.exchanges.get(answer);
                answer += 1;
                match ex {
                    Some(e) => format!("assistant — {} → {}", e.credential, e.model),
                    None => "assistant".to_owned(),
                }
            }
        };
        let _ = writeln!(s, "\n[{label}]\n{}", body(m).trim_end());
    }
    s
}

/// Markdown: a heading per message.
pub fn markdown(c: &ConversationLog) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Conversation {}\n\n*Started {}*",
        c.id,
        rfc3339(c.started_at)
    );
    if let Some(sys) = &c.conversation.system {
        let _ = writeln!(s, "\n## System\n\n{}", sys.trim_end());
    }
    let mut answer = 0;
    for m in &c.conversation.messages {
        let heading = match m.role {
            Role::User => "User".to_owned(),
            Role::Tool => "Tool results".to_owned(),
            Role::Assistant => {
                let ex = c.exchanges.get(answer);
                answer += 1;
                match ex {
                    Some(e) => format!("Assistant ({})", e.model),
                    None => "Assistant".to_owned(),
                }
            }
        };
        let _ = writeln!(s, "\n## {heading}\n\n{}", body(m).trim_end());
    }
    s
}

/// An agent run as Markdown.
pub fn agent_markdown(t: &Transcript) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Agent run {} ({})\n\n*Started {}*",
        t.run_id,
        t.agent,
        rfc3339(t.started_at)
    );
    if let Some(sys) = &t.system {
        let _ = writeln!(s, "\n## System\n\n{}", sys.trim_end());
    }
    let _ = writeln!(s, "\n## User\n\n{}", t.prompt.trim_end());
    for (i, turn) in t.turns.iter().enumerate() {
        let _ = writeln!(s, "\n## Assistant, turn {} ({})\n", i + 1, turn.model);
        if !turn.text.is_empty() {
            let _ = writeln!(s, "{}", turn.text.trim_end());
        }
        for c in &turn.tool_calls {
            let _ = writeln!(
                s,
                "\n**{}** `{}`\n\n```\n{}\n```",
                c.name,
                c.arguments,
                c.result.trim_end()
            );
        }
    }
    s
}

/// A message's parts as text: what was said, calls and results in a line each, and a marker
/// for data with no text (provider-opaque parts, attachments).
fn body(m: &Message) -> String {
    let mut s = String::new();
    for p in &m.parts {
        match p {
            Part::Text { text } => s.push_str(text),
            Part::ToolCall(c) => {
                let _ = write!(s, "\n→ {} {}", c.name, c.arguments_text());
            }
            Part::ToolResult(r) => {
                let _ = write!(s, "\n{} {}", if r.is_error { "✗" } else { "✓" }, r.content);
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }
    s
}

/// Every piece of text of a conversation, for a search.
pub fn conversation_text(c: &ConversationLog) -> String {
    let mut s = c.conversation.system.clone().unwrap_or_default();
    for m in &c.conversation.messages {
        s.push('\n');
        s.push_str(&body(m));
    }
    s
}

/// Every piece of text of an agent run, for a search.
pub fn agent_text(t: &Transcript) -> String {
    let mut s = t.system.clone().unwrap_or_default();
    s.push('\n');
    s.push_str(&t.prompt);
    for turn in &t.turns {
        s.push('\n');
        s.push_str(&turn.text);
        for c in &turn.tool_calls {
            let _ = write!(s, "\n{} {}\n{}", c.name, c.arguments, c.result);
        }
    }
    s
}
