//! Gerbang patch: the deadline for a whole request head, kept without a timer per request.
//!
//! Every head waits under the same limit, so deadlines fall due in the order they were set. A
//! sweeper thread cuts time into ticks of `1 / TICKS` of the limit and counts them; a head that
//! starts waiting in tick `t` is cut off when tick `t + TICKS` begins: between `(TICKS - 1) /
//! TICKS` and 1 × the limit after it started. Waiting costs an atomic load and a place in the
//! wait list of its tick's [`Notify`] (sharded by thread, as the shutdown's): no clock read, no
//! allocation, no timer. A timer per request, Pingora's coarse one (a read lock, a map lookup,
//! two `Arc` clones, an `Arc<Notify>` of its own for one request in eight) cost about 2,500
//! instructions a request, and Tokio's woke its driver with a system call (issue 22).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use crate::ShardedNotify;

/// Ticks in one limit: a head is cut off between 0.9 and 1 × the limit after it starts waiting.
const TICKS: u64 = 10;
/// Wait lists, one per tick, reused round the ring: a tick wakes only the heads due in it.
const RING: usize = TICKS as usize + 1;

/// A time limit for request heads, shared by every connection of a proxy: see the module.
/// Cloning shares the one sweeper.
#[derive(Clone)]
pub struct RequestHeadDeadline {
    ticks: Arc<Ticks>,
}

struct Ticks {
    limit: Duration,
    /// Ticks since the sweeper started.
    now: AtomicU64,
    ring: [ShardedNotify; RING],
}

impl RequestHeadDeadline {
    /// A limit of `limit` (at least 10 ms), its wait lists sharded for `worker_threads`. Starts
    /// the sweeper thread, which ends once the last clone is dropped.
    pub fn new(limit: Duration, worker_threads: usize) -> std::io::Result<Self> {
        let limit = limit.max(Duration::from_millis(10));
        let ticks = Arc::new(Ticks {
            limit,
            now: AtomicU64::new(0),
            ring: std::array::from_fn(|_| ShardedNotify::new(worker_threads)),
        });
        let tick = limit / TICKS as u32;
        let swept = Arc::downgrade(&ticks);
        std::thread::Builder::new()
            .name("head deadlines".into())
            .spawn(move || sweep(&swept, tick))?;
        Ok(RequestHeadDeadline { ticks })
    }

    /// The limit it was made with.
    pub fn limit(&self) -> Duration {
        self.ticks.limit
    }

    /// Resolves when a head that started waiting now has run out of time.
    pub async fn expired(&self) {
        let ticks = &*self.ticks;
        let due = ticks.now.load(Ordering::Acquire) + TICKS;
        let waiters = &ticks.ring[(due % RING as u64) as usize];
        loop {
            // Registered before the count is read: a tick between the two still wakes it.
            let notified = waiters.local().notified();
            if ticks.now.load(Ordering::Acquire) >= due {
                return;
            }
            notified.await;
        }
    }
}

/// Counts ticks and wakes the heads due in each, until the deadline is dropped.
fn sweep(ticks: &Weak<Ticks>, tick: Duration) {
    loop {
        std::thread::sleep(tick);
        let Some(ticks) = ticks.upgrade() else { return };
        let now = ticks.now.fetch_add(1, Ordering::AcqRel) + 1;
        ticks.ring[(now % RING as u64) as usize].notify_waiters();
    }
}
