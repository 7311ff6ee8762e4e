//! The outbox worker: claims due messages, delivers them, and reschedules failures with
//! exponential back-off. Any number of workers (one per instance) may share one outbox; the
//! store's lease keeps each message with one of them at a time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use futures_util::stream::{self, StreamExt};
use tokio::sync::Notify;

use super::Mailer;
use crate::clock::now;
use crate::metrics::Metrics;
use crate::store::{Mail, SharedStore, StoreResult, Timestamp};

/// A claimed message is left alone this long; longer than any one delivery attempt.
const LEASE: Duration = Duration::from_secs(60);
/// How many messages one round claims.
pub const BATCH: usize = 16;
/// How many of them are delivered at once, each on its own (reused) SMTP connection.
pub const DELIVERIES: usize = 4;
/// How often the outbox is looked at when nobody rings.
const POLL: Duration = Duration::from_secs(2);
/// The first retry comes after this, doubling each time up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);

/// When a message that failed its `attempts`-th delivery at `now` is tried again.
pub fn retry_at(attempts: u32, now: Timestamp) -> Timestamp {
    let doubling = 2u64.saturating_pow(attempts.saturating_sub(1));
    let delay = FIRST_BACKOFF
        .as_secs()
        .saturating_mul(doubling)
        .min(MAX_BACKOFF.as_secs());
    now + delay
}

/// Delivers the outbox until the process ends. `wake` is rung when a message is queued.
pub async fn run(
    store: SharedStore,
    mailer: Arc<ArcSwap<Mailer>>,
    wake: Arc<Notify>,
    metrics: Arc<Metrics>,
) {
    loop {
        let claimed = match store.claim_mail(now(), LEASE, BATCH).await {
            Ok(batch) => batch,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the mail outbox");
                Vec::new()
            }
        };
        let full = claimed.len() == BATCH;
        // The transport as configured now (a reload may have replaced it).
        let mailer = mailer.load_full();
        // A store that takes no marks would make every further delivery a copy to send again:
        // once it refuses one, the rest of the batch is not started and waits for its lease
        // to end. The deliveries in flight finish (at most [`DELIVERIES`] messages sent twice
        // per store failure): one dropped mid-conversation would leave its pooled SMTP
        // connection mid-transaction, and the pool would hand it out again out of step, every
        // delivery over it failing into a longer back-off.
        let refused = AtomicBool::new(false);
        let mut outcomes = stream::iter(claimed)
            .take_while(|_| std::future::ready(!refused.load(Ordering::Relaxed)))
            .map(|mail| deliver(&store, &mailer, &metrics, mail))
            .buffer_unordered(DELIVERIES);
        while let Some(marked) = outcomes.next().await {
            if marked.is_err() {
                refused.store(true, Ordering::Relaxed);
            }
        }
        drop(outcomes);
        if !full {
            let _ = tokio::time::timeout(POLL, wake.notified()).await;
        }
    }
}

/// Delivers one claimed message and marks it sent, or reschedules it; `Err` when the store
/// took no mark.
async fn deliver(
    store: &SharedStore,
    mailer: &Mailer,
    metrics: &Metrics,
    mail: Mail,
) -> StoreResult<()> {
    match mailer.deliver(&mail).await {
        Ok(()) => {
            metrics.mail_delivered.fetch_add(1, Ordering::Relaxed);
            tracing::info!(mail = %mail.id, attempts = mail.attempts, "mail delivered");
            store.mail_sent(&mail.id).await.inspect_err(|e| {
                tracing::error!(mail = %mail.id, error = %e, "delivered mail not marked sent: it will be sent again");
            })
        }
        Err(e) => {
            metrics.mail_failures.fetch_add(1, Ordering::Relaxed);
            let retry = retry_at(mail.attempts, now());
            tracing::warn!(mail = %mail.id, attempts = mail.attempts, error = %e, "mail not delivered; will retry");
            store
                .mail_failed(&mail.id, retry, &e.to_string())
                .await
                .inspect_err(|e| {
                    tracing::error!(mail = %mail.id, error = %e, "cannot reschedule mail");
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_up_to_the_cap() {
        let delays: Vec<u64> = (1..=10).map(|a| retry_at(a, 1000) - 1000).collect();
        assert_eq!(delays, [5, 10, 20, 40, 80, 160, 320, 640, 900, 900]);
        assert_eq!(retry_at(u32::MAX, 0), 900);
    }
}
