//! The displays of a run, as reporters: an indicatif line per running build with its phase and elapsed time
//! and an overall bar (a terminal); plain timestamped lines (CI, pipes); JSON lines on stdout (`--json`).
//! Result lines (`built …`, `cached …`) go to stdout in the human displays; progress and the summary to stderr.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::context::Context;
use crate::schedule::event::{Event, NodeInfo, NodeOutcome, Reporter, RunReport};
use crate::schedule::summary;

/// How much a human display says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: failures and the summary's last lines only.
    Quiet,
    /// The default.
    Normal,
    /// `-v`: every phase too.
    Verbose,
}

/// Which display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayMode {
    /// indicatif on a terminal.
    Progress(Verbosity),
    /// Plain timestamped lines.
    Plain(Verbosity),
    /// JSON lines on stdout.
    Json,
}

impl DisplayMode {
    /// Progress bars when stderr is a terminal, else plain lines.
    pub fn detect(verbosity: Verbosity) -> DisplayMode {
        if std::io::IsTerminal::is_terminal(&std::io::stderr()) && verbosity != Verbosity::Quiet {
            DisplayMode::Progress(verbosity)
        } else {
            DisplayMode::Plain(verbosity)
        }
    }
}

/// The reporter for `mode`; `total` is the number of nodes.
pub fn reporter(mode: DisplayMode, total: usize) -> Box<dyn Reporter> {
    match mode {
        DisplayMode::Json => Box::new(JsonLines),
        DisplayMode::Plain(verbosity) => Box::new(PlainLines { verbosity }),
        DisplayMode::Progress(verbosity) => Box::new(Progress::new(total, verbosity)),
    }
}

/// After the run: the summary (stderr) and, for a run of more than one node, `timeline.svg` beside the channel.
///
/// Errors: the timeline cannot be written.
pub fn finish(ctx: &Context, report: &RunReport, mode: DisplayMode) -> miette::Result<()> {
    if report.nodes.len() > 1 {
        let path = ctx.beside_channel("timeline.svg");
        let title = format!(
            "archi build: {} nodes in {:.1} s",
            report.nodes.len(),
            report.wall
        );
        let svg = summary::svg(report, &title);
        if let Some(dir) = path.parent() {
            fs_err::create_dir_all(dir).map_err(|e| miette::miette!("{e}"))?;
        }
        // A private temp file and a rename: two runs finishing at once each leave a whole picture.
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))?;
        tmp.write_all(svg.as_bytes())
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| miette::miette!("cannot write {}: {e}", path.display()))?;
        tmp.persist(&path)
            .map_err(|e| miette::miette!("cannot write {}: {}", path.display(), e.error))?;
        if mode != DisplayMode::Json {
            eprintln!("timeline: {}", path.display());
        }
    }
    match mode {
        DisplayMode::Json => {}
        DisplayMode::Plain(Verbosity::Quiet) | DisplayMode::Progress(Verbosity::Quiet) => {
            let table = summary::table(report);
            for line in table
                .lines()
                .rev()
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                eprintln!("{line}");
            }
        }
        _ => eprintln!("\n{}", summary::table(report)),
    }
    Ok(())
}

fn node_text(node: &NodeInfo) -> String {
    format!("{} {} {}", node.name, node.version, node.platform)
}

/// The stdout result line of a finished node, and for a failure the log's path and last 30 lines.
fn finish_lines(
    node: &NodeInfo,
    outcome: &NodeOutcome,
    seconds: f64,
) -> (Option<String>, Vec<String>) {
    let label = |build: &str| format!("{}-{}-{}", node.name, node.version, build);
    match outcome {
        NodeOutcome::Built {
            key,
            build,
            script_seconds,
        } => (
            Some(format!(
                "built   {}  {}  {key}  ({seconds:.1} s, script {script_seconds:.1} s)",
                label(build),
                node.platform
            )),
            vec![],
        ),
        NodeOutcome::Cached { key, build } => (
            Some(format!(
                "cached  {}  {}  {key}",
                label(build),
                node.platform
            )),
            vec![],
        ),
        NodeOutcome::Substituted { key, build, url } => (
            Some(format!(
                "substituted  {}  {}  {key}  (from {url})",
                label(build),
                node.platform
            )),
            vec![],
        ),
        NodeOutcome::Failed { error, log } => {
            let mut lines = vec![format!("failed  {}:", node_text(node)), error.clone()];
            if let Some(log) = log {
                lines.push(format!("log: {} (last 30 lines)", log.display()));
                let text = fs_err::read_to_string(log).unwrap_or_default();
                let all: Vec<&str> = text.lines().collect();
                lines.extend(
                    all[all.len().saturating_sub(30)..]
                        .iter()
                        .map(|l| format!("  | {l}")),
                );
            }
            (None, lines)
        }
        NodeOutcome::Skipped { needs } => (
            None,
            vec![format!(
                "skipped {} (needs {needs}, which failed)",
                node_text(node)
            )],
        ),
        NodeOutcome::Stopped => (
            None,
            vec![format!("stopped {} (--fail-fast)", node_text(node))],
        ),
    }
}

fn print_stdout(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// `--json`: one object per event on stdout.
struct JsonLines;

impl Reporter for JsonLines {
    fn event(&self, event: &Event) {
        if let Ok(line) = serde_json::to_string(event) {
            print_stdout(&line);
        }
    }
}

/// Plain timestamped lines on stderr, results on stdout.
struct PlainLines {
    verbosity: Verbosity,
}

impl Reporter for PlainLines {
    fn event(&self, event: &Event) {
        let stamp = |t: f64| format!("[{t:>7.1}s]");
        let quiet = self.verbosity == Verbosity::Quiet;
        match event {
            Event::Plan {
                total,
                waves,
                jobs,
                cpu_count,
            } if !quiet => eprintln!(
                "{} {total} nodes in {waves} waves, {jobs} builds at once, {cpu_count} jobserver tokens",
                stamp(0.0)
            ),
            Event::Sandbox(info) if !quiet || !info.sandboxed => {
                eprintln!("{} {}", stamp(0.0), info.line())
            }
            Event::Start { node, time } if !quiet => {
                eprintln!("{} start   {}", stamp(*time), node_text(node))
            }
            Event::Phase { node, phase, time } if self.verbosity == Verbosity::Verbose => eprintln!(
                "{} {:<7} {}",
                stamp(*time),
                phase.as_str(),
                node_text(node)
            ),
            Event::Finish {
                node,
                outcome,
                seconds,
                ..
            } => {
                let (result, lines) = finish_lines(node, outcome, *seconds);
                if let Some(result) = result {
                    if !quiet {
                        print_stdout(&result);
                    }
                }
                for line in lines {
                    eprintln!("{line}");
                }
            }
            _ => {}
        }
    }
}

/// indicatif: one spinner per running build, an overall bar.
struct Progress {
    multi: MultiProgress,
    overall: ProgressBar,
    running: Mutex<BTreeMap<usize, ProgressBar>>,
    verbosity: Verbosity,
}

impl Progress {
    fn new(total: usize, verbosity: Verbosity) -> Progress {
        let multi = MultiProgress::new();
        let overall = multi.add(ProgressBar::new(total as u64));
        overall.set_style(
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        overall.enable_steady_tick(Duration::from_millis(200));
        Progress {
            multi,
            overall,
            running: Mutex::new(BTreeMap::new()),
            verbosity,
        }
    }
}

impl Reporter for Progress {
    fn event(&self, event: &Event) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        match event {
            Event::Start { node, .. } => {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("  {spinner} {prefix:40} {msg:12} {elapsed:>4}")
                        .expect("a valid template"),
                );
                bar.set_prefix(node_text(node));
                bar.set_message("plan");
                bar.enable_steady_tick(Duration::from_millis(120));
                running.insert(node.index, bar);
            }
            Event::Phase { node, phase, .. } => {
                if let Some(bar) = running.get(&node.index) {
                    bar.set_message(phase.as_str());
                }
                if self.verbosity == Verbosity::Verbose {
                    let _ =
                        self.multi
                            .println(format!("{:<11} {}", phase.as_str(), node_text(node)));
                }
            }
            Event::Finish {
                node,
                outcome,
                seconds,
                ..
            } => {
                if let Some(bar) = running.remove(&node.index) {
                    bar.finish_and_clear();
                    self.multi.remove(&bar);
                }
                self.overall.inc(1);
                let (result, lines) = finish_lines(node, outcome, *seconds);
                self.multi.suspend(|| {
                    if let Some(result) = result {
                        print_stdout(&result);
                    }
                    for line in lines {
                        eprintln!("{line}");
                    }
                });
            }
            Event::Sandbox(info) => {
                if self.verbosity != Verbosity::Quiet || !info.sandboxed {
                    let _ = self.multi.println(info.line());
                }
            }
            Event::Plan { .. } => {}
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.overall.finish_and_clear();
    }
}
