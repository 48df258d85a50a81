//! The async runtime, built only by commands that talk to the network.

use std::future::Future;

use crate::error::{Error, Result};

/// Run `fut` to completion on a single-threaded runtime.
pub fn block_on<F: Future>(fut: F) -> Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    Ok(rt.block_on(fut))
}

/// Run `fut` on a multi-threaded runtime with one worker per core (benchmarks).
pub fn block_on_multi<F: Future>(fut: F) -> Result<F::Output> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    Ok(rt.block_on(fut))
}
