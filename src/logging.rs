//! Logs go to stderr through tracing. `OMC_LOG` (EnvFilter syntax) wins over `-v`/`-q`.
//! Nothing logged anywhere in omc carries a secret: keys are `SecretString`s, which have no
//! `Display` and a redacted `Debug`.

use std::sync::OnceLock;

use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber, span};
use tracing_subscriber::EnvFilter;

pub fn init(verbose: u8, quiet: bool, color: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "omc=info,warn",
        (false, 2) => "omc=debug,info",
        _ => "trace",
    };
    let filter = match std::env::var("OMC_LOG") {
        Ok(spec) if !spec.is_empty() => EnvFilter::try_new(&spec).unwrap_or_else(|e| {
            // Said once, then the default level: a typo must not silence real warnings.
            eprintln!(
                "omc: warning: OMC_LOG='{spec}' is not a valid filter ({e}); using '{default}'"
            );
            EnvFilter::new(default)
        }),
        _ if quiet || verbose == 0 => {
            // The usual case, and nearly every command logs nothing at it: the subscriber is
            // built by the first warning, not by every process (50,000 instructions and ten
            // page faults, about a twentieth of `omc key`).
            let max = if quiet {
                LevelFilter::ERROR
            } else {
                LevelFilter::WARN
            };
            let _ = tracing::subscriber::set_global_default(Deferred {
                max,
                color,
                inner: OnceLock::new(),
            });
            return;
        }
        _ => EnvFilter::new(default),
    };
    let _ = tracing::subscriber::set_global_default(subscriber(filter, color));
}

/// The subscriber every omc process logs through.
fn subscriber(filter: EnvFilter, color: bool) -> impl Subscriber + Send + Sync {
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(false)
        .finish()
}

/// [`subscriber`] at one level, built when the first event or span at that level comes;
/// anything more verbose is turned away by tracing's own level check, never reaching it.
/// `Span::current()` gets the default answer (unknown): omc never asks, and the formatter keeps
/// its own span stack in the inner subscriber.
struct Deferred {
    max: LevelFilter,
    color: bool,
    /// Held as a plain subscriber, not a `Dispatch`: making a `Dispatch` registers it with
    /// every callsite, which asks this one (the global default) for its interest, which would
    /// wait on the very initialisation that is running.
    inner: OnceLock<Box<dyn Subscriber + Send + Sync>>,
}

impl Deferred {
    fn inner(&self) -> &(dyn Subscriber + Send + Sync) {
        self.inner
            .get_or_init(|| Box::new(subscriber(EnvFilter::new(self.max.to_string()), self.color)))
            .as_ref()
    }

    fn passes(&self, metadata: &Metadata<'_>) -> bool {
        self.max >= *metadata.level()
    }
}

impl Subscriber for Deferred {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if self.passes(metadata) {
            self.inner().register_callsite(metadata)
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.max)
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.passes(metadata) && self.inner().enabled(metadata)
    }

    fn new_span(&self, span: &span::Attributes<'_>) -> span::Id {
        self.inner().new_span(span)
    }

    fn record(&self, span: &span::Id, values: &span::Record<'_>) {
        self.inner().record(span, values)
    }

    fn record_follows_from(&self, span: &span::Id, follows: &span::Id) {
        self.inner().record_follows_from(span, follows)
    }

    fn event(&self, event: &Event<'_>) {
        self.inner().event(event)
    }

    fn enter(&self, span: &span::Id) {
        self.inner().enter(span)
    }

    fn exit(&self, span: &span::Id) {
        self.inner().exit(span)
    }

    fn clone_span(&self, id: &span::Id) -> span::Id {
        self.inner().clone_span(id)
    }

    fn try_close(&self, id: span::Id) -> bool {
        self.inner().try_close(id)
    }
}
