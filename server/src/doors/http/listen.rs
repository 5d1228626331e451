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
//! - With TLS ([`serve_tls`]), the same limits, and a handshake timeout: a
//!   connection that has not finished its TLS handshake in time is closed,
//!   so a flood of silent or garbage handshakes holds nothing for long.
//!   Its slot in both limits is taken before the handshake.

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
    /// Time for a client to finish the TLS handshake (HTTPS only).
    pub handshake_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 4096,
            max_per_address: 64,
            shutdown_grace: Duration::from_secs(5),
            handshake_timeout: Duration::from_secs(10),
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

/// Marks a request that came over HTTPS (a request extension set by
/// [`serve_tls`]): the router adds `Strict-Transport-Security` to its answer.
#[derive(Clone, Copy, Debug)]
pub struct Https;

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
    serve_with(listener, router, limits, None, shutdown).await;
}

/// [`serve`] over TLS: each connection's handshake uses the configuration
/// `tls` holds when it starts (so [`super::tls::Tls::reload`] changes the
/// certificate of new connections only), within `limits.handshake_timeout`.
pub async fn serve_tls(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    tls: Arc<super::tls::Tls>,
    shutdown: impl Future<Output = ()>,
) {
    serve_with(listener, router, limits, Some(tls), shutdown).await;
}

async fn serve_with(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    tls: Option<Arc<super::tls::Tls>>,
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
        let router = router.clone().layer(axum::Extension(ConnectInfo(peer)));
        let Some(tls) = &tls else {
            let conn = graceful
                .watch(builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router)));
            tokio::spawn(async move {
                let _ = conn.await; // a client going away is not the server's error
                drop((permit, slot));
            });
            continue;
        };
        let acceptor = tls.acceptor();
        let watcher = graceful.watcher();
        let builder = builder.clone();
        let timeout = limits.handshake_timeout;
        tokio::spawn(async move {
            // A handshake that fails or does not finish in time closes the connection; it held
            // its slots meanwhile, so a flood of them is bounded like any other connections.
            if let Ok(Ok(stream)) = tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                let service = TowerToHyperService::new(router.layer(axum::Extension(Https)));
                let _ = watcher.watch(builder.serve_connection(TokioIo::new(stream), service)).await;
            }
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
