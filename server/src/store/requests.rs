//! Maintenance requests and their reports (SPEC §15, issue 23): the rows.
//! The rules (who may file, decide, report or read what) live in the login
//! service ([`crate::login::requests`]); a backend only keeps the rows and
//! makes each state change one transaction with its audit lines.

use super::{Store, StoreResult};

/// Where a request stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestState {
    /// Filed by the vendor, waiting for an approver.
    Filed,
    /// Approved: its access window exists.
    Approved,
    /// Rejected with a reason.
    Rejected,
    /// Approved, and the vendor has filed the report.
    Reported,
}

impl RequestState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Filed => "filed",
            RequestState::Approved => "approved",
            RequestState::Rejected => "rejected",
            RequestState::Reported => "reported",
        }
    }

    /// From the stored name (anything else reads as filed-and-stuck: no
    /// state change matches it).
    pub fn parse(s: &str) -> Option<RequestState> {
        Some(match s {
            "filed" => RequestState::Filed,
            "approved" => RequestState::Approved,
            "rejected" => RequestState::Rejected,
            "reported" => RequestState::Reported,
            _ => return None,
        })
    }
}

/// What a vendor states when filing a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestFields {
    /// The access period's start (Unix seconds, inclusive).
    pub starts_at: u64,
    /// The access period's end (exclusive).
    pub ends_at: u64,
    /// The purpose.
    pub purpose: String,
    /// The work to be done.
    pub work: String,
    /// The target servers.
    pub targets: String,
    /// Who operates.
    pub operator: String,
    /// The vendor manager's approval (who approved, and when).
    pub manager_approval: String,
    /// Notes.
    pub notes: String,
}

/// What a vendor reports after the work.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportFields {
    /// When the work actually started (Unix seconds).
    pub actual_from: u64,
    /// When it actually ended.
    pub actual_to: u64,
    /// What was done.
    pub done: String,
    /// The result.
    pub result: String,
    /// Follow-ups.
    pub follow_up: String,
}

/// One request as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRow {
    /// Its number.
    pub id: i64,
    /// The vendor user who filed it.
    pub vendor: String,
    /// What they filed.
    pub fields: RequestFields,
    /// Where it stands (`None`: a stored state this build does not know).
    pub state: Option<RequestState>,
    /// When it was filed.
    pub filed_at: u64,
    /// Who approved or rejected it.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<u64>,
    /// The reason of a rejection.
    pub reason: Option<String>,
    /// The access window an approval created.
    pub window: Option<i64>,
    /// The report, once filed.
    pub report: Option<ReportFields>,
    /// When the report was filed.
    pub reported_at: Option<u64>,
}

/// An approver's decision ([`Store::decide_request`]).
#[derive(Clone, Copy, Debug)]
pub enum Decide<'a> {
    /// Approve: the access window of the request's period is created in the
    /// same transaction.
    Approve {
        /// Who decides.
        by: &'a str,
        /// When.
        at: u64,
    },
    /// Reject with a reason.
    Reject {
        /// Who decides.
        by: &'a str,
        /// When.
        at: u64,
        /// Why.
        reason: &'a str,
    },
}

impl Store {
    /// Stores a new request (state filed) with the audit lines `audit`
    /// makes of its number; returns the number.
    pub fn file_request(
        &self,
        vendor: &str,
        fields: &RequestFields,
        now: u64,
        audit: impl FnOnce(i64) -> Vec<String>,
    ) -> StoreResult<i64> {
        let mut audit = Some(audit);
        self.backend
            .file_request(vendor, fields, now, &mut |id| audit.take().map(|a| a(id)).unwrap_or_default())
    }

    /// The requests of `vendor` (every request with `None`), by number.
    pub fn requests(&self, vendor: Option<&str>) -> StoreResult<Vec<RequestRow>> {
        self.backend.requests(vendor, None)
    }

    /// Request `id`, if it exists.
    pub fn request(&self, id: i64) -> StoreResult<Option<RequestRow>> {
        Ok(self.backend.requests(None, Some(id))?.into_iter().next())
    }

    /// Decides request `id` if it is still filed: an approval creates the
    /// access window of its period (with the user's access MAC rewritten);
    /// `audit` gets the request as it was and the window's number. `None`:
    /// no such request, or decided already (on any node).
    pub fn decide_request(
        &self,
        id: i64,
        decide: Decide<'_>,
        audit: impl FnOnce(&RequestRow, Option<i64>) -> Vec<String>,
    ) -> StoreResult<Option<Option<i64>>> {
        let mut audit = Some(audit);
        self.backend.decide_request(
            id,
            decide,
            &mut |row, window| audit.take().map(|a| a(row, window)).unwrap_or_default(),
            self.sealer.get(),
        )
    }

    /// Files the report of request `id` of `vendor` if it is approved and
    /// not reported yet, with `audit`; `false` otherwise.
    pub fn report_request(
        &self,
        id: i64,
        vendor: &str,
        report: &ReportFields,
        now: u64,
        audit: &[String],
    ) -> StoreResult<bool> {
        self.backend.report_request(id, vendor, report, now, audit)
    }

    /// Records the roles the holder of `user`'s open invitations gets at
    /// enrolment (`roles` comma-separated), with their MAC; `false`: no open
    /// invitation.
    pub fn set_invitation_roles(&self, token_hash: &[u8; 32], roles: &str, mac: &[u8]) -> StoreResult<bool> {
        self.backend.set_invitation_roles(token_hash, roles, mac)
    }

    /// The roles recorded with an invitation (used or not) and their MAC.
    pub fn invitation_roles(&self, token_hash: &[u8; 32]) -> StoreResult<Option<(String, Vec<u8>)>> {
        self.backend.invitation_roles(token_hash)
    }
}
