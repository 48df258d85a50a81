//! `omc validate`: live checks that spend no tokens.

use secrecy::SecretString;

use super::Ctx;
use crate::error::Result;
use crate::provider::ProviderSpec;

/// The outcome of a live check, as stored with the credential.
#[derive(Debug, Clone)]
pub struct Validation {
    pub status: &'static str,
    pub latency_ms: i64,
}

/// Check a key with the provider before it is stored. The provider layer is not wired in yet:
/// until it is, no check is made and nothing is recorded.
pub fn check_key(
    _ctx: &Ctx,
    _spec: &ProviderSpec,
    _base_url: Option<&str>,
    _secret: &SecretString,
) -> Result<Option<Validation>> {
    Ok(None)
}
