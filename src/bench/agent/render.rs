//! The agent report as a table (terminal), Markdown (CI step summary) or JSON (the stored
//! document), with each task × target's timeline as a small chart: the median run's model
//! and tool steps, in order, drawn to scale.

use super::report::{AgentReport, AgentSummary, Step, StepKind};
use crate::bench::Format;
use crate::bench::gate::{GateStatus, fmt_ms, trim_num};
use crate::error::{Error, Result};
use crate::table::{GREEN, RED, Table, YELLOW, paint};

/// Width of a timeline chart, in cells.
const CHART_CELLS: usize = 40;

pub fn render(report: &AgentReport, format: Format, color: bool) -> Result<String> {
    match format {
        Format::Json => serde_json::to_string_pretty(report)
            .map(|s| s + "\n")
            .map_err(|e| Error::Other(format!("cannot serialize the report: {e}"))),
        Format::Csv => Ok(csv(report)),
        Format::Markdown => Ok(markdown(report)),
        Format::Table => Ok(table(report, color)),
    }
}

const HEADER: [&str; 13] = [
    "Task",
    "Target",
    "OK",
    "Answer p50",
    "p90",
    "p99",
    "Turns",
    "Model",
    "Tool",
    "TTFT/turn",
    "Tokens in/out",
    "Cost/run",
    "Stops",
];

fn ms_of(s: Option<&crate::bench::Summary>, f: fn(&crate::bench::Summary) -> f64) -> String {
    s.map_or_else(|| "–".into(), |s| fmt_ms(f(s)))
}

fn row(t: &AgentSummary) -> Vec<String> {
    let stops = t
        .stop_reasons
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    vec![
        t.task.clone(),
        t.target.clone(),
        format!("{}/{}", t.ok, t.runs),
        ms_of(t.answer.as_ref(), |s| s.p50),
        ms_of(t.answer.as_ref(), |s| s.p90),
        ms_of(t.answer.as_ref(), |s| s.p99),
        t.turns
            .as_ref()
            .map_or_else(|| "–".into(), |s| trim_num(s.mean, 2)),
        ms_of(t.model_time.as_ref(), |s| s.mean),
        ms_of(t.tool_time.as_ref(), |s| s.mean),
        ms_of(t.ttft.as_ref(), |s| s.p50),
        format!(
            "{}/{}",
            trim_num(t.input_tokens_mean, 1),
            trim_num(t.output_tokens_mean, 1)
        ),
        t.cost_mean_usd
            .map_or_else(|| "–".into(), |c| format!("${}", trim_num(c, 6))),
        stops,
    ]
}

fn title(r: &AgentReport) -> String {
    let c = &r.config;
    let load = match c.load {
        crate::bench::Load::Closed { concurrency } => format!("concurrency {concurrency}"),
        crate::bench::Load::Open { rate } => format!("{} runs/s", trim_num(rate, 2)),
    };
    format!(
        "Agent {}: {} task(s) × {} target(s) × {} run(s), {load}, wall {}",
        crate::terminal::line(&c.agent),
        c.tasks.len(),
        c.targets.len(),
        c.runs,
        fmt_ms(r.wall_ms)
    )
}

/// `█` model, `░` tool, each step at least one cell, the whole to scale of the longest.
pub fn timeline(steps: &[Step], longest: f64) -> String {
    let total: f64 = steps.iter().map(|s| s.ms).sum();
    let cells = if longest > 0.0 {
        ((total / longest) * CHART_CELLS as f64).round().max(1.0) as usize
    } else {
        1
    };
    let mut bar = String::new();
    let mut used = 0usize;
    let mut acc = 0.0;
    for s in steps {
        acc += s.ms;
        let end = if total > 0.0 {
            ((acc / total) * cells as f64).round() as usize
        } else {
            used + 1
        };
        let n = end.saturating_sub(used).max(1);
        used += n;
        bar.push_str(
            &match s.kind {
                StepKind::Model => "█",
                StepKind::Tool => "░",
            }
            .repeat(n),
        );
    }
    let legend = steps
        .iter()
        .map(|s| {
            let k = match s.kind {
                StepKind::Model => "model",
                StepKind::Tool => "tool",
            };
            format!("{k} {}", fmt_ms(s.ms))
        })
        .collect::<Vec<_>>()
        .join(" / ");
    format!("{bar}  {legend}")
}

fn timelines(r: &AgentReport) -> Vec<String> {
    let longest = r
        .targets
        .iter()
        .map(|t| t.timeline.iter().map(|s| s.ms).sum::<f64>())
        .fold(0.0, f64::max);
    let shown: Vec<_> = r
        .targets
        .iter()
        .filter(|t| !t.timeline.is_empty())
        .collect();
    let width = shown
        .iter()
        .map(|t| t.label().chars().count())
        .max()
        .unwrap_or(0);
    shown
        .iter()
        .map(|t| {
            let label = t.label();
            let pad = width - label.chars().count();
            format!(
                "{label}{} {}",
                " ".repeat(pad),
                timeline(&t.timeline, longest)
            )
        })
        .collect()
}

fn failures(r: &AgentReport) -> Vec<String> {
    let mut out = Vec::new();
    for t in &r.targets {
        for (why, n) in &t.failures {
            out.push(format!(
                "{}: {n}× {}",
                t.label(),
                crate::terminal::line(why)
            ));
        }
    }
    out
}

fn table(r: &AgentReport, color: bool) -> String {
    let mut out = format!("{}\n\n", title(r));
    let mut t = Table::new(&HEADER).right_align_from(2);
    for s in &r.targets {
        let mut cells = row(s);
        if color && s.failed > 0 {
            cells[2] = paint(true, RED, &cells[2]);
        }
        t.add_row(cells);
    }
    out.push_str(&t.to_string());
    if r.interrupted {
        out.push_str("\nInterrupted: these results cover only the runs that finished.\n");
    }
    let lines = timelines(r);
    if !lines.is_empty() {
        out.push_str("\nTimeline of the median run (█ model, ░ tool):\n");
        for l in lines {
            out.push_str(&format!("  {l}\n"));
        }
    }
    let f = failures(r);
    if !f.is_empty() {
        out.push_str("\nFailed runs:\n");
        for l in f {
            out.push_str(&format!("  {l}\n"));
        }
    }
    if !r.gates.is_empty() {
        let mut g = Table::new(&["Gate", "Task · target", "Verdict", "Detail"]);
        for v in &r.gates {
            let sgr = match v.status {
                GateStatus::Pass => GREEN,
                GateStatus::Fail => RED,
                GateStatus::Inconclusive => YELLOW,
            };
            g.add_row(vec![
                v.expr.clone(),
                v.target.clone(),
                paint(color, sgr, v.status.as_str()),
                v.message.clone(),
            ]);
        }
        out.push('\n');
        out.push_str(&g.to_string());
    }
    out
}

fn md_cell(s: &str) -> String {
    crate::terminal::line(s).replace('|', "\\|")
}

fn markdown(r: &AgentReport) -> String {
    let mut out = format!("## omc bench --agent\n\n{}\n\n", md_cell(&title(r)));
    out.push_str(&format!("| {} |\n", HEADER.join(" | ")));
    out.push_str(&format!(
        "|{}\n",
        HEADER
            .iter()
            .enumerate()
            .map(|(i, _)| if i < 2 || i == HEADER.len() - 1 {
                "---|"
            } else {
                "---:|"
            })
            .collect::<String>()
    ));
    for s in &r.targets {
        let cells: Vec<String> = row(s).iter().map(|c| md_cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    let lines = timelines(r);
    if !lines.is_empty() {
        out.push_str("\nTimeline of the median run (█ model, ░ tool):\n\n```text\n");
        for l in lines {
            out.push_str(&format!("{l}\n"));
        }
        out.push_str("```\n");
    }
    let f = failures(r);
    if !f.is_empty() {
        out.push_str("\nFailed runs:\n\n");
        for l in f {
            out.push_str(&format!("- {}\n", md_cell(&l)));
        }
    }
    if !r.gates.is_empty() {
        out.push_str("\n| Gate | Task · target | Verdict | Detail |\n|---|---|---|---|\n");
        for v in &r.gates {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                v.expr,
                md_cell(&v.target),
                v.status.as_str(),
                md_cell(&v.message)
            ));
        }
    }
    out
}

fn csv(r: &AgentReport) -> String {
    let header = [
        "task",
        "target",
        "runs",
        "ok",
        "success_rate",
        "answer_p50_ms",
        "answer_p90_ms",
        "answer_p99_ms",
        "turns_mean",
        "model_mean_ms",
        "tool_mean_ms",
        "ttft_p50_ms",
        "input_tokens_mean",
        "output_tokens_mean",
        "cost_mean_usd",
    ];
    let mut out = header.join(",") + "\n";
    let num = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    for t in &r.targets {
        let cells = [
            crate::table::csv_cell(&t.task),
            crate::table::csv_cell(&t.target),
            t.runs.to_string(),
            t.ok.to_string(),
            t.success_rate.to_string(),
            num(t.answer.map(|s| s.p50)),
            num(t.answer.map(|s| s.p90)),
            num(t.answer.map(|s| s.p99)),
            num(t.turns.map(|s| s.mean)),
            num(t.model_time.map(|s| s.mean)),
            num(t.tool_time.map(|s| s.mean)),
            num(t.ttft.map(|s| s.p50)),
            t.input_tokens_mean.to_string(),
            t.output_tokens_mean.to_string(),
            num(t.cost_mean_usd),
        ];
        out.push_str(&(cells.join(",") + "\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timeline_is_to_scale_and_names_its_steps() {
        let s = |kind, ms| Step { kind, ms };
        let steps = [
            s(StepKind::Model, 20.0),
            s(StepKind::Tool, 10.0),
            s(StepKind::Model, 10.0),
        ];
        let t = timeline(&steps, 40.0);
        assert!(
            t.starts_with(&format!(
                "{}{}{}  ",
                "█".repeat(20),
                "░".repeat(10),
                "█".repeat(10)
            )),
            "{t}"
        );
        assert!(t.ends_with("model 20 ms / tool 10 ms / model 10 ms"), "{t}");
        // Half as long: half the cells.
        assert!(timeline(&steps, 80.0).starts_with(&"█".repeat(10)));
    }
}
