//! The doors: each translates one wire format into calls of the login
//! service ([`crate::login::Login`]) and its [`Decision`](crate::login::Decision)s into replies. A
//! door decides nothing, never reads the store and never builds an audit
//! line; no door uses another.

pub mod console;
pub mod http;
pub mod radius;
