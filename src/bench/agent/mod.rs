//! Agent benchmarks (`omc bench --agent`): whole agent tasks timed, checked and summed per
//! task × target. Like the rest of `crate::bench`, nothing here touches the CLI, the store or
//! the network: `src/cmd/bench/agent.rs` runs the loop and feeds these.

pub mod compare;
pub mod gate;
pub mod render;
pub mod report;
pub mod task;

pub use gate::{AgentGate, evaluate};
pub use render::render;
pub use report::{AgentAcc, AgentConfig, AgentRecord, AgentReport, AgentSummary, TaskInfo};
pub use task::{Compiled, Task};
