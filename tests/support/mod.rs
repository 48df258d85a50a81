//! Test helpers, all in this directory. `common.rs` (the real `omc` binary run hermetically: a
//! temp home, a cleared environment, a fixed master key) and `openbao.rs` are included by path
//! (`#[path = "support/common.rs"] mod common;`), so a test compiles only what it uses; the
//! provider fakes and the HTTP server below come in with `mod support;`.

pub mod fake_provider;
pub mod json_schema;
pub mod server;
