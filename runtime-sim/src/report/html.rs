//! A markdown report as one self-contained HTML page: readable in a browser
//! from the file system, no server, no scripts, no fetched assets.

use pulldown_cmark::{Options, Parser, html};

/// The page's stylesheet: readable tables, numbers right-aligned where the
/// markdown says so, charts no wider than the page.
const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0;font-variant-numeric:tabular-nums}\
th,td{border:1px solid #ccc;padding:.25em .6em}th{background:#f3f3f3}\
tr:nth-child(even) td{background:#fafafa}\
img{max-width:100%;border:1px solid #eee}\
code{background:#f4f4f4;padding:0 .2em;border-radius:3px}\
pre{background:#f4f4f4;padding:.8em;overflow-x:auto}pre code{background:none}\
h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}";

/// `markdown` (tables allowed) as an HTML page titled `title`.
///
/// ```
/// let page = capheap_sim::report::html::page("Report", "| a | b |\n|--:|---|\n| 1 | x |\n");
/// assert!(page.starts_with("<!DOCTYPE html>"));
/// assert!(page.contains("<title>Report</title>"));
/// assert!(page.contains("<td style=\"text-align: right\">1</td>"));
/// ```
pub fn page(title: &str, markdown: &str) -> String {
    let mut body = String::new();
    html::push_html(&mut body, Parser::new_ext(markdown, Options::ENABLE_TABLES));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        super::timeline_svg::escape(title)
    )
}
