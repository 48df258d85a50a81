//! `omc export`: credentials in one age file for named recipients (age or SSH public keys), so a
//! teammate can `omc import bundle` them. Never plaintext; audited per credential.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::Ctx;
use crate::bundle::{self, Entry, Recipient};
use crate::error::{Error, Result};
use crate::output::stdout_error;
use crate::store::{Filter, audit_record};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Credentials to put in the bundle
    pub names: Vec<String>,

    /// Every credential of the profile
    #[arg(long, conflicts_with = "names")]
    pub all: bool,

    /// Encrypt to this age recipient (age1…) or SSH public key ('ssh-ed25519 AAAA… comment',
    /// 'ssh-rsa …'); repeat for several
    #[arg(long = "recipient", short = 'r', value_name = "RECIPIENT")]
    pub recipients: Vec<String>,

    /// Encrypt to the recipients listed in FILE, one per line, as `age -R` reads it
    #[arg(long, short = 'R', value_name = "FILE")]
    pub recipients_file: Vec<PathBuf>,

    /// Write the bundle to FILE (mode 0600) [default: stdout]
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// ASCII-armored (PEM) output, to paste into a message
    #[arg(long, short = 'a')]
    pub armor: bool,
}

#[derive(Serialize)]
struct Exported<'a> {
    file: Option<String>,
    armor: bool,
    credentials: Vec<ExportedCredential<'a>>,
    recipients: Vec<&'a str>,
}

#[derive(Serialize)]
struct ExportedCredential<'a> {
    name: &'a str,
    provider: &'a str,
}

pub fn run(ctx: &Ctx, args: &ExportArgs) -> Result<()> {
    let mut recipients = Vec::new();
    for r in &args.recipients {
        recipients.push(Recipient::parse(r)?);
    }
    for file in &args.recipients_file {
        recipients.extend(bundle::recipients_file(file)?);
    }
    if recipients.is_empty() {
        return Err(Error::usage_hint(
            "no recipient: a bundle is encrypted to the people who may open it",
            "pass --recipient age1… or --recipient 'ssh-ed25519 AAAA… name' (repeatable), \
             or --recipients-file FILE",
        ));
    }
    if args.names.is_empty() && !args.all {
        return Err(Error::usage_hint(
            "name the credentials to export",
            "omc export NAME… --recipient R, or --all for every credential of the profile",
        ));
    }
    if args.out.is_none() {
        if ctx.global.json {
            return Err(Error::usage_hint(
                "--json needs --out FILE: stdout carries the bundle",
                "add --out bundle.age",
            ));
        }
        if !args.armor && std::io::stdout().is_terminal() {
            return Err(Error::usage_hint(
                "refusing to write a binary bundle to the terminal",
                "pass --out FILE, or --armor for text",
            ));
        }
    }

    let mut store = ctx.store()?;
    // The rows and the recipient they are checked against come from one snapshot.
    let creds = store.snapshot(|store| {
        Ok(if args.all {
            store.require_profile(ctx.profile())?;
            let all = store.list_credentials(&Filter {
                profile: Some(ctx.profile()),
                ..Filter::default()
            })?;
            if all.is_empty() {
                return Err(Error::Missing {
                    message: format!("profile '{}' has no credentials to export", ctx.profile()),
                    hint: "add one: omc add PROVIDER".into(),
                });
            }
            all.iter()
                .map(|c| store.credential(ctx.profile(), &c.name))
                .collect::<Result<Vec<_>>>()?
        } else {
            let mut creds: Vec<(crate::store::Credential, Vec<u8>)> = Vec::new();
            for name in &args.names {
                if !creds.iter().any(|(c, _)| c.name == *name) {
                    creds.push(store.credential(ctx.profile(), name)?);
                }
            }
            creds
        })
    })?;
    let master = ctx.unlock(&store)?;
    let mut entries = Vec::with_capacity(creds.len());
    for (cred, ciphertext) in &creds {
        entries.push(Entry {
            name: cred.name.clone(),
            provider: cred.provider.clone(),
            model: cred.model.clone(),
            base_url: cred.base_url.clone(),
            key: super::decrypt(&master, cred, ciphertext)?,
        });
    }
    let sealed = bundle::seal(&entries, &recipients, args.armor)?;
    drop(entries);

    let described: Vec<&str> = recipients.iter().map(|r| r.describe.as_str()).collect();
    let detail = format!("bundle to {}", described.join(", "));
    // The audit rows and the file go together: if the file cannot be written, no row says
    // the keys left.
    store.write(|tx| {
        for (cred, _) in &creds {
            audit_record(
                tx,
                "export",
                Some(ctx.profile()),
                Some((&cred.name, &cred.id)),
                Some(&detail),
            )?;
        }
        match &args.out {
            Some(path) => crate::paths::write_private_atomic(path, &sealed),
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(&sealed)
                    .and_then(|_| out.flush())
                    .map_err(stdout_error)
            }
        }
    })?;

    if ctx.global.json {
        return ctx.out.json(&Exported {
            file: args.out.as_ref().map(|p| p.display().to_string()),
            armor: args.armor,
            credentials: creds
                .iter()
                .map(|(c, _)| ExportedCredential {
                    name: &c.name,
                    provider: &c.provider,
                })
                .collect(),
            recipients: described,
        });
    }
    ctx.out.note(format!(
        "Exported {} credential{} ({}) {}for {}",
        creds.len(),
        if creds.len() == 1 { "" } else { "s" },
        creds
            .iter()
            .map(|(c, _)| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        args.out
            .as_ref()
            .map_or_else(String::new, |p| format!("to {} ", p.display())),
        described.join(", ")
    ));
    Ok(())
}
