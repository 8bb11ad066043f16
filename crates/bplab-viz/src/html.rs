//! `bplab viz --html FILE`: the trace as one self-contained page — the served page's HTML with
//! its style sheet and script inlined and the trace JSON embedded as `window.BPLAB_TRACE`, so
//! the same drawing code shows it with no server and no network access (controls hidden).

use crate::assets::{APP_CSS, APP_JS, INDEX_HTML};
use serde_json::Value;

/// The page for `trace` (the JSON of [`crate::json::to_json`]).
pub fn page(trace: &Value) -> String {
    // `</` inside a <script> would end it early; `<\/` is the same JSON string.
    let data = trace.to_string().replace("</", "<\\/");
    let css = format!("<style>\n{APP_CSS}</style>");
    let js = format!(
        "<script>window.BPLAB_TRACE = {data};</script>\n<script>\n{}</script>",
        APP_JS.replace("</script", "<\\/script")
    );
    INDEX_HTML
        .replace(r#"<link rel="stylesheet" href="app.css">"#, &css)
        .replace(r#"<script src="app.js"></script>"#, &js)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_references_no_other_file() {
        let p = page(&serde_json::json!({"note": "</script><b>"}));
        assert!(!p.contains("href=\"app.css\"") && !p.contains("src=\"app.js\""));
        // The SVG namespace is an identifier, never fetched; nothing else names a URL.
        let rest = p.replace(SVG_NS, "");
        assert!(!rest.contains("http://") && !rest.contains("https://"));
        assert!(p.contains("window.BPLAB_TRACE = {\"note\":\"<\\/script><b>\"}"));
        assert_eq!(p.matches("</script>").count(), 2);
    }

    const SVG_NS: &str = "http://www.w3.org/2000/svg";
}
