//! The report's page and summary: `index.html` opens with the verdict summary (one line per
//! section: its verdict, the one number that matters, a link to the section), then the
//! sections, their charts first and their raw tables collapsed in `<details>` with links to
//! the data files; `summary.md` opens with the same summary, and [`write`] returns it as the
//! text `bplab report` prints. The page is one self-contained file: inline SVG and CSS, no
//! scripts, no network access, light and dark via `prefers-color-scheme`, printable.

use super::{escape, Section};
use bplab_core::{Error, Result};
use std::fmt::Write;
use std::path::Path;

/// A section as the report lays it out: its anchor (`check`, `experiment-init`) and content.
#[derive(Debug, Clone)]
pub struct Placed {
    pub id: String,
    pub section: Section,
}

impl Placed {
    /// Places `section` under the anchor made from `name` (`experiment init` →
    /// `experiment-init`).
    pub fn new(name: &str, section: Section) -> Self {
        let id = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        Placed { id, section }
    }
}

/// A figure: the SVG drawn up to 1.4× its own width (never wider than the page) and its
/// caption.
pub fn figure(svg: &str, caption: &str) -> String {
    let width = svg
        .split("width=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|w| w.parse::<f64>().ok())
        .unwrap_or(640.0);
    format!(
        "<figure style=\"max-width:{:.0}px\">{}<figcaption>{}</figcaption></figure>",
        width * 1.4,
        svg.trim_end(),
        escape(caption)
    )
}

/// A raw table, collapsed: `label` opens it, the text scrolls sideways, and `files` (paths
/// relative to the report) are linked beside it.
pub fn details(label: &str, text: &str, files: &[String]) -> String {
    let links: Vec<String> = files
        .iter()
        .map(|f| {
            let name = f.rsplit('/').next().unwrap_or(f);
            format!("<a href=\"{}\">{}</a>", escape(f), escape(name))
        })
        .collect();
    let files = if links.is_empty() {
        String::new()
    } else {
        format!("<p class=\"files\">data: {}</p>\n", links.join(", "))
    };
    format!(
        "<details><summary>{}</summary><div class=\"scroll\"><pre>{}</pre></div></details>\n{files}",
        escape(label),
        escape(text)
    )
}

const CSS: &str = "
:root{color-scheme:light dark;--bg:#fff;--fg:#1b1b1b;--muted:#5b5b5b;--line:#ddd;--panel:#f5f6f7;--ok:#1a7f37;--ex:#9a6700;--bad:#cf222e;--na:#6e7781;--link:#0b61c4}
@media (prefers-color-scheme:dark){:root{--bg:#16181c;--fg:#e4e4e4;--muted:#a2a7ad;--line:#363a40;--panel:#20242a;--ok:#3fb950;--ex:#d29922;--bad:#ff6b6b;--na:#8b949e;--link:#6cb6ff}
svg .bg{fill:#1f2329}svg text:not(.ct){fill:#e4e4e4}svg .gl{stroke:#353a41}}
body{font-family:system-ui,sans-serif;background:var(--bg);color:var(--fg);max-width:1180px;margin:1.5em auto;padding:0 1em;line-height:1.45}
a{color:var(--link)}h1{margin-bottom:.2em}h2{border-bottom:1px solid var(--line);padding-bottom:.2em;margin-top:2em}
.meta,.lead,.files,figcaption{color:var(--muted)}.files{font-size:13px;margin-top:.2em}
table.verdicts{border-collapse:collapse;width:100%}table.verdicts td:nth-child(2){min-width:14em}table.verdicts td,table.verdicts th{text-align:left;padding:.35em .6em;border-bottom:1px solid var(--line);vertical-align:top}
.badge{display:inline-block;min-width:7.5em;font-weight:600;font-size:.85em;padding:.1em .5em;border-radius:4px;border:1.5px solid currentColor;text-align:center;white-space:nowrap}
.badge.ok{color:var(--ok)}.badge.explained{color:var(--ex)}.badge.mismatch{color:var(--bad)}.badge.not-run{color:var(--na)}
h2 .badge{font-size:.55em;vertical-align:middle;margin-right:.5em}
p.headline{font-size:1.08em;font-weight:500}
figure{margin:1em 0}figure svg{width:100%;height:auto;display:block}figcaption{font-size:14px;margin-top:.3em}
details{margin:.8em 0;border:1px solid var(--line);border-radius:4px;padding:.3em .6em}summary{cursor:pointer;font-weight:500}
.scroll{overflow-x:auto;max-width:100%}pre{background:var(--panel);padding:.8em;font-size:12px;margin:.5em 0;width:max-content;min-width:100%;box-sizing:border-box}
@media print{body{max-width:none;margin:0}h2{break-after:avoid}figure{break-inside:avoid}details{display:none}*{print-color-adjust:exact;-webkit-print-color-adjust:exact}}
";

/// The summary as HTML: one row per section.
fn summary_html(sections: &[Placed]) -> String {
    let mut rows = String::new();
    for p in sections {
        let s = &p.section;
        let _ = writeln!(
            rows,
            "<tr data-section=\"{id}\" data-verdict=\"{v}\"><td><span class=\"badge {v}\">{}</span></td><td><a href=\"#{id}\">{}</a></td><td class=\"headline\">{}</td></tr>",
            s.verdict.label(),
            escape(&s.title),
            escape(&s.headline),
            id = p.id,
            v = s.verdict.class(),
        );
    }
    format!(
        "<section id=\"summary\"><h2>Summary</h2>\n<p>{}</p>\n<table class=\"verdicts\"><thead><tr><th>verdict</th><th>section</th><th>the number that matters</th></tr></thead><tbody>\n{rows}</tbody></table></section>\n",
        escape(&tally(sections))
    )
}

/// `11 of 12 sections ok or explained; 1 MISMATCH`.
fn tally(sections: &[Placed]) -> String {
    let passed = sections.iter().filter(|p| p.section.passed()).count();
    let mut s = format!(
        "{passed} of {} sections ok or differ for an explained reason",
        sections.len()
    );
    let bad = sections.len() - passed;
    if bad > 0 {
        let _ = write!(s, "; {bad} MISMATCH or not run");
    }
    s
}

/// The whole page.
pub fn html(sections: &[Placed], seconds: f64) -> String {
    let mut body = String::new();
    for p in sections {
        let s = &p.section;
        let _ = writeln!(
            body,
            "<section id=\"{id}\" class=\"study\" data-verdict=\"{v}\"><h2><span class=\"badge {v}\">{}</span>{}</h2>\n<p class=\"headline\">{}</p>\n{}</section>",
            s.verdict.label(),
            escape(&s.title),
            escape(&s.headline),
            s.html,
            id = p.id,
            v = s.verdict.class(),
        );
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"color-scheme\" content=\"light dark\"><title>backprop-lab report</title>\n<style>{CSS}</style></head>\n<body><h1>backprop-lab report</h1>\n<p class=\"meta\">Generated by <code>bplab report</code> in {seconds:.0} s. Every number below was computed on this machine; the experiments ran in their quick setting. Hover a bar or a cell for its exact value; each section's raw table is one click away.</p>\n{}{body}</body></html>\n",
        summary_html(sections)
    )
}

/// The summary as Markdown, then every section.
pub fn markdown(sections: &[Placed]) -> String {
    let mut out = format!(
        "# backprop-lab report\n\n## Summary\n\n{}.\n\n| verdict | section | the number that matters |\n|---|---|---|\n",
        tally(sections)
    );
    for p in sections {
        let s = &p.section;
        let _ = writeln!(
            out,
            "| {} | [{}](#{}) | {} |",
            s.verdict.label(),
            s.title.replace('|', "\\|"),
            p.id,
            s.headline.replace('|', "\\|")
        );
    }
    out.push('\n');
    for p in sections {
        let s = &p.section;
        let _ = write!(
            out,
            "## <a id=\"{}\"></a>{} — {}\n\n{}\n",
            p.id,
            s.title,
            s.verdict.label(),
            s.markdown
        );
    }
    out
}

/// The summary as terminal text: one line per section (verdict, title, the number that
/// matters, the anchor in `index`).
pub fn summary_text(sections: &[Placed], index: &str) -> String {
    let mut out = String::from("summary\n");
    for p in sections {
        let s = &p.section;
        let _ = writeln!(
            out,
            "  {:<18}  {}: {}  ({index}#{})",
            s.verdict.label(),
            s.title,
            s.headline,
            p.id
        );
    }
    let _ = writeln!(out, "  {}", tally(sections));
    out
}

/// Writes `index.html` and `summary.md` under `dir`; returns the text the terminal shows at
/// the end (the summary, then where the files are) and whether every section passed.
pub fn write(dir: &Path, sections: &[Placed], seconds: f64) -> Result<(String, bool)> {
    let err = |p: &Path| {
        let path = p.display().to_string();
        move |e: std::io::Error| Error::File {
            path,
            reason: e.to_string(),
        }
    };
    std::fs::create_dir_all(dir).map_err(err(dir))?;
    let index = dir.join("index.html");
    let summary = dir.join("summary.md");
    std::fs::write(&index, html(sections, seconds)).map_err(err(&index))?;
    std::fs::write(&summary, markdown(sections)).map_err(err(&summary))?;
    let passed = sections.iter().all(|p| p.section.passed());
    let mut text = summary_text(sections, &index.display().to_string());
    let _ = writeln!(
        text,
        "\nreport: {} (summary: {}), {:.0} s",
        index.display(),
        summary.display(),
        seconds
    );
    Ok((text, passed))
}

#[cfg(test)]
mod tests {
    use super::super::Verdict;
    use super::*;

    fn placed(name: &str, verdict: Verdict, headline: &str) -> Placed {
        Placed::new(
            name,
            Section {
                title: format!("About {name}"),
                markdown: "body\n".into(),
                html: "<p>body</p>".into(),
                verdict,
                headline: headline.into(),
            },
        )
    }

    #[test]
    fn the_page_and_the_markdown_open_with_one_summary_line_per_section() {
        let s = [
            placed("check", Verdict::Ok, "6 engines agree to 1e-15"),
            placed("experiment init", Verdict::Mismatch, "a < b"),
        ];
        let page = html(&s, 3.0);
        let summary = page.find("id=\"summary\"").unwrap();
        assert!(summary < page.find("<section id=\"check\"").unwrap());
        assert!(page.contains("<tr data-section=\"experiment-init\" data-verdict=\"mismatch\">"));
        assert!(page.contains("<a href=\"#experiment-init\">About experiment init</a>"));
        assert!(page.contains("a &lt; b") && !page.contains("<script"));
        let md = markdown(&s);
        assert!(md.contains("| ok | [About check](#check) | 6 engines agree to 1e-15 |"));
        assert!(md.find("| MISMATCH |").unwrap() < md.find("<a id=\"check\">").unwrap());
        let text = summary_text(&s, "report/index.html");
        assert_eq!(text.lines().count(), 4);
        assert!(text.contains("MISMATCH            About experiment init: a < b"));
        assert!(text.contains("1 of 2 sections"));
    }

    #[test]
    fn raw_tables_are_collapsed_and_link_their_files() {
        let d = details("table", "a  b\n1  2\n", &["data/x/x.csv".into()]);
        assert!(d.starts_with("<details><summary>table</summary><div class=\"scroll\"><pre>"));
        assert!(d.contains("<a href=\"data/x/x.csv\">x.csv</a>"));
    }
}
