//! The benchmark core: records, statistics, gates, reports and the scheduling runner.
//!
//! Nothing here touches the CLI, the store or the network: the runner drives an [`Executor`],
//! records go to a caller's sink, and reports render to strings. `omc bench` wires these to
//! the provider layer, SQLite and the terminal.

pub mod agent;
pub mod compare;
pub mod config;
pub mod export;
pub mod gate;
pub mod record;
pub mod report;
pub mod runner;
pub mod stats;

pub use compare::{Comparison, check_comparable, compare};
pub use config::{BenchConfig, Load, Order, PromptInfo, TargetSpec};
pub use export::{Exporter, Format, render};
pub use gate::{Gate, GateStatus, GateVerdict, any_failed, evaluate, failure_message};
pub use record::{Attempt, Price, RequestRecord, Status};
pub use report::{BenchReport, Ranking, SCHEMA_VERSION};
pub use runner::{Executor, Job, Phase, Plan, Progress, RunOutcome, Stop, run, schedule};
pub use stats::{Metric, Stat, Summary, TargetStats, TargetSummary};
