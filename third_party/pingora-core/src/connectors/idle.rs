// Copyright 2026 Cloudflare, Inc.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

//! Gerbang patch: the idle upstream streams kept for reuse.
//!
//! Pingora parked each released stream in `pingora_pool`'s pool and spawned a task to watch
//! it (a read that ended when the server closed the stream, its idle timeout passed or a
//! request took it back). So every proxied request paid for a task, two channels, an
//! asynchronous lock handed from the watcher to the request and the pool's bookkeeping
//! (issue 22). Here a released stream waits in a list in the order it was released: a request
//! takes the newest one for its peer and checks it then (closed by the server, data it did not
//! ask for, past its idle timeout), and one sweeper per pool checks the others once a second,
//! so that a stream the server closed, or one past its idle timeout, is closed within a second
//! without a task per stream.

use super::{test_reusable_stream, PoolCallback};
use crate::protocols::Stream;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// How often the sweeper closes what a request would no longer take.
pub(crate) const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// A released stream waiting for a request to the same peer.
struct Parked {
    key: u64,
    stream: Stream,
    since: Instant,
    deadline: Option<Instant>,
}

impl Parked {
    fn expired(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|deadline| now >= deadline)
    }
}

/// The idle streams of one connector, at most `capacity` of them, the oldest closed first.
pub(crate) struct IdleStreams {
    shared: Arc<Shared>,
}

struct Shared {
    parked: Mutex<VecDeque<Parked>>,
    capacity: usize,
    sweeping: AtomicBool,
    /// Told how long a stream waited when it leaves without being reused.
    left_unused: Option<PoolCallback>,
    unexpected_data: Arc<AtomicU64>,
}

impl IdleStreams {
    pub(crate) fn new(
        capacity: usize,
        left_unused: Option<PoolCallback>,
        unexpected_data: Arc<AtomicU64>,
    ) -> Self {
        IdleStreams {
            shared: Arc::new(Shared {
                parked: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
                capacity,
                sweeping: AtomicBool::new(false),
                left_unused,
                unexpected_data,
            }),
        }
    }

    /// Keep a stream the caller is done with for the next request to the peer `key` names,
    /// unless it is closed or holds data nobody asked for.
    pub(crate) fn park(&self, mut stream: Stream, key: u64, idle_timeout: Option<Duration>) {
        let shared = &self.shared;
        if shared.capacity == 0 || !test_reusable_stream(&mut stream, &shared.unexpected_data) {
            return;
        }
        let since = Instant::now();
        let deadline = idle_timeout.and_then(|timeout| since.checked_add(timeout));
        let evicted = {
            let mut parked = shared.parked.lock();
            parked.push_back(Parked {
                key,
                stream,
                since,
                deadline,
            });
            if parked.len() > shared.capacity {
                parked.pop_front()
            } else {
                None
            }
        };
        if let Some(evicted) = evicted {
            shared.leave(evicted, since);
        }
        self.start_sweeping();
    }

    /// The newest stream parked for `key` that is still fit for a request and that `usable`
    /// accepts; the unfit ones met on the way are closed.
    pub(crate) fn take(&self, key: u64, usable: impl Fn(&Stream) -> bool) -> Option<Stream> {
        let shared = &self.shared;
        loop {
            let parked = {
                let mut parked = shared.parked.lock();
                let newest = parked.iter().rposition(|p| p.key == key)?;
                parked.remove(newest)?
            };
            if parked.deadline.is_some() {
                let now = Instant::now();
                if parked.expired(now) {
                    shared.leave(parked, now);
                    continue;
                }
            }
            let mut stream = parked.stream;
            if usable(&stream) && test_reusable_stream(&mut stream, &shared.unexpected_data) {
                return Some(stream);
            }
        }
    }

    /// How many streams are parked.
    pub(crate) fn len(&self) -> usize {
        self.shared.parked.lock().len()
    }

    /// One sweeper per pool, started by the first stream parked, on that thread's runtime;
    /// it ends when the pool is dropped.
    fn start_sweeping(&self) {
        let sweeping = &self.shared.sweeping;
        if sweeping.load(Ordering::Relaxed)
            || sweeping
                .compare_exchange(false, true, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let shared: Weak<Shared> = Arc::downgrade(&self.shared);
        pingora_runtime::current_handle().spawn(async move {
            loop {
                tokio::time::sleep(SWEEP_EVERY).await;
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                shared.sweep(Instant::now());
            }
        });
    }
}

impl Shared {
    /// Close the streams past their idle timeout, closed by their server or holding data.
    fn sweep(&self, now: Instant) {
        let mut leaving = Vec::new();
        {
            let mut parked = self.parked.lock();
            let mut index = 0;
            while index < parked.len() {
                let unfit = parked[index].expired(now)
                    || !test_reusable_stream(&mut parked[index].stream, &self.unexpected_data);
                if !unfit {
                    index += 1;
                } else if let Some(unfit) = parked.remove(index) {
                    leaving.push(unfit);
                }
            }
        }
        for unfit in leaving {
            self.leave(unfit, now);
        }
    }

    /// Close a stream that leaves unused (the caller holds no lock).
    fn leave(&self, parked: Parked, now: Instant) {
        if let Some(callback) = &self.left_unused {
            callback(now.saturating_duration_since(parked.since));
        }
    }
}
