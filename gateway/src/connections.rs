//! How many connections one client may hold open at once (issue 16, item 10). A client that
//! opens connections and trickles bytes into each (slowloris) is cut off per connection by the
//! request-head deadline; this bounds how many it holds meanwhile, so one address cannot take
//! the file descriptors every other client needs. An address is counted as the per-address
//! request limits count it: IPv4 by itself, IPv6 by its /64. Connections from
//! `trusted_proxies` are not counted: a load balancer in front carries every client.
//!
//! The cap wraps the proxy's Pingora application: it admits a connection when it arrives and
//! serves every request the connection carries, so the count drops exactly when it closes.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use gerbang_idp::metrics::Metrics;
use pingora::apps::ServerApp;
use pingora::protocols::Stream;
use pingora::server::ShutdownWatch;

/// The open connections per client, and how many each may have.
pub struct ConnectionLimit {
    per_address: usize,
    exempt: Vec<IpAddr>,
    open: Mutex<HashMap<IpAddr, usize>>,
    metrics: Arc<Metrics>,
}

/// One admitted connection: counted until dropped.
pub struct Admitted<'a> {
    limit: &'a ConnectionLimit,
    client: Option<IpAddr>,
}

/// The address a limit counts for `peer`: an IPv4 address (also when mapped into IPv6) or an
/// IPv6 /64.
pub fn client_of(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
        v4 => v4,
    }
}

impl ConnectionLimit {
    pub fn new(per_address: usize, exempt: Vec<IpAddr>, metrics: Arc<Metrics>) -> Self {
        ConnectionLimit {
            per_address,
            exempt,
            open: Mutex::default(),
            metrics,
        }
    }

    /// Counts a new connection from `peer` (`None`: not an IP peer, never limited); `None`
    /// when that client already holds its share.
    pub fn admit(&self, peer: Option<IpAddr>) -> Option<Admitted<'_>> {
        let client = peer.filter(|p| !self.exempt.contains(p)).map(client_of);
        if let Some(client) = client {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            let count = open.entry(client).or_default();
            if *count >= self.per_address {
                self.metrics
                    .connections_refused
                    .fetch_add(1, Ordering::Relaxed);
                return None;
            }
            *count += 1;
        }
        Some(Admitted {
            limit: self,
            client,
        })
    }

    /// How many connections `client` (as [`client_of`] names it) holds now.
    #[cfg(test)]
    fn open(&self, client: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&client).copied().unwrap_or(0)
    }
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        let Some(client) = self.client else { return };
        let mut open = self.limit.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&client) {
            *count -= 1;
            if *count == 0 {
                open.remove(&client);
            }
        }
    }
}

/// A Pingora application behind the cap.
pub struct Capped<A> {
    app: Arc<A>,
    limit: ConnectionLimit,
}

impl<A> Capped<A> {
    pub fn new(app: A, limit: ConnectionLimit) -> Self {
        Capped {
            app: Arc::new(app),
            limit,
        }
    }
}

#[async_trait::async_trait]
impl<A: ServerApp + Send + Sync + 'static> ServerApp for Capped<A> {
    async fn process_new(
        self: &Arc<Self>,
        stream: Stream,
        shutdown: &ShutdownWatch,
    ) -> Option<Stream> {
        let peer = stream
            .get_socket_digest()
            .and_then(|d| d.peer_addr().and_then(|a| a.as_inet()).map(|a| a.ip()));
        let Some(_admitted) = self.limit.admit(peer) else {
            tracing::debug!(?peer, "a client over its open-connection limit: closing");
            return None;
        };
        // Every request the connection carries is served here (as Pingora's own loop would),
        // so the connection is counted until it closes.
        let mut next = self.app.process_new(stream, shutdown).await;
        while let Some(stream) = next {
            next = self.app.process_new(stream, shutdown).await;
        }
        None
    }

    async fn cleanup(&self) {
        self.app.cleanup().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_client_is_an_ipv4_address_or_an_ipv6_slash_64() {
        assert_eq!(client_of(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(client_of(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
        assert_eq!(client_of(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
    }

    #[test]
    fn each_client_holds_its_share_and_a_closed_connection_frees_its_place() {
        let limit = ConnectionLimit::new(2, vec![ip("10.0.0.1")], Arc::default());
        let first = limit.admit(Some(ip("2001:db8::1")));
        let second = limit.admit(Some(ip("2001:db8::2")));
        assert!(first.is_some() && second.is_some());
        assert!(
            limit.admit(Some(ip("2001:db8::3"))).is_none(),
            "a third from the same /64"
        );
        assert!(
            limit.admit(Some(ip("2001:db8:0:1::1"))).is_some(),
            "another /64"
        );
        assert_eq!(limit.metrics.connections_refused.load(Ordering::Relaxed), 1);
        drop(first);
        assert_eq!(limit.open(ip("2001:db8::")), 1);
        assert!(limit.admit(Some(ip("2001:db8::3"))).is_some());
        drop(second);
        assert_eq!(limit.open(ip("2001:db8::")), 0);
        assert!(
            limit.open.lock().unwrap().is_empty(),
            "nothing kept for gone clients"
        );

        let proxies: Vec<_> = (0..5).map(|_| limit.admit(Some(ip("10.0.0.1")))).collect();
        assert!(
            proxies.iter().all(Option::is_some),
            "a trusted proxy is not capped"
        );
        assert!(
            limit.admit(None).is_some(),
            "nor a peer without an IP address"
        );
    }
}
