//! Approval: a pure function from the run's policy and a call to what the call needs, and the
//! answers a person can give. The question itself is the front end's ([`super::run::Frontend`]:
//! the terminal's in `src/cmd/agent_run.rs`): the core never prints.

use std::collections::BTreeSet;

use super::file::Approve;

/// What a call needs before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Run it.
    Skip,
    /// Ask first.
    NeedsApproval,
    /// Decline it without asking (`--deny`).
    Forbidden,
}

/// The run's approval policy: the flags, and the tools answered "always" so far.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub approve_all: bool,
    pub approved: BTreeSet<String>,
    pub denied: BTreeSet<String>,
    pub always: BTreeSet<String>,
}

/// The tool a call is for, as approval sees it.
#[derive(Debug, Clone, Copy)]
pub struct ToolRef<'a> {
    /// The name the model calls it by (`SERVER_tool` for MCP tools).
    pub name: &'a str,
    /// The MCP server it belongs to, if any: naming the server covers all its tools.
    pub server: Option<&'a str>,
    pub approve: Approve,
}

impl Policy {
    /// From `--approve all|NAME,…` and `--deny NAME,…`.
    pub fn from_flags(approve: &[String], deny: &[String]) -> Policy {
        let mut p = Policy::default();
        for a in approve {
            if a == "all" {
                p.approve_all = true;
            } else {
                p.approved.insert(a.clone());
            }
        }
        p.denied = deny.iter().cloned().collect();
        p
    }

    fn names(set: &BTreeSet<String>, tool: &ToolRef<'_>) -> bool {
        set.contains(tool.name) || tool.server.is_some_and(|s| set.contains(s))
    }
}

/// What `tool`'s call needs under `policy`. `--deny` wins over everything; then `approve =
/// "auto"`, `--approve` and "always" let it run; anything else is asked about.
pub fn requirement(policy: &Policy, tool: &ToolRef<'_>) -> Requirement {
    if Policy::names(&policy.denied, tool) {
        Requirement::Forbidden
    } else if tool.approve == Approve::Auto
        || policy.approve_all
        || Policy::names(&policy.approved, tool)
        || policy.always.contains(tool.name)
    {
        Requirement::Skip
    } else {
        Requirement::NeedsApproval
    }
}

/// The answer to "run this call?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    /// Yes, and do not ask again for this tool in this run.
    Always,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t<'a>(name: &'a str, server: Option<&'a str>, approve: Approve) -> ToolRef<'a> {
        ToolRef {
            name,
            server,
            approve,
        }
    }

    #[test]
    fn deny_wins_then_auto_and_flags_then_ask() {
        let ask = Approve::Ask;
        let p = Policy::default();
        assert_eq!(
            requirement(&p, &t("a", None, ask)),
            Requirement::NeedsApproval
        );
        assert_eq!(
            requirement(&p, &t("a", None, Approve::Auto)),
            Requirement::Skip
        );

        let p = Policy::from_flags(&["all".into()], &["b".into(), "time".into()]);
        assert_eq!(requirement(&p, &t("a", None, ask)), Requirement::Skip);
        assert_eq!(
            requirement(&p, &t("b", None, Approve::Auto)),
            Requirement::Forbidden
        );
        assert_eq!(
            requirement(&p, &t("time_now", Some("time"), ask)),
            Requirement::Forbidden
        );

        let mut p = Policy::from_flags(&["a".into(), "git".into()], &[]);
        assert_eq!(requirement(&p, &t("a", None, ask)), Requirement::Skip);
        assert_eq!(
            requirement(&p, &t("git_log", Some("git"), ask)),
            Requirement::Skip
        );
        assert_eq!(
            requirement(&p, &t("c", None, ask)),
            Requirement::NeedsApproval
        );
        p.always.insert("c".into());
        assert_eq!(requirement(&p, &t("c", None, ask)), Requirement::Skip);
    }
}
