//! The served page's files, embedded in the binary from `web/`: the page, its script and
//! its stylesheet. The server sends them and `bplab viz --html` inlines them into one file.

/// The page.
pub const INDEX_HTML: &str = include_str!("web/index.html");
/// The page's script.
pub const APP_JS: &str = include_str!("web/app.js");
/// The page's style sheet.
pub const APP_CSS: &str = include_str!("web/app.css");
