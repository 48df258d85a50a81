//! TLS for every HTTP client omc builds (reqwest's, and rmcp's and the KV engine's through it):
//! rustls with ring's primitives.

/// Install ring as the process's rustls crypto provider, once, before an HTTP client is built.
/// Done where clients are built, not at start, so commands that never speak HTTP (`key`,
/// `list`) never touch TLS code.
pub fn use_ring() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // An error means a provider is installed already, which serves as well.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
