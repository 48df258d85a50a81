//! The async runtime, built only by commands that talk to the network, and then once per
//! process: a client's pooled connections belong to the runtime that opened them, so a command
//! that makes several calls (a `run` falling back, `validate --all`) keeps them across calls.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

use crate::error::{Error, Result};

static SINGLE: OnceLock<Runtime> = OnceLock::new();
static MULTI: OnceLock<Runtime> = OnceLock::new();

fn shared(
    cell: &'static OnceLock<Runtime>,
    build: fn() -> std::io::Result<Runtime>,
) -> Result<&'static Runtime> {
    if let Some(rt) = cell.get() {
        return Ok(rt);
    }
    let rt = build().map_err(|e| Error::io("cannot start the async runtime", e))?;
    // Another thread may have won the race; either runtime will do, and the loser is dropped.
    let _ = cell.set(rt);
    Ok(cell.get().expect("set just above"))
}

/// Run `fut` to completion on the process's single-threaded runtime.
pub fn block_on<F: Future>(fut: F) -> Result<F::Output> {
    let rt = shared(&SINGLE, || {
        Builder::new_current_thread().enable_all().build()
    })?;
    Ok(rt.block_on(fut))
}

/// Run `fut` on the process's multi-threaded runtime, one worker per core (benchmarks).
pub fn block_on_multi<F: Future>(fut: F) -> Result<F::Output> {
    let rt = shared(&MULTI, || Builder::new_multi_thread().enable_all().build())?;
    Ok(rt.block_on(fut))
}

/// Resolves when omc is asked to stop: Ctrl-C (SIGINT) and, on Unix, SIGTERM (what CI
/// runners, `timeout` and `kill` send) or SIGHUP (the terminal went away). Commands that have
/// something to save (a run's partial answer, a benchmark's results so far) wait on this rather
/// than dying with their work unrecorded. A signal that cannot be hooked is not waited for.
///
/// The signals are hooked when this is called (inside the runtime), not when the future is
/// first polled: a `select!` whose other branch is ready at once may never poll it, and a
/// Ctrl-C after that would kill the process with nothing recorded.
pub fn interrupted() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{Signal, SignalKind, signal};
        async fn recv(s: Option<&mut Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        let mut int = signal(SignalKind::interrupt()).ok();
        let mut term = signal(SignalKind::terminate()).ok();
        let mut hup = signal(SignalKind::hangup()).ok();
        async move {
            tokio::select! {
                _ = recv(int.as_mut()) => {}
                _ = recv(term.as_mut()) => {}
                _ = recv(hup.as_mut()) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
