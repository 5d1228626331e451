//! The portal's registered-terminal API (SPEC §16): the WebAuthn options a
//! login asks for before the grid, and terminal registration at enrolment
//! or through a terminal invitation. The decisions are the login service's
//! ([`crate::login::terminal`]); this translates JSON.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, App, blocking, enroll_error, invitation_invalid, no_store, parse};
use crate::login::TerminalOptions;
use crate::login::terminal::{Grant, RegisterError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsReq {
    user: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvitationReq {
    invite: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterReq {
    #[serde(default)]
    grant: Option<String>,
    #[serde(default)]
    invite: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FinishReq {
    state: String,
    credential: Value,
    #[serde(default)]
    name: Option<String>,
}

/// The terminal routes, merged into the portal's router.
pub(super) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/terminal/options", post(api_options))
        .route("/api/terminal/invitation", post(api_invitation))
        .route("/api/terminal/register", post(api_register))
        .route("/api/terminal/register/finish", post(api_finish))
}

/// The reply to a grid request the terminal gate refused: no assertion, or
/// one that did not verify (the same for every id).
pub(super) fn refused() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "terminal_refused",
        "this login needs a registered terminal; use the terminal you registered, or ask your administrator for a terminal invitation",
    )
}

fn register_error(e: RegisterError) -> ApiError {
    match e {
        RegisterError::Grant => invitation_invalid(),
        RegisterError::Ceremony => ApiError::new(
            StatusCode::BAD_REQUEST,
            "ceremony_expired",
            "the registration took too long or was already finished; start again",
        ),
        RegisterError::Credential(why) => ApiError::new(StatusCode::BAD_REQUEST, "terminal_refused", why),
        RegisterError::Synced => ApiError::new(
            StatusCode::BAD_REQUEST,
            "terminal_synced",
            "this passkey can be synced or backed up; register a device-bound one (a security key or the terminal's own TPM)",
        ),
        RegisterError::Store(e) => enroll_error(e),
    }
}

/// The `/api/challenge` reply to a user who needs a registered terminal
/// and sent no assertion: `{kind: "terminal", user, state, publicKey}`
/// (decoy options for unknown ids); `None` when no terminal is needed.
pub(super) fn ask(app: &App, user: &str) -> Result<Option<Response>, ApiError> {
    match app.login.terminal_options(user) {
        Ok(TerminalOptions::NotRequired) => Ok(None),
        Ok(TerminalOptions::Assertion { state, mut options }) => {
            let public_key = options.get_mut("publicKey").map_or(Value::Null, Value::take);
            let body = json!({ "kind": "terminal", "user": user, "state": state, "publicKey": public_key });
            Ok(Some((no_store(), axum::Json(body)).into_response()))
        }
        Err(decision) => Err(ApiError::of(&decision)),
    }
}

/// `POST /api/terminal/options {user}`: `{required: false}`, or
/// `{required: true, state, publicKey}` to pass to
/// `navigator.credentials.get` and come back to `/api/challenge` with
/// `terminal: {state, credential}`. Unknown ids get decoy options.
async fn api_options(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: OptionsReq = parse(body)?;
    blocking(move || {
        let body = match app.login.terminal_options(&req.user) {
            Ok(TerminalOptions::NotRequired) => json!({ "required": false }),
            Ok(TerminalOptions::Assertion { state, mut options }) => {
                let public_key = options.get_mut("publicKey").map_or(Value::Null, Value::take);
                json!({ "required": true, "state": state, "publicKey": public_key })
            }
            Err(decision) => return Err(ApiError::of(&decision)),
        };
        Ok((no_store(), axum::Json(body)).into_response())
    })
    .await
}

/// `POST /api/terminal/invitation {invite}`: whom a terminal invitation
/// adds a terminal for.
async fn api_invitation(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: InvitationReq = parse(body)?;
    blocking(move || {
        let (user, expires_at) = app.login.terminal_invitation(&req.invite).map_err(register_error)?;
        Ok((no_store(), axum::Json(json!({ "user": user, "expiresAt": expires_at, "kind": "terminal" })))
            .into_response())
    })
    .await
}

/// `POST /api/terminal/register {grant | invite}`: creation options for
/// `navigator.credentials.create` and the ceremony's `state`.
async fn api_register(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: RegisterReq = parse(body)?;
    blocking(move || {
        let grant = match (&req.grant, &req.invite) {
            (Some(g), None) => Grant::Enrolment(g),
            (None, Some(i)) => Grant::Invitation(i),
            _ => return Err(ApiError::new(StatusCode::BAD_REQUEST, "bad_request", "give grant or invite")),
        };
        let (state, mut options) = app.login.terminal_registration_start(grant).map_err(register_error)?;
        let public_key = options.get_mut("publicKey").map_or(Value::Null, Value::take);
        Ok((no_store(), axum::Json(json!({ "state": state, "publicKey": public_key }))).into_response())
    })
    .await
}

/// `POST /api/terminal/register/finish {state, credential, name?}`: stores
/// the terminal (201 with its number and name).
async fn api_finish(
    State(app): State<Arc<App>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let req: FinishReq = parse(body)?;
    blocking(move || {
        let credential = req.credential.to_string();
        let (user, id) = app
            .login
            .terminal_registration_finish(&req.state, &credential, req.name.as_deref())
            .map_err(register_error)?;
        Ok((StatusCode::CREATED, no_store(), axum::Json(json!({ "user": user, "terminal": id })))
            .into_response())
    })
    .await
}
