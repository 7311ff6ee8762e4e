//! A TCP relay on loopback that the tests steer: a load balancer in front of several instances
//! (each new connection to the chosen one, or round-robin), or a line to PostgreSQL that can
//! be cut (every open connection closed, new ones refused) and restored.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct TcpProxy {
    pub addr: SocketAddr,
    state: Arc<State>,
    accept: tokio::task::JoinHandle<()>,
}

struct State {
    targets: Mutex<Vec<SocketAddr>>,
    /// `Some(i)`: every new connection to target `i`; `None`: round-robin.
    pinned: Mutex<Option<usize>>,
    next: AtomicUsize,
    open: AtomicBool,
    /// Connections relayed so far.
    relayed: AtomicUsize,
    /// Bumped by `cut`: every relayed connection ends when it changes.
    cuts: watch::Sender<u64>,
}

impl TcpProxy {
    pub async fn start(targets: Vec<SocketAddr>) -> TcpProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
        let addr = listener.local_addr().expect("relay address");
        let state = Arc::new(State {
            targets: Mutex::new(targets),
            pinned: Mutex::new(None),
            next: AtomicUsize::new(0),
            open: AtomicBool::new(true),
            relayed: AtomicUsize::new(0),
            cuts: watch::channel(0).0,
        });
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&state)));
        TcpProxy {
            addr,
            state,
            accept,
        }
    }

    pub fn set_targets(&self, targets: Vec<SocketAddr>) {
        *self.state.targets.lock().unwrap() = targets;
    }

    /// Sends every new connection to target `index` (`None`: round-robin).
    pub fn pin(&self, index: Option<usize>) {
        *self.state.pinned.lock().unwrap() = index;
    }

    /// Closes every relayed connection and refuses new ones until [`TcpProxy::restore`].
    pub fn cut(&self) {
        self.state.open.store(false, Ordering::SeqCst);
        self.state.cuts.send_modify(|n| *n += 1);
    }

    pub fn restore(&self) {
        self.state.open.store(true, Ordering::SeqCst);
    }

    /// How many connections have been relayed (not counting those refused while cut).
    pub fn relayed(&self) -> usize {
        self.state.relayed.load(Ordering::SeqCst)
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

async fn accept_loop(listener: TcpListener, state: Arc<State>) {
    while let Ok((inbound, _)) = listener.accept().await {
        if !state.open.load(Ordering::SeqCst) {
            continue; // dropped: the peer sees the connection closed at once
        }
        let target = {
            let targets = state.targets.lock().unwrap();
            let index = state
                .pinned
                .lock()
                .unwrap()
                .unwrap_or_else(|| state.next.fetch_add(1, Ordering::Relaxed));
            targets.get(index % targets.len().max(1)).copied()
        };
        let Some(target) = target else { continue };
        state.relayed.fetch_add(1, Ordering::SeqCst);
        let mut cuts = state.cuts.subscribe();
        tokio::spawn(async move {
            let Ok(mut outbound) = TcpStream::connect(target).await else {
                return;
            };
            let mut inbound = inbound;
            tokio::select! {
                _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                _ = cuts.changed() => {}
            }
        });
    }
}
