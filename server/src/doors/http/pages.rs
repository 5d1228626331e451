//! The demo's pages and static files, compiled into the binary.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The login page.
pub const LOGIN_HTML: &str = include_str!("../../../web/login.html");
/// The enrollment page.
pub const ENROLL_HTML: &str = include_str!("../../../web/enroll.html");

const FILES: &[(&str, &str, &str)] = &[
    ("login.js", "text/javascript; charset=utf-8", include_str!("../../../web/login.js")),
    ("enroll.js", "text/javascript; charset=utf-8", include_str!("../../../web/enroll.js")),
    ("terminal.js", "text/javascript; charset=utf-8", include_str!("../../../web/terminal.js")),
    ("app.css", "text/css; charset=utf-8", include_str!("../../../web/app.css")),
    (
        "matrixauth-widget.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../wasm/widget/matrixauth-widget.js"),
    ),
    (
        "matrixauth-widget.css",
        "text/css; charset=utf-8",
        include_str!("../../../../wasm/widget/matrixauth-widget.css"),
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

/// A page's language: `ja` or `en`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Japanese.
    Ja,
    /// English.
    En,
}

/// The first of Japanese (`ja`) and English (`en`) in an `Accept-Language`
/// header, if either is there (the portal's and the console's language choice).
pub(crate) fn accept_ja_en(accept_language: Option<&str>) -> Option<&'static str> {
    for tag in accept_language.unwrap_or("").split(',') {
        let tag = tag.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if tag == "ja" || tag.starts_with("ja-") {
            return Some("ja");
        }
        if tag == "en" || tag.starts_with("en-") {
            return Some("en");
        }
    }
    None
}

impl Lang {
    /// The language the login page used (`?lang=`), else the browser's
    /// first choice of Japanese or English (`Accept-Language`), else Japanese
    /// (as the login page's `pickLang`).
    pub fn pick(query: Option<&str>, accept_language: Option<&str>) -> Lang {
        for choice in [query, accept_ja_en(accept_language)] {
            match choice {
                Some("en") => return Lang::En,
                Some("ja") => return Lang::Ja,
                _ => {}
            }
        }
        Lang::Ja
    }

    fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

fn page(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><main class=\"card vpn\">{body}</main></body></html>\n",
        lang.code()
    )
}

/// The appliance stand-in's greeting after a redeemed ticket, with the
/// session's end (the approved period's end, or `session.max_seconds`).
pub fn vpn_welcome(user: &str, session_end: u64, lang: Lang) -> String {
    let user = escape(user);
    // The server's time zone (TZ): a site's users share it.
    let end = crate::when::local(session_end);
    let (text, until, back) = match lang {
        Lang::Ja => (
            format!("ようこそ、{user} さん。VPN に接続しました（デモ用の装置）。"),
            format!("接続は {end} に終了します。"),
            "ログイン画面へ",
        ),
        Lang::En => (
            format!("Welcome, {user}. You are connected to the VPN (demo appliance)."),
            format!("The session ends at {end}."),
            "Back to the login page",
        ),
    };
    page(
        lang,
        "SSL-VPN",
        &format!(
            "<h1>SSL-VPN</h1><p id=\"greeting\" data-user=\"{user}\">{text}</p>\
             <p id=\"session-end\" data-session-end=\"{session_end}\">{until}</p>\
             <p><a href=\"/\">{back}</a></p>"
        ),
    )
}

/// The appliance stand-in's refusal; `reason` is the ticket error's code.
pub fn vpn_refused(reason: &str, lang: Lang) -> String {
    let (why, back) = match (lang, reason) {
        (Lang::Ja, "replayed") => ("このログインは使用済みです。", "ログイン画面へ"),
        (Lang::Ja, "expired") => ("ログインの有効期限が切れました。", "ログイン画面へ"),
        (Lang::Ja, _) => ("ログインを確認できませんでした。", "ログイン画面へ"),
        (Lang::En, "replayed") => ("This login was already used.", "Back to the login page"),
        (Lang::En, "expired") => ("This login has expired.", "Back to the login page"),
        (Lang::En, _) => ("This login could not be confirmed.", "Back to the login page"),
    };
    let again = match lang {
        Lang::Ja => "もう一度ログインしてください。",
        Lang::En => "Please log in again.",
    };
    let reason = escape(reason);
    page(
        lang,
        "SSL-VPN",
        &format!(
            "<h1>SSL-VPN</h1><p id=\"refused\" data-reason=\"{reason}\">{why}{sep}{again}</p>\
             <p><a href=\"/\">{back}</a></p>",
            sep = if lang == Lang::En { " " } else { "" }
        ),
    )
}
