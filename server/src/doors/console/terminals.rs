//! A user's registered terminals in the console (SPEC §16, issue 26):
//! `/console/users/{user}/terminals` lists them (name, registered, last
//! used, signature counter, revocation, RADIUS addresses) for an
//! administrator or an approver; an administrator renames and revokes them
//! and makes a terminal invitation (a link and its QR code, as the Users
//! page's invitations). Each form carries the session's CSRF token and
//! calls one service function as the logged-in user, which checks the
//! roles and audits the change with `operator` `console:USER`.

use std::sync::Arc;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::pages::{self, Frame, Lang};
use super::{Console, Meta, PageQuery, actor, blocking, csrf_ok, flash_of, frame, html as reply, refused};
use crate::login::TerminalBook;
use crate::login::acting::{ActError, Action, Who};

/// Text in the page's language (the terminals page's own strings).
fn tr(l: Lang, ja: &'static str, en: &'static str) -> &'static str {
    if l == Lang::Ja { ja } else { en }
}

/// A path segment, percent-encoded (user ids may hold any character).
pub(super) fn encode(s: &str) -> String {
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

fn base(user: &str) -> String {
    format!("/console/users/{}/terminals", encode(user))
}

/// The terminals page of `user`.
pub(super) async fn terminals_page(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    Path(user): Path<String>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let login = Arc::clone(&con.login);
    let me = sess.user.clone();
    let who_for = user.clone();
    let Some(book) = blocking(move || login.terminals_view_as(Who::User(&me), &who_for)).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    match book {
        Ok(book) => {
            let flash = flash_of(&meta, &query.ok().map(|q| q.0).unwrap_or_default());
            let f = frame(&meta, Some(&act), &sess.csrf, flash);
            let site = con.login.terminal_config().required;
            reply(StatusCode::OK, page(&f, &user, &book, site, act.may(Action::ManageUsers)))
        }
        Err(err) => refused(&meta, &act, &sess.csrf, &err),
    }
}

#[derive(Deserialize)]
pub(super) struct TerminalForm {
    csrf: Option<String>,
    id: Option<i64>,
    name: Option<String>,
    hours: Option<u64>,
}

/// What a terminals form asked for, done as the actor.
enum Done {
    Back,
    Invited(zeroize::Zeroizing<String>, u64),
}

/// `POST /console/users/{user}/terminals/{action}`: `rename`, `revoke`, `invite`.
pub(super) async fn terminals_action(
    State(con): State<Arc<Console>>,
    Extension(meta): Extension<Meta>,
    Path((user, action)): Path<(String, String)>,
    form: Result<Form<TerminalForm>, FormRejection>,
) -> Response {
    let (sess, act) = match actor(&con, &meta).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(Form(form)) = form else { return StatusCode::BAD_REQUEST.into_response() };
    if !csrf_ok(&sess, form.csrf.as_deref()) {
        return super::bad_csrf(&meta);
    }
    let login = Arc::clone(&con.login);
    let me = sess.user.clone();
    let target = user.clone();
    let result = blocking(move || {
        let who = Who::User(&me);
        let found = |f: bool| if f { Ok(Done::Back) } else { Err(ActError::NotFound) };
        let id = form.id.ok_or_else(|| ActError::Refused("which terminal?".to_owned()));
        match action.as_str() {
            "rename" => {
                let name = form.name.unwrap_or_default();
                id.and_then(|id| login.rename_terminal_as(who, &target, id, &name)).and_then(found)
            }
            "revoke" => id.and_then(|id| login.revoke_terminal_as(who, &target, id)).and_then(found),
            "invite" => login
                .invite_terminal_as(who, &target, form.hours.unwrap_or(crate::login::invite::DEFAULT_HOURS))
                .map(|(token, expires)| Done::Invited(token, expires)),
            _ => Err(ActError::NotFound),
        }
    })
    .await;
    let Some(result) = result else { return StatusCode::INTERNAL_SERVER_ERROR.into_response() };
    match result {
        Ok(Done::Back) => Redirect::to(&format!("{}?ok=1", base(&user))).into_response(),
        Ok(Done::Invited(token, expires)) => {
            let origin = con.origins.first().cloned().unwrap_or_default();
            let link = format!("{}/enroll#terminal={}", origin.trim_end_matches('/'), token.as_str());
            let qr = qrcode::QrCode::new(link.as_bytes())
                .map(|q| q.render::<qrcode::render::svg::Color<'_>>().min_dimensions(256, 256).build())
                .unwrap_or_default();
            let f = frame(&meta, Some(&act), &sess.csrf, None);
            reply(StatusCode::OK, pages::invited(&f, &user, &link, expires, &qr))
        }
        Err(err) => refused(&meta, &act, &sess.csrf, &err),
    }
}

fn hidden(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// The terminals page.
fn page(f: &Frame<'_>, user: &str, book: &TerminalBook, site_required: bool, can_manage: bool) -> Markup {
    let l = f.lang;
    let at = base(user);
    let policy = match book.policy {
        Some(true) => tr(l, "必須", "required"),
        Some(false) => tr(l, "任意", "optional"),
        None if site_required => tr(l, "必須（サイト設定）", "required (site)"),
        None => tr(l, "任意（サイト設定）", "optional (site)"),
    };
    let title = tr(l, "登録端末", "Registered terminals");
    pages::page(
        f,
        title,
        html! {
            h1 { (title) ": " (user) }
            p { (tr(l, "端末の登録: ", "Terminals: ")) strong #policy { (policy) } }
            @if book.terminals.is_empty() {
                p #no-terminals { (tr(l, "登録された端末はありません。", "No registered terminals.")) }
            } @else {
                table.list #terminals {
                    thead { tr {
                        th scope="col" { "#" }
                        th scope="col" { (tr(l, "名前", "Name")) }
                        th scope="col" { (tr(l, "種類", "Kind")) }
                        th scope="col" { (tr(l, "登録", "Registered")) }
                        th scope="col" { (tr(l, "最終使用", "Last used")) }
                        th scope="col" { (tr(l, "署名カウンタ", "Counter")) }
                        th scope="col" { (tr(l, "失効", "Revoked")) }
                        th scope="col" { (tr(l, "RADIUS アドレス", "RADIUS addresses")) }
                        @if can_manage { th scope="col" { (l.t("actions")) } }
                    } }
                    tbody {
                        @for t in &book.terminals {
                            tr data-terminal=(t.id) {
                                td { (t.id) }
                                td.name { (t.name) }
                                td { @if t.credential.is_some() { "WebAuthn" } @else { (tr(l, "ネットワーク", "network")) } }
                                td { (crate::when::local(t.created_at)) }
                                td.last-used { @if let Some(u) = t.last_used_at { (crate::when::local(u)) } @else { (tr(l, "未使用", "never")) } }
                                td { (t.counter) }
                                td.revoked { @if let Some(r) = t.revoked_at { (tr(l, "失効済み", "revoked")) " (" (crate::when::local(r)) ")" } @else { "-" } }
                                td { @if t.addresses.is_empty() { "-" } @else { (t.addresses.join(", ")) } }
                                @if can_manage {
                                    td.actions {
                                        form.inline method="post" action={ (at) "/rename" } {
                                            (hidden(f.csrf))
                                            input type="hidden" name="id" value=(t.id);
                                            label { (tr(l, "新しい名前", "New name")) " "
                                                input name="name" required maxlength="64" value=(t.name); }
                                            button type="submit" { (tr(l, "名前を変更", "Rename")) }
                                        }
                                        @if t.revoked_at.is_none() {
                                            form.inline method="post" action={ (at) "/revoke" } {
                                                (hidden(f.csrf))
                                                input type="hidden" name="id" value=(t.id);
                                                button type="submit" data-confirm=(tr(l, "失効させる", "Revoke")) { (tr(l, "失効させる", "Revoke")) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if can_manage {
                h2 { (tr(l, "端末の招待", "Terminal invitation")) }
                p.muted { (tr(
                    l,
                    "新しい端末のブラウザで開く1回限りのリンクを作ります。開いた端末のパスキーがこの利用者の端末として登録されます。",
                    "Makes a single-use link to open in the new terminal's browser: its passkey is registered as this user's terminal.",
                )) }
                form method="post" action={ (at) "/invite" } {
                    (hidden(f.csrf))
                    label for="terminal-hours" { (l.t("hours")) }
                    input id="terminal-hours" name="hours" type="number" min="1" max="720" value="72";
                    button type="submit" { (tr(l, "端末招待リンクを作る", "Make a terminal invitation")) }
                }
            }
            p { a href="/console/users" { (l.t("back")) } }
        },
    )
}
