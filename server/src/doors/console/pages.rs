//! The console's pages, as `maud` templates (checked at compile time), in
//! Japanese and English. Every form carries the session's CSRF token; the
//! pages work without JavaScript (`console.js` only asks before the
//! destructive buttons and moves the focus).

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::doors::http::pages::accept_ja_en;
use crate::login::acting::{Actor, UserView};
use crate::login::requests::RequestState;
use crate::login::requests::RequestView;

/// A page's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    /// Japanese (the default).
    Ja,
    /// English.
    En,
}

impl Lang {
    /// `?lang=`, else the cookie, else `Accept-Language`'s first of ja/en, else Japanese.
    pub fn pick(query: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> Lang {
        for choice in [query, cookie, accept_ja_en(accept)] {
            match choice {
                Some("en") => return Lang::En,
                Some("ja") => return Lang::Ja,
                _ => {}
            }
        }
        Lang::Ja
    }

    /// `ja` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The text of `key` in this language; the key itself if it has none.
    pub fn t(self, key: &'static str) -> &'static str {
        TEXTS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map_or(key, |(_, ja, en)| if self == Lang::Ja { ja } else { en })
    }
}

/// (key, Japanese, English).
const TEXTS: &[(&str, &str, &str)] = &[
    ("console", "管理コンソール", "Console"),
    ("users", "利用者", "Users"),
    ("requests", "作業申請", "Requests"),
    ("audit", "監査ログ", "Audit"),
    ("off", "全員切断", "Everyone off"),
    ("logout", "ログアウト", "Log out"),
    ("login", "ログイン", "Log in"),
    ("user_id", "ユーザーID", "User ID"),
    ("next", "次へ", "Next"),
    (
        "answer",
        "回答（固定文字列と、パターンのマスの数字）",
        "Answer (your fixed string and the digits of your pattern)",
    ),
    (
        "card_answer",
        "カードの次のマスの値を順に入力",
        "Type the values of these cells of your card, in order",
    ),
    (
        "login_failed",
        "ログインできませんでした。もう一度お試しください。",
        "The login failed. Please try again.",
    ),
    (
        "expired_idle",
        "一定時間操作がなかったため、ログアウトしました。",
        "You were logged out after a time without activity.",
    ),
    ("expired_absolute", "セッションの有効期限が切れました。", "Your session has expired."),
    ("forbidden", "この操作の権限がありません。", "Your role does not allow this."),
    ("not_found", "見つかりません。", "Not found."),
    (
        "bad_csrf",
        "フォームの有効期限が切れました。ページを開き直してください。",
        "The form has expired: open the page again.",
    ),
    ("kind", "種類", "Kind"),
    ("failures", "連続失敗", "Failures"),
    ("lock", "ロック", "Lock"),
    ("suspended", "停止中", "Suspended"),
    ("windows", "許可期間", "Access windows"),
    ("roles", "役割", "Roles"),
    ("actions", "操作", "Actions"),
    ("unlock", "ロック解除", "Unlock"),
    ("suspend", "停止", "Suspend"),
    ("resume", "再開", "Resume"),
    ("remove", "削除", "Remove"),
    ("set_roles", "役割を設定", "Set roles"),
    ("invite", "招待", "Invite"),
    ("hours", "有効時間（時間）", "Valid for (hours)"),
    ("invite_link", "登録用リンク（1回限り）", "Enrollment link (single use)"),
    ("issue_card", "グリッドカード発行", "Issue a grid card"),
    ("print", "印刷", "Print"),
    ("serial", "シリアル番号", "Serial"),
    ("file_request", "作業申請を出す", "File a request"),
    ("from", "開始", "From"),
    ("to", "終了", "To"),
    ("purpose", "目的", "Purpose"),
    ("work", "作業内容", "Work"),
    ("targets", "対象サーバ", "Target servers"),
    ("operator", "作業者", "Operator"),
    ("manager_approval", "事業者側責任者の承認", "Vendor manager's approval"),
    ("notes", "備考", "Notes"),
    ("submit", "提出", "Submit"),
    ("state", "状態", "State"),
    ("vendor", "事業者", "Vendor"),
    ("approve", "承認", "Approve"),
    ("reject", "却下", "Reject"),
    ("reason", "理由", "Reason"),
    ("pending", "承認待ち", "Waiting for a decision"),
    ("all_requests", "申請一覧", "Requests"),
    ("my_requests", "自分の申請", "My requests"),
    ("overdue", "報告未提出", "Report overdue"),
    ("report", "作業報告", "Report"),
    ("actual_from", "実際の開始", "Actual start"),
    ("actual_to", "実際の終了", "Actual end"),
    ("done", "実施内容", "Work done"),
    ("result", "結果", "Result"),
    ("follow_up", "フォローアップ", "Follow-up"),
    ("export_csv", "CSV出力", "Export CSV"),
    ("export_jsonl", "JSONL出力", "Export JSONL"),
    ("filter", "絞り込み", "Filter"),
    ("event_label", "イベント", "Event"),
    ("door", "経路", "Door"),
    ("decided_by", "判断者", "Decided by"),
    ("filed_at", "申請日時", "Filed"),
    ("window", "許可期間番号", "Window"),
    ("state_filed", "承認待ち", "filed"),
    ("state_approved", "承認済み", "approved"),
    ("state_rejected", "却下", "rejected"),
    ("state_reported", "報告済み", "reported"),
    ("state_unknown", "不明", "unknown"),
    ("off_title", "全員切断（事業者の利用者を一斉停止）", "Everyone off (suspend every vendor user)"),
    (
        "off_explain",
        "役割を持たないすべての利用者（事業者）を、すべての経路で直ちに停止します。",
        "Every user without a role (the vendors) is stopped at every door, at once.",
    ),
    ("off_confirm", "本当に全員を停止しますか", "Really suspend everyone"),
    ("on_confirm", "停止中の事業者を全員再開しますか", "Resume every suspended vendor user"),
    ("confirm", "確認しました", "I confirm"),
    ("everyone_off", "全員停止", "Suspend everyone"),
    ("everyone_on", "全員再開", "Resume everyone"),
    ("done_n", "件を処理しました", "users changed"),
    ("saved", "保存しました。", "Saved."),
    ("none", "なし", "none"),
    ("permanent", "無期限", "permanent"),
    ("yes", "はい", "yes"),
    ("lang_other", "English", "日本語"),
    (
        "terminal_help",
        "このログインには登録端末での確認が必要です。ボタンを押し、端末（指紋・PIN、またはセキュリティキー）で確認してください。",
        "This login needs a check on your registered terminal: press the button and confirm on it (fingerprint, PIN or security key).",
    ),
    ("terminal_go", "登録端末で確認", "Check on this terminal"),
    (
        "terminal_nojs",
        "登録端末での確認（WebAuthn）には JavaScript が必要です。JavaScript を有効にしてページを開き直してください。",
        "The check on a registered terminal (WebAuthn) needs JavaScript: turn JavaScript on and open the page again.",
    ),
    (
        "terminal_failed",
        "登録端末での確認ができませんでした。登録した端末を使うか、管理者に端末登録の招待を依頼してください。",
        "No registered terminal answered. Use the terminal you registered, or ask your administrator for a terminal invitation.",
    ),
    (
        "terminal_unsupported",
        "このブラウザーはパスキーに対応していません。",
        "This browser does not support passkeys.",
    ),
    ("printable", "印刷用ページ", "Printable page"),
    ("back", "戻る", "Back"),
    (
        "qr_note",
        "紙で渡す場合はこのQRコードを印刷してください。",
        "Print this QR code to hand the link over on paper.",
    ),
];

/// What every page needs.
pub struct Frame<'a> {
    /// The language.
    pub lang: Lang,
    /// The logged-in actor, if any.
    pub actor: Option<&'a Actor>,
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// A message to show at the top.
    pub flash: Option<(bool, String)>,
}

fn local(t: u64) -> String {
    crate::when::local(t)
}

/// `YYYY-MM-DDTHH:MM` in local time, for `datetime-local` inputs.
fn input_time(t: u64) -> String {
    crate::when::local(t).replacen(' ', "T", 1).chars().take(16).collect()
}

/// The page around `body`.
#[allow(clippy::needless_pass_by_value)] // maud's templates are built by value
pub fn page(f: &Frame<'_>, title: &str, body: Markup) -> Markup {
    let l = f.lang;
    let other = if l == Lang::Ja { "en" } else { "ja" };
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — matrixauth" }
                link rel="stylesheet" href="/static/app.css";
                link rel="stylesheet" href="/console/static/console.css";
                script src="/console/static/console.js" defer {}
            }
            body {
                header.console-nav {
                    strong { "matrixauth " (l.t("console")) }
                    @if let Some(a) = f.actor {
                        nav aria-label=(l.t("console")) {
                            @if a.may(crate::login::acting::Action::ListUsers) {
                                a href="/console/users" { (l.t("users")) }
                            }
                            a href="/console/requests" { (l.t("requests")) }
                            @if a.may(crate::login::acting::Action::ReadAudit) {
                                a href="/console/audit" { (l.t("audit")) }
                            }
                            @if a.may(crate::login::acting::Action::SuspendResume) {
                                a href="/console/off" { (l.t("off")) }
                            }
                        }
                        span.who { (a.name) @if !a.roles.is_empty() { " (" (a.roles.join(", ")) ")" } }
                        form.inline method="post" action="/console/logout" {
                            input type="hidden" name="csrf" value=(f.csrf);
                            button type="submit" { (l.t("logout")) }
                        }
                    }
                    a.lang href={ "?lang=" (other) } lang=(other) { (l.t("lang_other")) }
                }
                main.card.console {
                    @if let Some((ok, text)) = &f.flash {
                        p.flash.ok[*ok].warn[!*ok] role="status" id="flash" { (text) }
                    }
                    (body)
                }
            }
        }
    }
}

/// The login form: the user id.
pub fn login_user(f: &Frame<'_>) -> Markup {
    let l = f.lang;
    page(
        f,
        l.t("login"),
        html! {
            h1 { (l.t("console")) " — " (l.t("login")) }
            form method="post" action="/console/login" {
                input type="hidden" name="csrf" value=(f.csrf);
                label for="user" { (l.t("user_id")) }
                input id="user" name="user" autocomplete="username" required autofocus;
                button type="submit" { (l.t("next")) }
            }
        },
    )
}

/// The terminal step (SPEC §16): the WebAuthn request options on the form,
/// for the script to pass to the browser's passkey; the assertion goes back
/// to `/console/login/terminal` in `credential`. Without JavaScript the page
/// says it is needed.
pub fn login_terminal(f: &Frame<'_>, user: &str, state: &str, public_key: &str) -> Markup {
    let l = f.lang;
    page(
        f,
        l.t("login"),
        html! {
            h1 { (l.t("console")) " — " (l.t("login")) }
            p { (l.t("user_id")) ": " strong { (user) } }
            p { (l.t("terminal_help")) }
            noscript { p.flash.warn id="terminal-nojs" { (l.t("terminal_nojs")) } }
            form id="terminal-form" method="post" action="/console/login/terminal" data-public-key=(public_key) {
                input type="hidden" name="csrf" value=(f.csrf);
                input type="hidden" name="user" value=(user);
                input type="hidden" name="state" value=(state);
                input type="hidden" name="credential" value="";
                button id="terminal-go" type="button" hidden { (l.t("terminal_go")) }
                p id="terminal-status" role="status"
                    data-failed=(l.t("terminal_failed")) data-unsupported=(l.t("terminal_unsupported")) {}
            }
            script type="module" src="/console/static/console-terminal.js" {}
        },
    )
}

/// The grid (or the card's cells) and the answer field.
pub fn login_grid(
    f: &Frame<'_>,
    user: &str,
    token: &str,
    grid: Option<&[Vec<u8>]>,
    cells: &[String],
) -> Markup {
    let l = f.lang;
    page(
        f,
        l.t("login"),
        html! {
            h1 { (l.t("console")) " — " (l.t("login")) }
            p { (l.t("user_id")) ": " strong { (user) } }
            @if let Some(rows) = grid {
                table.console-grid aria-label="matrix" {
                    @for (r, row) in rows.iter().enumerate() {
                        tr { @for (c, d) in row.iter().enumerate() {
                            td data-cell=(cell_name(r, c)) aria-label=(cell_label(l, r, c, *d)) { (d) }
                        } }
                    }
                }
                p.muted { (l.t("answer")) }
            } @else {
                p { (l.t("card_answer")) ": " strong id="cells" { (cells.join(" ")) } }
            }
            form method="post" action="/console/login/answer" {
                input type="hidden" name="csrf" value=(f.csrf);
                input type="hidden" name="user" value=(user);
                input type="hidden" name="token" value=(token);
                label for="answer" { (l.t("answer")) }
                input id="answer" name="answer" type="password" autocomplete="off" required autofocus;
                button type="submit" { (l.t("login")) }
            }
        },
    )
}

/// `B3`: column letter, row number (the portal's cell names).
fn cell_name(row: usize, col: usize) -> String {
    let letter = char::from(b'A' + u8::try_from(col % 26).unwrap_or(0));
    format!("{letter}{}", row + 1)
}

/// What a screen reader says of a cell, as the portal's grid does.
fn cell_label(l: Lang, row: usize, col: usize, digit: u8) -> String {
    let letter = char::from(b'A' + u8::try_from(col % 26).unwrap_or(0));
    match l {
        Lang::Ja => format!("列 {letter}、行 {}: {digit}", row + 1),
        Lang::En => format!("column {letter}, row {}: {digit}", row + 1),
    }
}

fn hidden(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

fn action_button(csrf: &str, action: &str, user: &str, label: &str, confirm: Option<&str>) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (hidden(csrf))
            input type="hidden" name="user" value=(user);
            button type="submit" data-confirm=[confirm] { (label) }
        }
    }
}

/// The users page.
pub fn users(f: &Frame<'_>, list: &[UserView], can_manage: bool) -> Markup {
    let l = f.lang;
    page(
        f,
        l.t("users"),
        html! {
            h1 { (l.t("users")) }
            table.list {
                thead { tr {
                    th scope="col" { (l.t("user_id")) } th scope="col" { (l.t("kind")) }
                    th scope="col" { (l.t("failures")) } th scope="col" { (l.t("lock")) }
                    th scope="col" { (l.t("suspended")) } th scope="col" { (l.t("windows")) }
                    th scope="col" { (l.t("roles")) } th scope="col" { (l.t("actions")) }
                } }
                tbody {
                    @for u in list {
                        tr data-user=(u.user) {
                            td { (u.user) }
                            td { (u.kind) }
                            td { (u.failures) }
                            td { @match u.lock { None => "-", Some(None) => (l.t("permanent")), Some(Some(t)) => (local(t)) } }
                            td.suspended { @if let Some(t) = u.suspended_at { (l.t("yes")) " (" (local(t)) ")" } @else { "-" } }
                            td { @for w in &u.windows { "#" (w.id) " " (local(w.starts_at)) " – " (local(w.ends_at)) br; } }
                            td { @if u.roles.is_empty() { (l.t("vendor")) } @else { (u.roles.join(", ")) } }
                            td.actions {
                                a.terminals href={ "/console/users/" (encode(&u.user)) "/terminals" } { (if l == Lang::Ja { "端末" } else { "Terminals" }) }
                                @if can_manage {
                                    (action_button(f.csrf, "/console/users/unlock", &u.user, l.t("unlock"), None))
                                }
                                @if u.suspended_at.is_some() {
                                    (action_button(f.csrf, "/console/users/resume", &u.user, l.t("resume"), None))
                                } @else {
                                    (action_button(f.csrf, "/console/users/suspend", &u.user, l.t("suspend"), Some(l.t("suspend"))))
                                }
                                @if can_manage {
                                    (action_button(f.csrf, "/console/users/remove", &u.user, l.t("remove"), Some(l.t("remove"))))
                                    form.inline method="post" action="/console/users/roles" {
                                        (hidden(f.csrf))
                                        input type="hidden" name="user" value=(u.user);
                                        @for r in crate::login::acting::ROLES {
                                            label { input type="checkbox" name={ "role_" (r) } value="on" checked[u.roles.iter().any(|x| x == r)]; " " (r) }
                                        }
                                        button type="submit" { (l.t("set_roles")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if can_manage {
                h2 { (l.t("invite")) }
                form method="post" action="/console/users/invite" {
                    (hidden(f.csrf))
                    label for="invite-user" { (l.t("user_id")) }
                    input id="invite-user" name="user" required;
                    label for="invite-hours" { (l.t("hours")) }
                    input id="invite-hours" name="hours" type="number" min="1" max="720" value="72";
                    fieldset { legend { (l.t("roles")) }
                        @for r in crate::login::acting::ROLES { label { input type="checkbox" name={ "role_" (r) } value="on"; " " (r) } }
                    }
                    button type="submit" { (l.t("invite")) }
                }
                h2 { (l.t("issue_card")) }
                form method="post" action="/console/users/card" {
                    (hidden(f.csrf))
                    label for="card-user" { (l.t("user_id")) }
                    input id="card-user" name="user" required;
                    button type="submit" { (l.t("issue_card")) }
                }
            }
        },
    )
}

/// The invitation: the link and its QR code.
pub fn invited(f: &Frame<'_>, user: &str, link: &str, expires_at: u64, qr_svg: &str) -> Markup {
    let l = f.lang;
    page(
        f,
        l.t("invite"),
        html! {
            h1 { (l.t("invite")) ": " (user) }
            p { (l.t("invite_link")) " (" (local(expires_at)) "):" }
            p { code id="invite-link" { (link) } }
            div.qr { (PreEscaped(qr_svg)) }
            p.muted { (l.t("qr_note")) }
            p { a href="/console/users" { (l.t("back")) } }
        },
    )
}

/// The printable A4 page of a new grid card.
pub fn card(f: &Frame<'_>, user: &str, serial: &str, svg: &str) -> Markup {
    let l = f.lang;
    page(
        f,
        l.t("issue_card"),
        html! {
            section.a4 {
                h1 { (l.t("issue_card")) }
                p { (l.t("user_id")) ": " strong { (user) } }
                p { (l.t("serial")) ": " strong id="serial" { (serial) } }
                div.card-svg { (PreEscaped(svg)) }
            }
            p.noprint { button type="button" data-print="1" { (l.t("print")) } " " a href="/console/users" { (l.t("back")) } }
        },
    )
}

fn state_text(l: Lang, v: &RequestView) -> &'static str {
    if v.overdue {
        return l.t("overdue");
    }
    match v.row.state {
        Some(RequestState::Filed) => l.t("state_filed"),
        Some(RequestState::Approved) => l.t("state_approved"),
        Some(RequestState::Rejected) => l.t("state_rejected"),
        Some(RequestState::Reported) => l.t("state_reported"),
        None => l.t("state_unknown"),
    }
}

/// The requests page: the filing form, the pending list for approvers,
/// and the list of requests the actor may see.
pub fn requests(
    f: &Frame<'_>,
    list: &[RequestView],
    can_decide: bool,
    can_read_all: bool,
    now: u64,
) -> Markup {
    let l = f.lang;
    let me = f.actor.map(|a| a.name.as_str()).unwrap_or_default();
    let pending: Vec<&RequestView> =
        list.iter().filter(|v| v.row.state == Some(RequestState::Filed) && v.row.vendor != me).collect();
    page(
        f,
        l.t("requests"),
        html! {
            h1 { (l.t("requests")) }
            @if can_decide {
                h2 { (l.t("pending")) }
                @if pending.is_empty() { p.muted { (l.t("none")) } }
                @for v in &pending {
                    div.pending data-request=(v.row.id) {
                        p { a href={ "/console/requests/" (v.row.id) } { "#" (v.row.id) } " " (v.row.vendor) ": "
                            (local(v.row.fields.starts_at)) " – " (local(v.row.fields.ends_at)) " — " (v.row.fields.purpose) }
                        div.row {
                            form.inline method="post" action={ "/console/requests/" (v.row.id) "/approve" } {
                                (hidden(f.csrf))
                                button type="submit" { (l.t("approve")) }
                            }
                            form.inline method="post" action={ "/console/requests/" (v.row.id) "/reject" } {
                                (hidden(f.csrf))
                                label for={ "reason-" (v.row.id) } { (l.t("reason")) }
                                input id={ "reason-" (v.row.id) } name="reason" required;
                                button type="submit" { (l.t("reject")) }
                            }
                        }
                    }
                }
            }
            h2 { @if can_read_all { (l.t("all_requests")) } @else { (l.t("my_requests")) } }
            @if can_read_all { p { a href="/console/requests.csv" { (l.t("export_csv")) } } }
            table.list {
                thead { tr {
                    th scope="col" { "#" } th scope="col" { (l.t("vendor")) } th scope="col" { (l.t("from")) }
                    th scope="col" { (l.t("to")) } th scope="col" { (l.t("purpose")) } th scope="col" { (l.t("state")) }
                } }
                tbody {
                    @for v in list {
                        tr data-request=(v.row.id) data-state=(v.row.state.map_or("unknown", RequestState::as_str)) data-overdue=(v.overdue) {
                            td { a href={ "/console/requests/" (v.row.id) } { (v.row.id) } }
                            td { (v.row.vendor) }
                            td { (local(v.row.fields.starts_at)) }
                            td { (local(v.row.fields.ends_at)) }
                            td { (v.row.fields.purpose) }
                            td.state.warn[v.overdue] { (state_text(l, v)) }
                        }
                    }
                }
            }
            h2 { (l.t("file_request")) }
            form id="file-request" method="post" action="/console/requests" {
                (hidden(f.csrf))
                label for="from" { (l.t("from")) }
                input id="from" name="from" type="datetime-local" required value=(input_time(now + 3600));
                label for="to" { (l.t("to")) }
                input id="to" name="to" type="datetime-local" required value=(input_time(now + 5 * 3600));
                label for="purpose" { (l.t("purpose")) }
                input id="purpose" name="purpose" required maxlength="4000";
                label for="work" { (l.t("work")) }
                textarea id="work" name="work" required maxlength="4000" {}
                label for="targets" { (l.t("targets")) }
                input id="targets" name="targets" required maxlength="4000";
                label for="operator" { (l.t("operator")) }
                input id="operator" name="operator" required maxlength="4000";
                label for="manager" { (l.t("manager_approval")) }
                input id="manager" name="manager_approval" required maxlength="4000";
                label for="notes" { (l.t("notes")) }
                textarea id="notes" name="notes" maxlength="4000" {}
                button type="submit" { (l.t("submit")) }
            }
        },
    )
}

/// One request, printable, with the report form for its vendor.
pub fn request(f: &Frame<'_>, v: &RequestView, can_report: bool) -> Markup {
    let l = f.lang;
    let r = &v.row;
    let opt = |t: Option<u64>| t.map(local).unwrap_or_default();
    page(
        f,
        l.t("requests"),
        html! {
            section.a4 {
                h1 { (l.t("requests")) " #" (r.id) }
                table.fields {
                    tr { th { (l.t("state")) } td.warn[v.overdue] id="state" { (state_text(l, v)) } }
                    tr { th { (l.t("vendor")) } td { (r.vendor) } }
                    tr { th { (l.t("from")) } td { (local(r.fields.starts_at)) } }
                    tr { th { (l.t("to")) } td { (local(r.fields.ends_at)) } }
                    tr { th { (l.t("purpose")) } td { (r.fields.purpose) } }
                    tr { th { (l.t("work")) } td.pre { (r.fields.work) } }
                    tr { th { (l.t("targets")) } td { (r.fields.targets) } }
                    tr { th { (l.t("operator")) } td { (r.fields.operator) } }
                    tr { th { (l.t("manager_approval")) } td { (r.fields.manager_approval) } }
                    tr { th { (l.t("notes")) } td.pre { (r.fields.notes) } }
                    tr { th { (l.t("filed_at")) } td { (local(r.filed_at)) } }
                    tr { th { (l.t("decided_by")) } td { (r.decided_by.clone().unwrap_or_default()) " " (opt(r.decided_at)) } }
                    @if let Some(reason) = &r.reason { tr { th { (l.t("reason")) } td { (reason) } } }
                    @if let Some(w) = r.window { tr { th { (l.t("window")) } td { "#" (w) } } }
                }
                @if let Some(rep) = &r.report {
                    h2 { (l.t("report")) }
                    table.fields {
                        tr { th { (l.t("actual_from")) } td { (local(rep.actual_from)) } }
                        tr { th { (l.t("actual_to")) } td { (local(rep.actual_to)) } }
                        tr { th { (l.t("done")) } td.pre { (rep.done) } }
                        tr { th { (l.t("result")) } td.pre { (rep.result) } }
                        tr { th { (l.t("follow_up")) } td.pre { (rep.follow_up) } }
                        tr { th { (l.t("filed_at")) } td { (opt(r.reported_at)) } }
                    }
                }
            }
            p.noprint { button type="button" data-print="1" { (l.t("print")) } " " a href="/console/requests" { (l.t("back")) } }
            @if can_report {
                h2.noprint { (l.t("report")) }
                form.noprint id="report" method="post" action={ "/console/requests/" (r.id) "/report" } {
                    (hidden(f.csrf))
                    label for="actual_from" { (l.t("actual_from")) }
                    input id="actual_from" name="actual_from" type="datetime-local" required value=(input_time(r.fields.starts_at));
                    label for="actual_to" { (l.t("actual_to")) }
                    input id="actual_to" name="actual_to" type="datetime-local" required value=(input_time(r.fields.ends_at));
                    label for="done" { (l.t("done")) }
                    textarea id="done" name="done" required maxlength="4000" {}
                    label for="result" { (l.t("result")) }
                    input id="result" name="result" required maxlength="4000";
                    label for="follow_up" { (l.t("follow_up")) }
                    textarea id="follow_up" name="follow_up" maxlength="4000" {}
                    button type="submit" { (l.t("submit")) }
                }
            }
        },
    )
}

/// The audit page's filter values, as typed.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AuditQuery {
    /// User.
    pub user: Option<String>,
    /// The event (`kind` in the URL).
    pub kind: Option<String>,
    /// Door.
    pub door: Option<String>,
    /// From (`YYYY-MM-DD` or with a time).
    pub from: Option<String>,
    /// To.
    pub to: Option<String>,
    /// The page's language.
    pub lang: Option<String>,
}

impl AuditQuery {
    /// The query string of the filter (for the export links).
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("user", &self.user),
            ("kind", &self.kind),
            ("door", &self.door),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                parts.push(format!("{k}={}", encode(v)));
            }
        }
        parts.join("&")
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The audit page.
pub fn audit(f: &Frame<'_>, q: &AuditQuery, lines: &[String]) -> Markup {
    let l = f.lang;
    let v = |o: &Option<String>| o.clone().unwrap_or_default();
    let qs = q.query();
    page(
        f,
        l.t("audit"),
        html! {
            h1 { (l.t("audit")) }
            form.filter method="get" action="/console/audit" {
                label for="f-user" { (l.t("user_id")) } input id="f-user" name="user" value=(v(&q.user));
                label for="f-event" { (l.t("event_label")) } input id="f-event" name="kind" value=(v(&q.kind));
                label for="f-door" { (l.t("door")) }
                select id="f-door" name="door" {
                    @for d in ["", "http", "radius", "console", "cli"] {
                        option value=(d) selected[q.door.as_deref().unwrap_or("") == d] { (d) }
                    }
                }
                label for="f-from" { (l.t("from")) } input id="f-from" name="from" placeholder="2026-11-01" value=(v(&q.from));
                label for="f-to" { (l.t("to")) } input id="f-to" name="to" placeholder="2026-12-01" value=(v(&q.to));
                button type="submit" { (l.t("filter")) }
            }
            p {
                a href={ "/console/audit.csv?" (qs) } { (l.t("export_csv")) } " · "
                a href={ "/console/audit.jsonl?" (qs) } { (l.t("export_jsonl")) }
            }
            ol.audit { @for line in lines.iter().rev() { li { code { (line) } } } }
        },
    )
}

/// "Everyone off": the confirmation step.
pub fn off(f: &Frame<'_>) -> Markup {
    let l = f.lang;
    page(
        f,
        l.t("off"),
        html! {
            h1 { (l.t("off_title")) }
            p { (l.t("off_explain")) }
            form id="everyone-off" method="post" action="/console/off" {
                (hidden(f.csrf))
                input type="hidden" name="action" value="suspend";
                label { input type="checkbox" name="confirm" value="yes" required; " " (l.t("off_confirm")) }
                button.danger type="submit" { (l.t("everyone_off")) }
            }
            form id="everyone-on" method="post" action="/console/off" {
                (hidden(f.csrf))
                input type="hidden" name="action" value="resume";
                label { input type="checkbox" name="confirm" value="yes" required; " " (l.t("on_confirm")) }
                button type="submit" { (l.t("everyone_on")) }
            }
        },
    )
}

/// A page with a message only.
pub fn message(f: &Frame<'_>, title: &str) -> Markup {
    page(f, title, html! { h1 { (title) } p { a href="/console" { (f.lang.t("back")) } } })
}

/// The console's stylesheet.
pub const CSS: &str = "\
.console-nav { display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; padding: 0.6rem 1.2rem; background: #1d2a4a; color: #fff; }
.console-nav a { color: #fff; }
.console-nav nav { display: flex; gap: 0.8rem; }
.console-nav .who { margin-left: auto; }
main.console { max-width: 72rem; }
form.inline { display: inline-flex; flex-direction: row; gap: 0.3rem; align-items: center; max-width: none; }
table.list { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
table.list th, table.list td, table.fields th, table.fields td { border: 1px solid #ccd; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
table.console-grid td { border: 1px solid #889; width: 2rem; height: 2rem; text-align: center; font: 1.2rem ui-monospace, monospace; }
td.pre { white-space: pre-wrap; }
.flash { padding: 0.5rem; border: 1px solid currentColor; }
button.danger { background: #a40000; color: #fff; }
ol.audit { font-size: 0.8rem; }
.qr svg { width: 16rem; height: 16rem; }
a:focus, button:focus, input:focus, select:focus, textarea:focus { outline: 3px solid #f5a623; outline-offset: 1px; }
@media print { .console-nav, .noprint { display: none; } main.card { box-shadow: none; margin: 0; } @page { size: A4; margin: 15mm; } section.a4 { width: 180mm; } }
";

/// The console's script: asks before buttons with `data-confirm`, prints
/// with `data-print`. The pages work without it.
pub const JS: &str = "\
document.addEventListener('click', function (e) {
  var b = e.target.closest && e.target.closest('[data-confirm],[data-print]');
  if (!b) return;
  if (b.hasAttribute('data-print')) { window.print(); return; }
  if (!window.confirm(b.getAttribute('data-confirm') + '?')) { e.preventDefault(); }
});
document.addEventListener('DOMContentLoaded', function () {
  var f = document.getElementById('flash');
  if (f) { f.setAttribute('tabindex', '-1'); f.focus(); }
});
";

/// The terminal step's script (a module): the portal's `terminal.js` has the
/// browser's passkey answer the options on the form; the form then posts the
/// assertion. Nothing is sent when no terminal answers.
pub const TERMINAL_JS: &str = "\
import { answerTerminal } from '/static/terminal.js';

const form = document.getElementById('terminal-form');
if (form) {
  const go = document.getElementById('terminal-go');
  const out = document.getElementById('terminal-status');
  go.hidden = false;
  go.focus();
  go.addEventListener('click', async () => {
    go.disabled = true;
    out.textContent = '';
    const publicKey = JSON.parse(form.dataset.publicKey);
    const r = await answerTerminal({ state: form.elements.namedItem('state').value, publicKey });
    if (r.error) {
      go.disabled = false;
      out.className = 'flash warn';
      out.dataset.error = r.error;
      out.textContent = r.error === 'webauthn_unsupported' ? out.dataset.unsupported : out.dataset.failed;
      return;
    }
    form.elements.namedItem('credential').value = JSON.stringify(r.terminal.credential);
    form.submit();
  });
}
";
