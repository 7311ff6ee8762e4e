//! Traffic that keeps flowing while a test changes the server under it: clients looping one
//! request, counting what was answered 200 and what was not.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

pub struct Traffic {
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    loops: Vec<tokio::task::JoinHandle<()>>,
}

impl Traffic {
    /// One loop per client, each GETting `url` until stopped.
    pub fn start(clients: Vec<reqwest::Client>, url: &str) -> Traffic {
        let stop = Arc::new(AtomicBool::new(false));
        let (served, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let loops = clients
            .into_iter()
            .map(|client| {
                let url = url.to_string();
                let (stop, served, failed) = (stop.clone(), served.clone(), failed.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        match client.get(&url).send().await {
                            Ok(r) if r.status() == 200 => served.fetch_add(1, Ordering::Relaxed),
                            other => {
                                eprintln!("looping request failed: {other:?}");
                                failed.fetch_add(1, Ordering::Relaxed)
                            }
                        };
                    }
                })
            })
            .collect();
        Traffic {
            stop,
            served,
            failed,
            loops,
        }
    }

    /// Requests answered 200 so far.
    pub fn served(&self) -> usize {
        self.served.load(Ordering::Relaxed)
    }

    /// Stops the loops: (answered 200, anything else).
    pub async fn stop(self) -> (usize, usize) {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.loops {
            task.await.expect("a traffic loop");
        }
        (
            self.served.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}
