//! Conversations with tool calls, against fake servers speaking each family's documented wire
//! format: streamed and whole replies with calls, the exact request bodies sent back, a
//! conversation moved between families, and the errors a broken call gives.
//! Every case runs through both of omc's HTTP paths.

mod support;

/// reqwest's, which every command uses.
mod reqwest_path {
    const LEAN_HTTP: bool = false;
    include!("provider_tools/cases.rs");
}

/// The lean HTTP/1.1 path (`src/provider/direct.rs`) `omc bench` uses for plain-http URLs.
mod lean_path {
    const LEAN_HTTP: bool = true;
    include!("provider_tools/cases.rs");
}
