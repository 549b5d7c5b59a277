//! The run's timeline: an SVG picture of every build's phases, the critical path through the build graph and the
//! plain-text summary the CLI prints at the end of a run. Pure functions of their input: no I/O, no clock.
//!
//! Times are seconds (`f64`) since the run started. Non-finite or negative times and durations count as 0.

use std::fmt::Write as _;

/// One build's phases on the run's time axis (seconds since the run started).
#[derive(Debug, Clone, PartialEq)]
pub struct BuildBar {
    /// What the row is called, e.g. `"zlib 1.2.13 linux-aarch64"`.
    pub label: String,
    /// How the build ended; colours the row's label.
    pub outcome: BarOutcome,
    /// The phases, drawn in order (later ones on top where they overlap); may be empty (a skipped build).
    pub phases: Vec<PhaseBar>,
}

/// How one build ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BarOutcome {
    /// Built from source in this run.
    Built,
    /// Found in the store; nothing was built.
    Cached,
    /// Downloaded from a binary cache; nothing was built.
    Substituted,
    /// Started and failed.
    Failed,
    /// Never started, e.g. because something it needs failed.
    Skipped,
}

impl BarOutcome {
    /// The lowercase word used in the summary table: `built`, `cached`, `substituted`, `failed` or `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            BarOutcome::Built => "built",
            BarOutcome::Cached => "cached",
            BarOutcome::Substituted => "substituted",
            BarOutcome::Failed => "failed",
            BarOutcome::Skipped => "skipped",
        }
    }
}

/// One phase of a build, `start_s..end_s` in seconds since the run started.
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseBar {
    /// One of `source`, `environment`, `script`, `package`, `test`, `publish`; any other name is drawn grey.
    pub phase: String,
    /// Start, seconds since the run started.
    pub start_s: f64,
    /// End, seconds since the run started (an end before the start draws as a zero-length bar).
    pub end_s: f64,
}

/// The known phases in legend order with their colours (Okabe–Ito, readable by colour-blind viewers).
const PALETTE: [(&str, &str); 6] = [
    ("source", "#E69F00"),
    ("environment", "#56B4E9"),
    ("script", "#009E73"),
    ("package", "#0072B2"),
    ("test", "#CC79A7"),
    ("publish", "#D55E00"),
];
const OTHER_COLOUR: &str = "#999999";
/// Picture width, px.
const WIDTH: f64 = 1200.0;
/// Height of one build's row, px.
const ROW_H: f64 = 18.0;
/// Left edge of the plot area; the labels live in `8..LABEL_W`, px.
const LABEL_W: f64 = 300.0;
/// Right margin, px.
const RIGHT_PAD: f64 = 24.0;
/// Top of the first row (below title, legend and tick labels), px.
const ROWS_TOP: f64 = 72.0;
/// Longest label drawn in full (11 px monospace ≈ 6.6 px a character); longer ones end in `…`.
const LABEL_MAX_CHARS: usize = 42;

fn colour(phase: &str) -> &'static str {
    PALETTE
        .iter()
        .find(|(p, _)| *p == phase)
        .map_or(OTHER_COLOUR, |(_, c)| c)
}

/// A time or duration as a finite, non-negative number of seconds.
fn secs(x: f64) -> f64 {
    if x.is_finite() {
        x.max(0.0)
    } else {
        0.0
    }
}

/// XML-escapes text for element content and attribute values (`&`, `<`, `>`, `"`, `'`).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab/newline are not allowed in XML 1.0 at all.
            c if c.is_control() && c != '\t' && c != '\n' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A "nice" tick step (1, 2 or 5 × 10^k seconds) that cuts `0..span_s` into about 10 intervals (8–12 for most
/// spans, never fewer than 6 or more than 15). Spans under 1 ms (or not finite) are treated as 1 s.
fn nice_step(span_s: f64) -> f64 {
    let span = if secs(span_s) >= 1e-3 { span_s } else { 1.0 };
    let k = (span / 10.0).log10().floor() as i32;
    let mut best = f64::INFINITY;
    let mut best_err = f64::INFINITY;
    for e in [k - 1, k, k + 1] {
        for m in [1.0, 2.0, 5.0] {
            let step = m * 10f64.powi(e);
            let err = (span / step - 10.0).abs();
            if err < best_err {
                (best, best_err) = (step, err);
            }
        }
    }
    best
}

/// Formats a tick value with as many decimals as the step needs (`0`, `20`, `0.5`, `0.05`).
fn tick_label(t: f64, step: f64) -> String {
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    format!("{t:.decimals$}")
}

// Attribute lists for `rect` and `text`, each with its leading space.
const BOLD: &str = r#" font-weight="bold""#;
const TITLE: &str = r#" font-size="14" font-weight="bold""#;
const TICK: &str = r##" text-anchor="middle" fill="#444444""##;
const CAPTION: &str = r##" text-anchor="end" fill="#444444""##;
const OUTLINE: &str = r##" fill="none" stroke="#B00020" stroke-width="1.5""##;
const STRIPE: &str = r##" fill="#000000" fill-opacity="0.04""##;

/// Appends `<rect>` at `(x, y, width, height)` px with attributes `paint`, and a tooltip unless `tip` is empty.
fn rect(s: &mut String, (x, y, w, h): (f64, f64, f64, f64), paint: &str, tip: &str) {
    let _ = write!(
        s,
        r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}"{paint}"#
    );
    match tip {
        "" => s.push_str("/>\n"),
        tip => _ = writeln!(s, "><title>{}</title></rect>", esc(tip)),
    }
}

/// Appends `<text>` with its baseline starting at `(x, y)` px, attributes `attrs`, `body` escaped here.
fn text(s: &mut String, (x, y): (f64, f64), attrs: &str, body: &str) {
    let body = esc(body);
    let _ = writeln!(s, r#"<text x="{x:.1}" y="{y:.1}"{attrs}>{body}</text>"#);
}

/// `label` cut to `LABEL_MAX_CHARS` characters, the last one `…`, when it is longer.
fn shorten(label: &str) -> String {
    if label.chars().count() <= LABEL_MAX_CHARS {
        return label.to_string();
    }
    let kept: String = label.chars().take(LABEL_MAX_CHARS - 1).collect();
    kept + "…"
}

/// The timeline picture: one row per build (in the order of `bars`), bars coloured by phase, on a time axis with
/// tick labels (seconds since the run started), a legend of phases, a title line, the critical path's rows marked
/// with a bold label and an outline. `critical` holds indices into `bars`; out-of-range ones are ignored.
///
/// Shape: 1200 px wide, 18 px a row, labels (truncated to 42 characters, full text in a tooltip) in a 300 px column
/// on the left. Deterministic (same input, same bytes); valid standalone SVG 1.1 with `xmlns`, all text escaped.
/// Each row is a `<g class="row">` (`"row critical"` when on the critical path).
pub fn render_svg(title: &str, bars: &[BuildBar], critical: &[usize]) -> String {
    let phases = || bars.iter().flat_map(|b| &b.phases);
    let t_max = phases().fold(0.0, |m: f64, p| m.max(secs(p.start_s)).max(secs(p.end_s)));
    let step = nice_step(t_max);
    let intervals = ((t_max / step).ceil() as usize).max(1);
    let axis_end = step * intervals as f64;
    let x_of = |t: f64| LABEL_W + secs(t) / axis_end * (WIDTH - LABEL_W - RIGHT_PAD);
    let bottom = ROWS_TOP + ROW_H * bars.len() as f64;
    let height = bottom + 24.0;

    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">"#
    );
    rect(
        &mut s,
        (0.0, 0.0, WIDTH, height),
        r##" fill="#FFFFFF""##,
        "",
    );
    text(&mut s, (8.0, 20.0), TITLE, title);

    // Legend: the six known phases, "other" when some bar has an unknown phase, and the critical-path outline.
    s.push_str("<g class=\"legend\">\n");
    let mut legend: Vec<(&str, &str)> = PALETTE.to_vec();
    if phases().any(|p| colour(&p.phase) == OTHER_COLOUR) {
        legend.push(("other", OTHER_COLOUR));
    }
    let mut lx = 8.0;
    for (name, c) in legend {
        let fill = format!(r#" fill="{c}""#);
        rect(&mut s, (lx, 31.0, 10.0, 10.0), &fill, "");
        text(&mut s, (lx + 14.0, 40.0), "", name);
        lx += 24.0 + 6.5 * name.len() as f64;
    }
    rect(&mut s, (lx, 31.0, 10.0, 10.0), OUTLINE, "");
    text(&mut s, (lx + 14.0, 40.0), BOLD, "critical path");
    s.push_str("</g>\n");

    // Axis: tick labels above the rows, light grid lines through them.
    s.push_str("<g class=\"axis\">\n");
    let top = ROWS_TOP - 4.0;
    for i in 0..=intervals {
        let t = step * i as f64;
        let x = x_of(t);
        let _ = writeln!(
            s,
            r##"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{bottom:.1}" stroke="#DDDDDD"/>"##
        );
        text(&mut s, (x, ROWS_TOP - 8.0), TICK, &tick_label(t, step));
    }
    let at = (x_of(axis_end), bottom + 16.0);
    text(&mut s, at, CAPTION, "seconds since start");
    s.push_str("</g>\n");

    for (i, bar) in bars.iter().enumerate() {
        let on_path = critical.contains(&i);
        let y = ROWS_TOP + ROW_H * i as f64;
        let class = if on_path { "row critical" } else { "row" };
        let _ = writeln!(s, r#"<g class="{class}">"#);
        if i % 2 == 1 {
            rect(&mut s, (0.0, y, WIDTH, ROW_H), STRIPE, "");
        }
        let fill = match bar.outcome {
            BarOutcome::Built => r##" fill="#000000""##,
            BarOutcome::Cached | BarOutcome::Substituted => r##" fill="#666666""##,
            BarOutcome::Failed => r##" fill="#C00000""##,
            BarOutcome::Skipped => r##" fill="#888888" font-style="italic""##,
        };
        let (weight, ty) = (if on_path { BOLD } else { "" }, y + 13.0);
        let tip = esc(&format!("{} ({})", bar.label, bar.outcome.as_str()));
        let shown = esc(&shorten(&bar.label));
        let _ = writeln!(
            s,
            r#"<text x="8" y="{ty:.1}" font-family="monospace"{fill}{weight}><title>{tip}</title>{shown}</text>"#
        );
        let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
        for p in &bar.phases {
            let (a, b) = (secs(p.start_s), secs(p.end_s).max(secs(p.start_s)));
            (lo, hi) = (lo.min(a), hi.max(b));
            let tip = format!("{}: {} {a:.1}–{b:.1} s", bar.label, p.phase);
            let (x, w) = (x_of(a), (x_of(b) - x_of(a)).max(1.0));
            let fill = format!(r#" fill="{}""#, colour(&p.phase));
            rect(&mut s, (x, y + 3.0, w, 12.0), &fill, &tip);
        }
        if on_path {
            // Around the row's bars; a row without phases gets a small box at the axis start.
            let (x0, x1) = (x_of(lo.min(hi)), x_of(hi));
            rect(
                &mut s,
                (x0 - 2.0, y + 1.0, x1 - x0 + 4.0, 16.0),
                OUTLINE,
                "",
            );
        }
        s.push_str("</g>\n");
    }
    s.push_str("</svg>\n");
    s
}

/// One node for the critical path: its own duration (seconds) and the indices of the nodes it waited for.
#[derive(Debug, Clone, PartialEq)]
pub struct PathNode {
    /// How long this node itself took, seconds (non-finite or negative counts as 0).
    pub duration_s: f64,
    /// Indices (into the same slice) of the nodes this one waited for.
    pub deps: Vec<usize>,
}

/// The critical path: the chain of nodes (indices, first to last) whose summed durations is largest, following
/// `deps` (a DAG; deps always point at other indices). Empty input → empty.
///
/// Ties are broken by lower index, deterministically: the last node is the lowest-index node with the largest total,
/// and walking back, each step takes the lowest-index dep with the largest total. Deps that are out of range or
/// point at the node itself are ignored; nodes on or behind a cycle (not a DAG) count as having no deps.
pub fn critical_path(nodes: &[PathNode]) -> Vec<usize> {
    let n = nodes.len();
    let valid = |i: usize, d: usize| d < n && d != i;
    // Kahn's algorithm over the "d is needed by i" edges, so every node is finished after all its deps.
    let (mut waiting, mut dependents) = (vec![0usize; n], vec![Vec::new(); n]);
    for (i, node) in nodes.iter().enumerate() {
        for &d in node.deps.iter().filter(|&&d| valid(i, d)) {
            waiting[i] += 1;
            dependents[d].push(i);
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let (mut total, mut pred) = (vec![0.0f64; n], vec![None::<usize>; n]);
    while let Some(i) = ready.pop() {
        // All of i's deps are done: take the heaviest, the lowest index among equals.
        let mut best: Option<usize> = None;
        for &d in nodes[i].deps.iter().filter(|&&d| valid(i, d)) {
            best = match best {
                Some(b) if total[b] > total[d] || (total[b] == total[d] && b < d) => Some(b),
                _ => Some(d),
            };
        }
        pred[i] = best;
        total[i] = secs(nodes[i].duration_s) + best.map_or(0.0, |b| total[b]);
        for &j in &dependents[i] {
            waiting[j] -= 1;
            if waiting[j] == 0 {
                ready.push(j);
            }
        }
    }
    // Nodes on or behind a cycle never became ready: count them alone, as documented.
    for i in (0..n).filter(|&i| waiting[i] > 0) {
        (pred[i], total[i]) = (None, secs(nodes[i].duration_s));
    }
    let Some(mut last) = (0..n).reduce(|b, i| if total[i] > total[b] { i } else { b }) else {
        return Vec::new();
    };
    let mut path = vec![last];
    while let Some(p) = pred[last] {
        path.push(p);
        last = p;
    }
    path.reverse();
    path
}

/// One line of the end-of-run summary table.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// The build, e.g. `"zlib 1.2.13 linux-aarch64"`.
    pub label: String,
    /// How it ended.
    pub outcome: BarOutcome,
    /// How long it took, seconds (printed with one decimal).
    pub seconds: f64,
    /// Free text, e.g. `"needs zlib, which failed"`; may be empty.
    pub note: String,
}

/// The plain-text summary table the CLI prints at the end of a run, `\n`-terminated lines:
/// a header and one aligned line per row in input order (outcome, label, seconds with one decimal, note), then
/// `built N, cached N, failed N, skipped N in W s` (`W` = `wall_s`, one decimal; `, substituted N` after the cached
/// count when N > 0), then
/// `critical path: a → b → c (T s)` where `critical` holds indices into `rows` (out-of-range ones are skipped) and
/// `T` is the sum of their seconds; `critical path: none` when it is empty.
pub fn summary_table(rows: &[SummaryRow], critical: &[usize], wall_s: f64) -> String {
    let times: Vec<String> = rows
        .iter()
        .map(|r| format!("{:.1}", secs(r.seconds)))
        .collect();
    let (mut ow, mut lw, mut tw) = ("outcome".len(), "build".len(), "seconds".len());
    for (r, t) in rows.iter().zip(&times) {
        ow = ow.max(r.outcome.as_str().len());
        lw = lw.max(r.label.chars().count());
        tw = tw.max(t.len());
    }
    let mut s = String::new();
    let mut line = |a: &str, b: &str, c: &str, d: &str| {
        let l = format!("{a:<ow$}  {b:<lw$}  {c:>tw$}  {d}");
        s.push_str(l.trim_end());
        s.push('\n');
    };
    if !rows.is_empty() {
        line("outcome", "build", "seconds", "note");
        for (r, t) in rows.iter().zip(&times) {
            line(r.outcome.as_str(), &r.label, t, &r.note);
        }
    }
    let count = |o: BarOutcome| rows.iter().filter(|r| r.outcome == o).count();
    let [b, c, f, k] = [
        BarOutcome::Built,
        BarOutcome::Cached,
        BarOutcome::Failed,
        BarOutcome::Skipped,
    ]
    .map(count);
    let wall = secs(wall_s);
    // Only runs that used a binary cache say how many packages came from one.
    let substituted = match count(BarOutcome::Substituted) {
        0 => String::new(),
        n => format!(", substituted {n}"),
    };
    let _ = writeln!(
        s,
        "built {b}, cached {c}{substituted}, failed {f}, skipped {k} in {wall:.1} s"
    );
    let on_path: Vec<&SummaryRow> = critical.iter().filter_map(|&i| rows.get(i)).collect();
    if on_path.is_empty() {
        s.push_str("critical path: none\n");
    } else {
        let names: Vec<&str> = on_path.iter().map(|r| r.label.as_str()).collect();
        let t: f64 = on_path.iter().map(|r| secs(r.seconds)).sum();
        let _ = writeln!(s, "critical path: {} ({t:.1} s)", names.join(" → "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::{events::Event, XmlVersion};
    use BarOutcome::*;

    /// Nodes given as `(duration_s, deps)`, and the path expected through them.
    type Case = (&'static [(f64, &'static [usize])], &'static [usize]);

    /// `critical_path` over nodes given as `(duration_s, deps)`.
    fn path(nodes: &[(f64, &[usize])]) -> Vec<usize> {
        let node = |&(duration_s, deps): &(f64, &[usize])| PathNode {
            duration_s,
            deps: deps.to_vec(),
        };
        critical_path(&nodes.iter().map(node).collect::<Vec<_>>())
    }

    #[test]
    fn critical_path_chain_diamond_ties() {
        #[rustfmt::skip]
        let cases: [Case; 10] = [
            (&[], &[]),
            (&[(3.0, &[])], &[0]),
            // A chain 0 → 1 → 2 beats a heavier loose node; a chain whose deps point at higher indices.
            (
                &[(1.0, &[]), (1.0, &[0]), (1.0, &[1]), (2.5, &[])],
                &[0, 1, 2],
            ),
            (&[(1.0, &[1]), (1.0, &[2]), (1.0, &[])], &[2, 1, 0]),
            // A diamond 0 → {1, 2} → 3: the heavier middle wins.
            (
                &[(1.0, &[]), (5.0, &[0]), (2.0, &[0]), (1.0, &[1, 2])],
                &[0, 1, 3],
            ),
            (
                &[(1.0, &[]), (2.0, &[0]), (5.0, &[0]), (1.0, &[1, 2])],
                &[0, 2, 3],
            ),
            // Ties: equal middles listed high-first, two equal disjoint chains: the lower index wins.
            (
                &[(1.0, &[]), (2.0, &[0]), (2.0, &[0]), (1.0, &[2, 1])],
                &[0, 1, 3],
            ),
            (&[(2.0, &[]), (2.0, &[]), (1.0, &[1]), (1.0, &[0])], &[1, 2]),
            // Self and out-of-range deps are ignored; a cycle neither hangs nor panics.
            (&[(1.0, &[0, 7]), (2.0, &[0])], &[0, 1]),
            (&[(1.0, &[1]), (1.0, &[0]), (0.5, &[])], &[0]),
        ];
        for (nodes, want) in cases {
            assert_eq!(path(nodes), want, "{nodes:?}");
        }
    }

    #[test]
    fn nice_steps_give_about_ten_ticks() {
        assert_eq!(
            [100.0, 59.0, 3600.0, 0.0].map(nice_step),
            [10.0, 5.0, 500.0, 0.1]
        );
        for span in [0.3, 1.0, 7.0, 42.0, 99.0, 250.0, 1234.0, 86_400.0, 1e300] {
            let ticks = (span / nice_step(span)).ceil();
            assert!((6.0..=15.0).contains(&ticks), "{span} s → {ticks} ticks");
        }
        assert_eq!(
            [(0.5, 0.5), (20.0, 10.0), (0.15, 0.05)].map(|(t, s)| tick_label(t, s)),
            ["0.5", "20", "0.15"]
        );
    }

    /// Walks `svg` with quick-xml and panics unless it is well-formed: one `<svg>` root, every element closed, only
    /// predefined or character references, attribute values that unescape. Returns the number of elements.
    fn well_formed(svg: &str) -> usize {
        let mut reader = quick_xml::Reader::from_str(svg);
        let (mut depth, mut elements) = (0usize, 0usize);
        loop {
            let event = reader.read_event().expect("well-formed XML");
            if let Event::Start(e) | Event::Empty(e) = &event {
                let root = e.name().0 == "svg" && elements == 0;
                assert!(depth > 0 || root, "one <svg> root");
                for a in e.attributes() {
                    a.unwrap()
                        .normalized_value(XmlVersion::Implicit1_0)
                        .unwrap();
                }
                elements += 1;
            }
            let predefined = ["amp", "lt", "gt", "quot", "apos"];
            match event {
                Event::Start(_) => depth += 1,
                Event::End(_) => depth -= 1,
                Event::GeneralRef(r) => assert!(r.is_char_ref() || predefined.contains(&&*r)),
                Event::Text(t) => assert!(depth > 0 || t.trim().is_empty()),
                Event::Eof => break,
                _ => {}
            }
        }
        assert_eq!(depth, 0, "unclosed elements");
        elements
    }

    fn bar(label: &str, outcome: BarOutcome, phases: &[(&str, f64, f64)]) -> BuildBar {
        let phase = |&(phase, start_s, end_s): &(&str, f64, f64)| PhaseBar {
            phase: phase.into(),
            start_s,
            end_s,
        };
        let phases = phases.iter().map(phase).collect();
        BuildBar {
            label: label.into(),
            outcome,
            phases,
        }
    }

    #[test]
    fn svg_has_rows_escaped_text_legend_and_is_deterministic() {
        #[rustfmt::skip]
        let bars = [
            bar("zlib 1.2.13 linux-aarch64", Built, &[("source", 0.0, 2.0), ("script", 2.0, 30.0)]),
            bar("a<b & \"c\" 'd'", Cached, &[("publish", 0.0, 0.1)]),
            bar("openssl", Failed, &[("environment", 30.0, 35.0), ("mystery", 35.0, 41.5)]),
            bar("curl 8.9.1", Skipped, &[]),
        ];
        let (title, critical) = ("run <42> & \"friends\"", [0, 2, 99]);
        let svg = render_svg(title, &bars, &critical);
        assert!(well_formed(&svg) > 20);
        let head =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"";
        assert!(svg.starts_with(head));
        assert_eq!(svg.matches("<g class=\"row").count(), bars.len());
        assert_eq!(svg.matches("<g class=\"row critical\">").count(), 2);
        assert!(svg.contains(">run &lt;42&gt; &amp; &quot;friends&quot;</text>"));
        assert!(svg.contains(">a&lt;b &amp; &quot;c&quot; &apos;d&apos;</text>"));
        assert!(!svg.contains("a<b"));
        let (from, to) = (
            svg.find("class=\"legend\"").unwrap(),
            svg.find("class=\"axis\"").unwrap(),
        );
        for (phase, colour) in PALETTE.iter().chain(&[("other", OTHER_COLOUR)]) {
            let legend = &svg[from..to];
            assert!(legend.contains(&format!(">{phase}</text>")) && legend.contains(colour));
        }
        // 41.5 s in 5 s steps: ticks 0 to 45.
        assert!(svg.contains(">45</text>") && !svg.contains(">50</text>"));
        assert_eq!(svg, render_svg(title, &bars, &critical));
    }

    #[test]
    fn svg_copes_with_empty_and_odd_input() {
        let empty = render_svg("", &[], &[]);
        assert!(well_formed(&empty) > 20 && !empty.contains("class=\"row"));
        assert!(empty.contains(">0.1</text>"));
        let phases = [("test", f64::NAN, -3.0), ("script", 5.0, 1.0)];
        let svg = render_svg("odd", &[bar(&"x".repeat(80), Built, &phases)], &[0]);
        well_formed(&svg);
        assert!(!svg.contains("NaN") && !svg.contains("inf") && !svg.contains(">other</text>"));
        assert!(svg.contains(&format!(">{}…</text>", "x".repeat(LABEL_MAX_CHARS - 1))));
    }

    #[test]
    fn summary_table_aligns_counts_and_names_the_path() {
        #[rustfmt::skip]
        let rows = [
            ("zlib 1.2.13", Built, 12.34, ""),
            ("openssl", Failed, 3.0, "script exited with 2"),
            ("curl", Skipped, 0.0, "needs openssl, which failed"),
            ("bzip2", Cached, 0.05, ""),
            ("xz", Built, 120.0, ""),
        ];
        let row = |(label, outcome, seconds, note): (&str, _, _, &str)| SummaryRow {
            label: label.into(),
            outcome,
            seconds,
            note: note.into(),
        };
        let table = summary_table(&rows.map(row), &[0, 4], 133.26);
        let want = "\
outcome  build        seconds  note
built    zlib 1.2.13     12.3
failed   openssl          3.0  script exited with 2
skipped  curl             0.0  needs openssl, which failed
cached   bzip2            0.1
built    xz             120.0
built 2, cached 1, failed 1, skipped 1 in 133.3 s
critical path: zlib 1.2.13 → xz (132.3 s)
";
        assert_eq!(table, want);
        let empty = "built 0, cached 0, failed 0, skipped 0 in 0.0 s\ncritical path: none\n";
        assert_eq!(summary_table(&[], &[], f64::NAN), empty);
    }
}
