//! Agents: a TOML file naming a system prompt, model preferences, tools (commands and MCP
//! servers) and limits; `omc run --agent NAME` runs its tool loop.
//!
//! The core never prints: the loop emits events and the command renders them.

pub mod approval;
pub mod command;
pub mod file;
pub mod grants;
pub mod locate;
pub mod mcp;
pub mod models;
pub mod run;
pub mod session;
pub mod tools;
pub mod transcript;
pub mod trust;

pub use file::Agent;
pub use locate::{Dirs, Located, Origin};
pub use session::{Session, Trusted};
pub use trust::Trust;
