//! Compiles `prices.toml` into a Rust table (`$OUT_DIR/prices.rs`, read by `src/pricing.rs`), so
//! that `omc run` never parses TOML for its built-in prices (0.42 M instructions, a fifteenth of
//! a run), and a malformed price table fails the build, not a user's command.
//!
//! Packs omc's relative relocations (`-z pack-relative-relocs`, DT_RELR) where the C library
//! that will load the binary understands them.
//!
//! omc is a position-independent executable with about 32,000 relative relocations (vtables,
//! string tables, panic locations). Stored as `.rela.dyn` they are 780 KB that the dynamic
//! loader reads and applies at every start, before `main`: about a quarter of
//! `omc --version`. Packed, they take 7 KB: every command starts about 0.8 ms sooner, with 75
//! fewer page faults (`omc --version` in `benches/run.sh`, before and after). Address-space
//! layout randomisation is kept: the binary stays position-independent.
//!
//! glibc understands DT_RELR from 2.36, and a binary that uses it will not start on an older
//! one. omc is built where it is installed (`install.sh`, `cargo install`), so the choice is
//! made for the build machine's own glibc: packed on glibc ≥ 2.36 when building for the host,
//! unpacked everywhere else (other C libraries, other OSes, cross builds).
//! `OMC_PACK_RELOCS=0` turns it off, `=1` turns it on (a cross build for a new enough glibc).

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    write_prices();
    println!("cargo:rerun-if-env-changed=OMC_PACK_RELOCS");
    let pack = match std::env::var("OMC_PACK_RELOCS").as_deref() {
        Ok("0") => false,
        Ok("1") => true,
        _ => native_glibc_has_relr(),
    };
    if pack {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// `prices.toml`'s `[[price]]` entries as a Rust slice expression of
/// `(provider, model, input, output)`, USD per million tokens.
fn write_prices() {
    println!("cargo:rerun-if-changed=prices.toml");
    let text = std::fs::read_to_string("prices.toml").expect("prices.toml is readable");
    let doc: toml::Table = text
        .parse()
        .unwrap_or_else(|e| panic!("prices.toml is not valid TOML: {e}"));
    let entries = doc
        .get("price")
        .and_then(toml::Value::as_array)
        .expect("prices.toml has [[price]] entries");
    let mut out = String::from("&[\n");
    for (i, entry) in entries.iter().enumerate() {
        let text = |key: &str| {
            entry
                .get(key)
                .and_then(toml::Value::as_str)
                .unwrap_or_else(|| panic!("prices.toml: price #{} has no text `{key}`", i + 1))
        };
        let usd = |key: &str| match entry.get(key) {
            Some(toml::Value::Float(x)) if x.is_finite() && *x >= 0.0 => *x,
            Some(toml::Value::Integer(n)) if *n >= 0 => *n as f64,
            _ => panic!(
                "prices.toml: price #{} has no `{key}` in USD (a number ≥ 0)",
                i + 1
            ),
        };
        out.push_str(&format!(
            "    ({:?}, {:?}, {:?}, {:?}),\n",
            text("provider"),
            text("model"),
            usd("input"),
            usd("output")
        ));
    }
    out.push_str("]\n");
    let dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(std::path::Path::new(&dir).join("prices.rs"), out).expect("OUT_DIR is writable");
}

/// Whether the binary is built for this machine, on Linux with glibc 2.36 or newer.
fn native_glibc_has_relr() -> bool {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || var("HOST") != var("TARGET")
    {
        return false;
    }
    // `getconf` ships with glibc itself: "glibc 2.36".
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = text.trim().strip_prefix("glibc ") else {
        return false;
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (2, 36)
}
