//! The HTTP listener under the router: hyper's HTTP/1 with the limits
//! `axum::serve` does not set.
//!
//! - A header-read timeout: a connection that has not sent a whole request
//!   head in time is closed (slowloris).
//! - A whole-request timeout (headers, body and answer), in
//!   [`super::router`]'s middleware.
//! - A limit on open connections: at the limit the listener stops
//!   accepting until one closes, so the process never runs out of file
//!   descriptors.
//! - A limit per client address: connections beyond it are closed at once,
//!   so one address cannot hold the whole limit. Behind a reverse proxy
//!   every client has the proxy's address: raise the limit there.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// The listener's limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Time for a client to send a request head, from the connection's
    /// start or the previous answer.
    pub header_read_timeout: Duration,
    /// Open connections at most; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Open connections from one address at most; more are closed at once.
    pub max_per_address: usize,
    /// How long a shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 4096,
            max_per_address: 64,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Open connections per client address; an entry exists only while its
/// address has a connection open, so it holds at most `max_connections`.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

/// One open connection's place in [`PerAddress`], given back on drop.
struct Slot {
    table: Arc<PerAddress>,
    ip: IpAddr,
}

impl PerAddress {
    fn take(table: &Arc<PerAddress>, ip: IpAddr, max: usize) -> Option<Slot> {
        let mut map = table.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(ip).or_insert(0);
        if *n >= max {
            if *n == 0 {
                map.remove(&ip);
            }
            return None;
        }
        *n += 1;
        Some(Slot { table: Arc::clone(table), ip })
    }

    /// Addresses with a connection open (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut map = self.table.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown`
/// completes; then stops accepting and gives requests in flight
/// `limits.shutdown_grace` to finish. Accept errors (such as running out
/// of file descriptors) are logged and retried, never fatal.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address = Arc::new(PerAddress::default());
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = Arc::clone(&open).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    crate::warn!("matrixauth serve: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = PerAddress::take(&per_address, peer.ip(), limits.max_per_address) else {
            drop(stream); // over this address's limit: closed at once
            continue;
        };
        let _ = stream.set_nodelay(true);
        // The client's address, for the API's per-address rate limit.
        let service = TowerToHyperService::new(router.clone().layer(axum::Extension(ConnectInfo(peer))));
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = conn.await; // a client going away is not the server's error
            drop((permit, slot));
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_grace) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_address_slots_are_bounded_and_given_back() {
        let t = Arc::new(PerAddress::default());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let held: Vec<Slot> = (0..3).map(|_| PerAddress::take(&t, a, 3).unwrap()).collect();
        assert!(PerAddress::take(&t, a, 3).is_none(), "a fourth from one address is refused");
        let other = PerAddress::take(&t, b, 3).unwrap();
        assert_eq!(t.len(), 2);
        drop(held);
        drop(other);
        assert_eq!(t.len(), 0, "no entry outlives its connections");
        assert!(PerAddress::take(&t, a, 0).is_none());
        assert_eq!(t.len(), 0, "a refusal leaves no entry");
    }
}
