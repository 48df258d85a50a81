//! One error type for the core, each variant knowing its exit code (docs/reference.md) and, where a
//! fix is known, the hint printed under the error line.
//!
//! No variant ever carries a secret: messages are built from names, paths and provider replies
//! that have been passed through [`crate::provider::redact`].

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flags, arguments or input the user can correct (exit 2).
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },

    /// A named thing does not exist (exit 3).
    #[error("{what} '{name}' not found")]
    NotFound { what: &'static str, name: String },

    /// Nothing fits where something was asked for by role, such as a profile's default
    /// credential (exit 3).
    #[error("{message}")]
    Missing { message: String, hint: String },

    /// The master key is missing, locked, wrong, or not this store's (exit 4).
    #[error("{message}")]
    MasterKey { message: String, hint: String },

    /// The operation conflicts with what is stored (exit 1).
    #[error("{message}")]
    Conflict {
        message: String,
        hint: Option<String>,
    },

    /// The store refuses to work (bad file modes, corrupt or foreign database) (exit 1).
    #[error("{message}")]
    Store { message: String, hint: String },

    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// A stored ciphertext failed to decrypt or is bound to another row (exit 1).
    #[error("{0}")]
    Crypto(String),

    /// The provider rejected the credential: 401, 403 or its own "invalid key" (exit 5).
    #[error("{provider} rejected the credential: {message}")]
    Auth { provider: String, message: String },

    /// The provider or the network failed after retries (exit 6).
    #[error("{provider}: {message}")]
    Provider { provider: String, message: String },

    /// Rate limited after retries (exit 7).
    #[error("{provider} rate limited the request: {message}")]
    RateLimited { provider: String, message: String },

    /// A usage limit would be exceeded (exit 8).
    #[error("{message}")]
    Limit { message: String, hint: String },

    /// An agent stopped before finishing: turn limit, repeated call, budget, or a call that
    /// needed approval with no terminal to ask on (exit 10).
    #[error("{message}")]
    AgentStopped { message: String, hint: String },

    /// A benchmark gate failed (exit 9).
    #[error("{0}")]
    Gate(String),

    #[error("interrupted")]
    Interrupted,

    /// A failure whose exit code the command decides: `exec`'s 127 (command not found) and 126
    /// (cannot run), as the shell and env(1) say; `validate`'s most telling failure.
    #[error("{message}")]
    Exit { message: String, code: u8 },

    #[error("{0}")]
    Other(String),

    /// OpenBao / Vault refused the token (exit 4), could not be reached or failed (exit 6), or
    /// refused the request for another reason (exit 1).
    #[error("{message}")]
    Engine {
        message: String,
        hint: String,
        code: u8,
    },

    /// Another error, with the hint that fits where it happened.
    #[error("{source}")]
    Hinted { source: Box<Error>, hint: String },
}

/// What kind of failure an error is, for code that reacts to one (`add` hints at
/// `--no-validate` after a rejected key or a network failure; `import` records some and goes
/// on). Each kind has its exit code (docs/reference.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Anything without a more specific kind (exit 1).
    Failed,
    /// Bad flags, arguments or input (exit 2).
    Usage,
    /// A named thing, or a thing asked for by role, does not exist (exit 3).
    NotFound,
    /// The master key, or a secret engine's token, is missing, locked, wrong or refused (exit 4).
    Locked,
    /// The provider rejected the credential (exit 5).
    KeyRejected,
    /// The provider, the engine or the network failed (exit 6).
    Unavailable,
    /// Rate limited after retries (exit 7).
    RateLimited,
    /// A usage limit (exit 8).
    Limit,
    /// A benchmark gate (exit 9).
    Gate,
    /// An agent stopped before finishing (exit 10).
    AgentStopped,
    /// Ctrl-C or SIGTERM (exit 130).
    Interrupted,
}

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Failed => 1,
            Kind::Usage => 2,
            Kind::NotFound => 3,
            Kind::Locked => 4,
            Kind::KeyRejected => 5,
            Kind::Unavailable => 6,
            Kind::RateLimited => 7,
            Kind::Limit => 8,
            Kind::Gate => 9,
            Kind::AgentStopped => 10,
            Kind::Interrupted => 130,
        }
    }

    fn from_exit_code(code: u8) -> Kind {
        match code {
            2 => Kind::Usage,
            3 => Kind::NotFound,
            4 => Kind::Locked,
            5 => Kind::KeyRejected,
            6 => Kind::Unavailable,
            7 => Kind::RateLimited,
            8 => Kind::Limit,
            9 => Kind::Gate,
            10 => Kind::AgentStopped,
            130 => Kind::Interrupted,
            _ => Kind::Failed,
        }
    }
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: None,
        }
    }

    pub fn usage_hint(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn not_found(what: &'static str, name: impl Into<String>) -> Self {
        Error::NotFound {
            what,
            name: name.into(),
        }
    }

    pub fn master(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::MasterKey {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn conflict(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Error::Conflict {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub fn io_path(action: &str, path: &std::path::Path, source: std::io::Error) -> Self {
        Error::io(format!("cannot {action} {}", path.display()), source)
    }

    pub fn insecure_mode(path: PathBuf, mode: u32, want: u32) -> Self {
        Error::Store {
            message: format!(
                "refusing to use {}: its mode is {:04o}, readable by group or others",
                path.display(),
                mode & 0o7777
            ),
            hint: format!("chmod {:o} '{}'", want, path.display()),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> Kind {
        match self {
            Error::Usage { .. } => Kind::Usage,
            Error::NotFound { .. } | Error::Missing { .. } => Kind::NotFound,
            Error::MasterKey { .. } => Kind::Locked,
            Error::Auth { .. } => Kind::KeyRejected,
            Error::Provider { .. } => Kind::Unavailable,
            Error::RateLimited { .. } => Kind::RateLimited,
            Error::Limit { .. } => Kind::Limit,
            Error::Gate(_) => Kind::Gate,
            Error::AgentStopped { .. } => Kind::AgentStopped,
            Error::Interrupted => Kind::Interrupted,
            Error::Exit { code, .. } | Error::Engine { code, .. } => Kind::from_exit_code(*code),
            Error::Hinted { source, .. } => source.kind(),
            Error::Conflict { .. }
            | Error::Store { .. }
            | Error::Sqlite(_)
            | Error::Io { .. }
            | Error::Crypto(_)
            | Error::Other(_) => Kind::Failed,
        }
    }

    /// The process exit code docs/reference.md gives this error: its kind's, except where the
    /// command chose one (`exec`'s 126 and 127).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Exit { code, .. } | Error::Engine { code, .. } => *code,
            Error::Hinted { source, .. } => source.exit_code(),
            e => e.kind().exit_code(),
        }
    }

    /// This error with `hint` in place of its usual one.
    pub fn with_hint(self, hint: impl Into<String>) -> Self {
        Error::Hinted {
            source: Box::new(self),
            hint: hint.into(),
        }
    }

    /// What the user can do about it, printed as `hint: …` under the error.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Hinted { hint, .. } => Some(hint.clone()),
            Error::Usage { hint, .. } | Error::Conflict { hint, .. } => hint.clone(),
            Error::MasterKey { hint, .. }
            | Error::Store { hint, .. }
            | Error::Limit { hint, .. }
            | Error::AgentStopped { hint, .. }
            | Error::Engine { hint, .. }
            | Error::Missing { hint, .. } => {
                Some(hint.clone())
            }
            Error::NotFound { what, .. } => Some(match *what {
                "credential" => "run `omc list` to see the credentials of this profile".into(),
                "profile" => "run `omc profile list` to see the profiles".into(),
                "store" => "run `omc init` (or `omc add PROVIDER`) to create it".into(),
                "bench run" => "run `omc bench history` to see the stored runs".into(),
                "agent run" => "run `omc agent runs` to see the stored agent runs".into(),
                "conversation" => {
                    "run `omc log` to see the stored conversations; start one with `omc run \"…\"`"
                        .into()
                }
                _ => return None,
            }),
            Error::Sqlite(e) if is_busy(e) => Some(
                "another omc process held the database too long; retry, or check for a stuck process"
                    .into(),
            ),
            Error::Sqlite(rusqlite::Error::SqliteFailure(f, _))
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
                ) =>
            {
                Some("the store is damaged: run `omc doctor`, and restore omc.db and omc.db-wal together from a backup".into())
            }
            Error::Auth { .. } => {
                Some("check the key, or replace it with `omc rotate NAME --key-stdin`".into())
            }
            Error::RateLimited { .. } => {
                Some("wait and retry, or use another credential with --fallback".into())
            }
            _ => None,
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_contract() {
        assert_eq!(Error::usage("x").exit_code(), 2);
        assert_eq!(Error::not_found("credential", "a").exit_code(), 3);
        assert_eq!(Error::master("x", "y").exit_code(), 4);
        assert_eq!(
            Error::Auth {
                provider: "openai".into(),
                message: "m".into()
            }
            .exit_code(),
            5
        );
        assert_eq!(Error::Gate("g".into()).exit_code(), 9);
        assert_eq!(Error::Interrupted.exit_code(), 130);
    }

    #[test]
    fn kinds_see_through_hints_and_chosen_codes() {
        let rejected = Error::Auth {
            provider: "openai".into(),
            message: "m".into(),
        }
        .with_hint("h");
        assert_eq!(rejected.kind(), Kind::KeyRejected);
        assert_eq!(rejected.exit_code(), 5);
        let engine_down = Error::Engine {
            message: "m".into(),
            hint: "h".into(),
            code: 6,
        };
        assert_eq!(engine_down.kind(), Kind::Unavailable);
        let not_found = Error::Exit {
            message: "m".into(),
            code: 127,
        };
        assert_eq!(
            (not_found.kind(), not_found.exit_code()),
            (Kind::Failed, 127)
        );
        for kind in [
            Kind::Usage,
            Kind::Limit,
            Kind::AgentStopped,
            Kind::Interrupted,
        ] {
            assert_eq!(Kind::from_exit_code(kind.exit_code()), kind);
        }
    }

    #[test]
    fn not_found_hints_name_the_listing_command() {
        let hint = Error::not_found("credential", "work").hint().unwrap();
        assert!(hint.contains("omc list"), "{hint}");
    }
}
