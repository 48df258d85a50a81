//! The provider layer against fake servers speaking each family's documented wire format,
//! through both of omc's HTTP paths: every case runs on each.

mod support;

/// reqwest's, which every command uses (`run`, `validate`, agents, model lists).
mod reqwest_path {
    const LEAN_HTTP: bool = false;
    include!("provider_wire/cases.rs");
}

/// The lean HTTP/1.1 path (`src/provider/direct.rs`) `omc bench` uses for plain-http URLs.
mod lean_path {
    const LEAN_HTTP: bool = true;
    include!("provider_wire/cases.rs");
}
