//! Tests of the engine's patches (third_party/README.md) that need a real socket: the
//! vendored crates' own tests need dev-dependencies that are not vendored.

use super::*;
use pingora::connectors::{ConnectorOptions, TransportConnector};
use pingora::protocols::http::v1::client::HttpSession;
use pingora::upstreams::peer::{BasicPeer, Peer as _};
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// The patched engine reads an upstream's response head with room for the headers the
/// gateway adds (third_party/README.md), so that adding them regrows neither map.
#[tokio::test]
async fn an_upstream_response_has_room_for_the_gateways_headers() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let upstream = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let head = "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Mon, 07 Dec 2026 14:00:00 GMT\r\n\
                    Content-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok";
        socket.write_all(head.as_bytes()).await.unwrap();
        socket
    });
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut client = HttpSession::new(Box::new(pingora::protocols::l4::stream::Stream::from(
        stream,
    )));
    let mut response = client.read_resp_header_parts().await.unwrap();
    let capacity = response.headers.capacity();
    assert!(
        capacity >= 5 + RESPONSE_HEADERS,
        "room for {capacity} headers"
    );
    response
        .insert_header(headers::STRICT_TRANSPORT_SECURITY, HSTS)
        .unwrap();
    response
        .insert_header(headers::X_REQUEST_ID, RequestId::new().header())
        .unwrap();
    response
        .append_header(http::header::SET_COOKIE, "a=b")
        .unwrap();
    assert_eq!(
        response.headers.capacity(),
        capacity,
        "the map did not regrow"
    );
    assert_eq!(response.headers.len(), 5 + RESPONSE_HEADERS);
    drop(upstream.await.unwrap());
}

/// ... and reads a client's request head with room for the forwarding headers, kept in the
/// copy the engine forwards, so that reserving for them rehashes neither of its maps.
#[tokio::test]
async fn a_forwarded_request_has_room_for_the_forwarding_headers() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let client = tokio::spawn(async move {
        let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = "GET / HTTP/1.1\r\nHost: app.test\r\nAccept: */*\r\nUser-Agent: test\r\n\r\n";
        socket.write_all(head.as_bytes()).await.unwrap();
        socket
    });
    let (stream, _) = listener.accept().await.unwrap();
    let stream = pingora::protocols::l4::stream::Stream::from(stream);
    let mut downstream = pingora::protocols::http::v1::server::HttpSession::new(Box::new(stream));
    assert!(downstream.read_request().await.unwrap().is_some());
    let mut forwarded = downstream.req_header().clone();
    let capacity = forwarded.headers.capacity();
    forwarded.reserve(FORWARDING_HEADERS).unwrap();
    assert_eq!(
        forwarded.headers.capacity(),
        capacity,
        "the index was not rebuilt"
    );
    drop(client.await.unwrap());
}

/// An upstream whose accepted connections the test holds, in the order they came.
async fn upstream() -> (String, tokio::sync::mpsc::UnboundedReceiver<TcpStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let (accepted, connections) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            if accepted.send(socket).is_err() {
                return;
            }
        }
    });
    (address, connections)
}

/// Whether the connector closed its end of `socket` within a few sweeps.
async fn closed_by_the_connector(socket: &mut TcpStream) -> bool {
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut byte)).await;
    matches!(read, Ok(Ok(0)))
}

/// Whether `count` idle streams are left within a few sweeps.
async fn idle_streams_become(connector: &TransportConnector, count: usize) -> bool {
    for _ in 0..50 {
        if connector.idle_stream_count() == count {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// Whether `stream` is the connection `socket` accepted: a byte written to one is read from
/// the other.
async fn same_connection(stream: &mut pingora::protocols::Stream, socket: &mut TcpStream) -> bool {
    stream.write_all(b"!").await.unwrap();
    stream.flush().await.unwrap();
    let mut byte = [0u8; 1];
    socket.read_exact(&mut byte).await.is_ok() && byte == *b"!"
}

/// The patched engine parks a released upstream stream without a task per stream, and the
/// next request to the same peer takes it again; a request to another peer does not.
#[tokio::test]
async fn a_released_stream_is_taken_again_by_its_own_peer() {
    let connector = TransportConnector::new(None);
    let (a, mut accepted_a) = upstream().await;
    let (b, mut accepted_b) = upstream().await;
    let (peer_a, peer_b) = (BasicPeer::new(&a), BasicPeer::new(&b));
    let (stream, reused) = connector.get_stream(&peer_a).await.unwrap();
    assert!(!reused);
    connector.release_stream(stream, peer_a.reuse_hash(), None);
    let (stream, reused) = connector.get_stream(&peer_b).await.unwrap();
    assert!(!reused, "the stream to another peer was taken");
    connector.release_stream(stream, peer_b.reuse_hash(), None);
    assert_eq!(connector.idle_stream_count(), 2);
    for (peer, accepted) in [(&peer_a, &mut accepted_a), (&peer_b, &mut accepted_b)] {
        let (mut stream, reused) = connector.get_stream(peer).await.unwrap();
        assert!(reused);
        let mut socket = accepted.recv().await.unwrap();
        assert!(same_connection(&mut stream, &mut socket).await);
    }
    assert_eq!(connector.idle_stream_count(), 0);
}

/// A parked stream its server closed is not handed to a request, and the sweeper closes
/// the ones no request asks for.
#[tokio::test]
async fn a_stream_its_server_closed_is_neither_reused_nor_kept() {
    let connector = TransportConnector::new(None);
    let (address, mut accepted) = upstream().await;
    let peer = BasicPeer::new(&address);
    let (stream, _) = connector.get_stream(&peer).await.unwrap();
    connector.release_stream(stream, peer.reuse_hash(), None);
    drop(accepted.recv().await.unwrap());
    tokio::time::sleep(Duration::from_millis(50)).await; // the server's FIN arrives
    let (first, reused) = connector.get_stream(&peer).await.unwrap();
    assert!(!reused, "a closed stream was reused");
    let (second, _) = connector.get_stream(&peer).await.unwrap();
    connector.release_stream(first, peer.reuse_hash(), None);
    connector.release_stream(second, peer.reuse_hash(), None);
    assert_eq!(connector.idle_stream_count(), 2);
    drop(accepted.recv().await.unwrap());
    drop(accepted.recv().await.unwrap());
    assert!(
        idle_streams_become(&connector, 0).await,
        "the sweeper kept streams their server closed"
    );
}

/// A stream past the idle timeout its request gave is closed: by the sweeper when no request
/// comes, and not handed to one that does.
#[tokio::test]
async fn a_stream_past_its_idle_timeout_is_closed() {
    let connector = TransportConnector::new(None);
    let (address, mut accepted) = upstream().await;
    let peer = BasicPeer::new(&address);
    let (stream, _) = connector.get_stream(&peer).await.unwrap();
    connector.release_stream(stream, peer.reuse_hash(), Some(Duration::from_millis(200)));
    let mut socket = accepted.recv().await.unwrap();
    assert!(closed_by_the_connector(&mut socket).await);
    assert_eq!(connector.idle_stream_count(), 0);

    let (stream, _) = connector.get_stream(&peer).await.unwrap();
    connector.release_stream(stream, peer.reuse_hash(), Some(Duration::from_millis(1)));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (_, reused) = connector.get_stream(&peer).await.unwrap();
    assert!(!reused, "a stream past its idle timeout was reused");
    let mut socket = accepted.recv().await.unwrap();
    assert!(closed_by_the_connector(&mut socket).await);
}

/// The pool keeps at most its size, and closes the stream idle longest to make room.
#[tokio::test]
async fn the_pool_keeps_its_size_and_closes_the_oldest() {
    let connector = TransportConnector::new(Some(ConnectorOptions::new(2)));
    let (address, mut accepted) = upstream().await;
    let peer = BasicPeer::new(&address);
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(connector.get_stream(&peer).await.unwrap().0);
    }
    for stream in streams {
        connector.release_stream(stream, peer.reuse_hash(), None);
    }
    assert_eq!(connector.idle_stream_count(), 2);
    let mut oldest = accepted.recv().await.unwrap();
    assert!(closed_by_the_connector(&mut oldest).await);
    let (mut newest, reused) = connector.get_stream(&peer).await.unwrap();
    assert!(reused);
    let _middle = accepted.recv().await.unwrap();
    let mut last = accepted.recv().await.unwrap();
    assert!(
        same_connection(&mut newest, &mut last).await,
        "the newest is taken first"
    );
}

/// The heap blocks this thread asks for (new, zeroed or grown), so that a test can tell what
/// a piece of code allocates while other tests run on other threads.
struct CountingAllocator;

thread_local! {
    static BLOCKS_ASKED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn count_block() {
    BLOCKS_ASKED.with(|count| count.set(count.get() + 1));
}

// SAFETY: every call is passed to the system allocator as it came. (The workspace denies
// `unsafe`; a global allocator cannot be written without it, and this one is for tests only.)
#[allow(unsafe_code)]
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        count_block();
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        count_block();
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, size: usize) -> *mut u8 {
        count_block();
        unsafe { std::alloc::System.realloc(ptr, layout, size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// How many heap blocks `work` asked for on this thread.
fn blocks_asked_by(work: impl FnOnce()) -> u64 {
    let before = BLOCKS_ASKED.with(|count| count.get());
    work();
    BLOCKS_ASKED.with(|count| count.get()) - before
}

/// The patched `http` makes room in a cloned map's entries when asked: the request the engine
/// forwards is a clone of the client's, whose entries have no spare room while its index
/// does, so `reserve` returned at once and the forwarding headers reallocated the entries as
/// they filled (issue 22; six reallocations a proxied request, counted by callgrind).
#[test]
fn a_cloned_request_takes_the_headers_it_reserved_for_without_allocating() {
    use http::header::{ACCEPT, HOST, USER_AGENT};
    let mut request = RequestHeader::build("GET", b"/", None).unwrap();
    for name in [HOST, ACCEPT, USER_AGENT] {
        request.insert_header(name, HTTP).unwrap();
    }
    let mut forwarded = request.clone();
    forwarded.reserve(FORWARDING_HEADERS).unwrap();
    let forwarding = [
        (headers::X_FORWARDED_FOR, UNKNOWN),
        (headers::X_REAL_IP, UNKNOWN),
        (headers::X_FORWARDED_PROTO, HTTPS),
        (headers::X_FORWARDED_HOST, UNKNOWN),
        (headers::X_REQUEST_ID, HTTP),
    ];
    let blocks = blocks_asked_by(|| {
        for (name, value) in forwarding {
            forwarded.insert_header(name, value).unwrap();
        }
    });
    assert_eq!(forwarded.headers.len(), 3 + FORWARDING_HEADERS);
    assert_eq!(
        blocks, 0,
        "the inserts reallocated what reserve should have made room for"
    );
}

/// The client's address goes upstream twice (`X-Forwarded-For`, `X-Real-IP`): written once, in
/// one allocation, which the second header shares. (Not an engine patch; tested here, where
/// allocations are counted.)
#[test]
fn an_address_value_is_written_once_and_shared() {
    let address: IpAddr = "203.0.113.254".parse().unwrap();
    let mut values = Vec::with_capacity(2);
    let blocks = blocks_asked_by(|| {
        let value = address_value(address).unwrap();
        values.push(value.clone());
        values.push(value);
    });
    assert_eq!(values[0], "203.0.113.254");
    assert_eq!(values[1], "203.0.113.254");
    assert_eq!(
        blocks, 1,
        "one allocation for the text, none for its second header"
    );
    let v6: IpAddr = "2001:db8::1".parse().unwrap();
    assert_eq!(address_value(v6).unwrap(), "2001:db8::1");
}

/// Threads of this process named `name`.
fn threads_named(name: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|comm| comm.trim_end() == name)
        .count()
}

/// Waits up to 2 s for `count` threads named `name` (a new thread names itself once it runs).
async fn threads_become(name: &str, count: usize) -> usize {
    let started = std::time::Instant::now();
    while threads_named(name) != count && started.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    threads_named(name)
}

/// The request head's deadline without a timer per request (third_party/README.md): a wait
/// runs out between 0.9 and 1 × the limit after it starts, later waits later, every one of
/// many waits on several threads ends, and the sweeper thread ends with the last clone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_deadline_runs_out_in_order_for_every_waiter() {
    use pingora::proxy::RequestHeadDeadline;
    use std::time::Instant;
    let sweepers = threads_named("head deadlines");
    let limit = Duration::from_millis(500);
    let deadline = RequestHeadDeadline::new(limit, 2).unwrap();
    assert_eq!(deadline.limit(), limit);
    assert_eq!(
        threads_become("head deadlines", sweepers + 1).await,
        sweepers + 1
    );
    let wait = |deadline: RequestHeadDeadline| async move {
        let started = Instant::now();
        deadline.expired().await;
        started.elapsed()
    };
    let first = tokio::spawn(wait(deadline.clone()));
    tokio::time::sleep(Duration::from_millis(250)).await;
    let second = tokio::spawn(wait(deadline.clone()));
    let first = first.await.unwrap();
    assert!(
        !second.is_finished(),
        "a wait begun 250 ms later ran out with the first"
    );
    let second = second.await.unwrap();
    for waited in [first, second] {
        assert!(
            (Duration::from_millis(450)..Duration::from_millis(1_000)).contains(&waited),
            "ran out after {waited:?} for a limit of {limit:?}"
        );
    }
    // Many heads at once, started over a few ticks, on both threads: none is lost.
    let waits: Vec<_> = (0..2_000)
        .map(|n| {
            let deadline = deadline.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(n % 200)).await;
                wait(deadline).await
            })
        })
        .collect();
    let all = tokio::time::timeout(
        Duration::from_secs(5),
        futures_util::future::join_all(waits),
    )
    .await
    .expect("every wait runs out");
    assert!(all
        .into_iter()
        .all(|waited| waited.unwrap() >= Duration::from_millis(450)));
    drop(deadline);
    assert_eq!(
        threads_become("head deadlines", sweepers).await,
        sweepers,
        "the sweeper outlived its deadline"
    );
}

/// The patched `pingora-timeout` holds a waiting timeout's delay in place, and a thread takes
/// its last timer again while the tick is the same: a read from an upstream that waits (every
/// proxied request) asked for two heap blocks (the delay boxed twice) and, for a timer the
/// thread had, a lock and a map lookup (issue 22).
#[test]
fn a_waiting_timeout_allocates_nothing_once_its_tick_has_a_timer() {
    use std::future::Future as _;
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    let minute = Duration::from_secs(60);
    // A new tick's timer is allocated once; two in a row rarely straddle a tick of 10 ms.
    let blocks: Vec<u64> = (0..100)
        .map(|_| {
            let mut timeout = std::pin::pin!(pingora::prelude::timeout(
                minute,
                std::future::pending::<()>()
            ));
            blocks_asked_by(|| assert!(timeout.as_mut().poll(&mut context).is_pending()))
        })
        .collect();
    let without = blocks.iter().filter(|blocks| **blocks == 0).count();
    assert!(
        without >= 90,
        "blocks asked per waiting timeout: {blocks:?}"
    );
}

/// ... and a timeout still ends when its time has passed, the future's answer when it comes
/// first, on both kinds of timer (the fast one, and Tokio's past 15 minutes).
#[tokio::test]
async fn a_timeout_ends_at_its_time_or_with_its_future() {
    let started = std::time::Instant::now();
    let short = Duration::from_millis(50);
    let both = tokio::join!(
        pingora::prelude::timeout(short, std::future::pending::<()>()),
        pingora::prelude::timeout(short, std::future::pending::<()>()),
    );
    assert!(both.0.is_err() && both.1.is_err());
    let waited = started.elapsed();
    assert!(
        waited >= short && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    let answer = pingora::prelude::timeout(short, async {
        tokio::task::yield_now().await;
        7
    });
    assert_eq!(answer.await.ok(), Some(7));
    let long = pingora::prelude::timeout(Duration::from_secs(3600), async {
        tokio::time::sleep(Duration::from_millis(5)).await;
        8
    });
    assert_eq!(long.await.ok(), Some(8));
}
