//! The demo's pages and static files, compiled into the binary.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The login page.
pub const LOGIN_HTML: &str = include_str!("../web/login.html");
/// The enrollment page.
pub const ENROLL_HTML: &str = include_str!("../web/enroll.html");

const FILES: &[(&str, &str, &str)] = &[
    ("login.js", "text/javascript; charset=utf-8", include_str!("../web/login.js")),
    ("enroll.js", "text/javascript; charset=utf-8", include_str!("../web/enroll.js")),
    ("app.css", "text/css; charset=utf-8", include_str!("../web/app.css")),
    (
        "matrixauth-widget.js",
        "text/javascript; charset=utf-8",
        include_str!("../../wasm/widget/matrixauth-widget.js"),
    ),
    (
        "matrixauth-widget.css",
        "text/css; charset=utf-8",
        include_str!("../../wasm/widget/matrixauth-widget.css"),
    ),
];

/// `GET /static/{name}`.
pub async fn static_file(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => ([(header::CONTENT_TYPE, *content_type)], *body).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// HTML-escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><main class=\"card vpn\">{body}</main></body></html>\n"
    )
}

/// The appliance stand-in's greeting after a redeemed ticket.
pub fn vpn_welcome(user: &str) -> String {
    let user = escape(user);
    page(
        "SSL-VPN",
        &format!(
            "<h1>SSL-VPN</h1><p id=\"greeting\" data-user=\"{user}\">ようこそ、{user} さん。VPN に接続しました。</p>\
             <p lang=\"en\">Welcome, {user}. You are connected to the VPN (demo appliance).</p>\
             <p><a href=\"/\">ログイン画面へ / Back to the login page</a></p>"
        ),
    )
}

/// The appliance stand-in's refusal.
pub fn vpn_refused(reason: &str) -> String {
    let reason = escape(reason);
    page(
        "SSL-VPN",
        &format!(
            "<h1>SSL-VPN</h1><p id=\"refused\" data-reason=\"{reason}\">チケットが無効です（{reason}）。\
             もう一度ログインしてください。</p>\
             <p lang=\"en\">The login ticket was refused ({reason}). Please log in again.</p>\
             <p><a href=\"/\">ログイン画面へ / Back to the login page</a></p>"
        ),
    )
}
