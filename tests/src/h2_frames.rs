//! HTTP/2 written frame by frame over TLS, for what a client library would not do on request:
//! send a request's end of stream only after its response has arrived, as a busy client's
//! separate final `DATA` frame can. Requests are written with literal header fields (no HPACK
//! table, no Huffman), so only the frames and the response bodies are read back.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const WINDOW_UPDATE: u8 = 0x8;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const ACK: u8 = 0x1;
/// The largest flow-control window: the server never waits for this client to read.
const MAX_WINDOW: u32 = (1 << 31) - 1;

/// A frame from the server.
#[derive(Debug)]
pub struct Frame {
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
    pub payload: Vec<u8>,
}

/// What the server did on one stream.
#[derive(Debug, Default, Clone)]
pub struct Answer {
    pub body: Vec<u8>,
    pub ended: bool,
    /// The error code of a `RST_STREAM` it sent.
    pub reset: Option<u32>,
}

/// One HTTP/2 connection, frame by frame.
pub struct H2Connection {
    reader: ReadHalf<TlsStream<TcpStream>>,
    writer: WriteHalf<TlsStream<TcpStream>>,
    next_stream: u32,
    pub answers: HashMap<u32, Answer>,
    /// `(error code, debug data)` of a `GOAWAY` the server sent.
    pub goaway: Option<(u32, String)>,
}

impl H2Connection {
    /// Connects to `addr` as `host` with ALPN `h2`, trusting the PEM CA at `ca`, and exchanges
    /// the preface and settings (an initial window as large as allowed).
    pub async fn open(addr: SocketAddr, host: &str, ca: &Path) -> H2Connection {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(ca).expect("CA file");
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            roots
                .add(cert.expect("CA certificate"))
                .expect("CA accepted");
        }
        let mut config = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = TcpStream::connect(addr).await.expect("connect");
        let name = rustls::pki_types::ServerName::try_from(host.to_string()).expect("host name");
        let tls = connector.connect(name, tcp).await.expect("TLS handshake");
        assert_eq!(
            tls.get_ref().1.alpn_protocol(),
            Some(&b"h2"[..]),
            "h2 offered"
        );
        let (reader, writer) = tokio::io::split(tls);
        let mut connection = H2Connection {
            reader,
            writer,
            next_stream: 1,
            answers: HashMap::new(),
            goaway: None,
        };
        let mut hello = PREFACE.to_vec();
        // SETTINGS_INITIAL_WINDOW_SIZE (0x4), then the connection's own window.
        let mut settings = vec![0x0, 0x4];
        settings.extend_from_slice(&MAX_WINDOW.to_be_bytes());
        hello.extend(frame(SETTINGS, 0, 0, &settings));
        hello.extend(frame(
            WINDOW_UPDATE,
            0,
            0,
            &(MAX_WINDOW - 65_535).to_be_bytes(),
        ));
        connection.send(&hello).await;
        connection
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write frames");
    }

    /// Opens a stream: `HEADERS` with `fields` and then `body` in one `DATA` frame, without
    /// the end of stream. Returns the stream's id.
    pub async fn post_without_end(&mut self, fields: &[(&str, &str)], body: &[u8]) -> u32 {
        let stream = self.next_stream;
        self.next_stream += 2;
        let mut block = Vec::new();
        for (name, value) in fields {
            literal(&mut block, name, value);
        }
        let mut bytes = frame(HEADERS, END_HEADERS, stream, &block);
        bytes.extend(frame(DATA, 0, stream, body));
        self.send(&bytes).await;
        self.answers.insert(stream, Answer::default());
        stream
    }

    /// Sends the end of `stream`: an empty `DATA` frame with `END_STREAM`.
    pub async fn end(&mut self, stream: u32) {
        self.send(&frame(DATA, END_STREAM, stream, &[])).await;
    }

    /// Reads frames until `stream` has its whole answer (or was reset), the server sent
    /// `GOAWAY`, the connection closed, or `within` passed; `false` if the answer is not whole.
    pub async fn answer_of(&mut self, stream: u32, within: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let answer = &self.answers[&stream];
            if answer.ended || answer.reset.is_some() {
                return true;
            }
            if self.goaway.is_some() {
                return false;
            }
            match tokio::time::timeout_at(deadline, self.read_frame()).await {
                Ok(Some(frame)) => self.take(frame).await,
                Ok(None) | Err(_) => return false,
            }
        }
    }

    async fn read_frame(&mut self) -> Option<Frame> {
        let mut head = [0u8; 9];
        self.reader.read_exact(&mut head).await.ok()?;
        let length = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0u8; length];
        self.reader.read_exact(&mut payload).await.ok()?;
        Some(Frame {
            kind: head[3],
            flags: head[4],
            stream: u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff,
            payload,
        })
    }

    /// Records what `frame` says, answering the server's settings and pings.
    async fn take(&mut self, frame: Frame) {
        let ends = frame.flags & END_STREAM != 0;
        match frame.kind {
            DATA => {
                let answer = self.answers.entry(frame.stream).or_default();
                answer.body.extend_from_slice(&frame.payload);
                answer.ended |= ends;
            }
            HEADERS => self.answers.entry(frame.stream).or_default().ended |= ends,
            RST_STREAM => {
                let code = u32::from_be_bytes(frame.payload[..4].try_into().expect("4 bytes"));
                self.answers.entry(frame.stream).or_default().reset = Some(code);
            }
            SETTINGS if frame.flags & ACK == 0 => {
                self.send(&self::frame(SETTINGS, ACK, 0, &[])).await
            }
            PING if frame.flags & ACK == 0 => {
                self.send(&self::frame(PING, ACK, 0, &frame.payload)).await
            }
            GOAWAY => {
                let code = u32::from_be_bytes(frame.payload[4..8].try_into().expect("4 bytes"));
                let debug = String::from_utf8_lossy(&frame.payload[8..]).into_owned();
                self.goaway = Some((code, debug));
            }
            _ => {}
        }
    }
}

/// One frame: the 9-byte head and `payload`.
fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let length = (payload.len() as u32).to_be_bytes();
    let mut bytes = vec![length[1], length[2], length[3], kind, flags];
    bytes.extend_from_slice(&stream.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

/// A header field as an HPACK literal without indexing, with a new name (RFC 7541, 6.2.2).
fn literal(block: &mut Vec<u8>, name: &str, value: &str) {
    block.push(0x00);
    for text in [name, value] {
        integer(block, text.len(), 7, 0x00);
        block.extend_from_slice(text.as_bytes());
    }
}

/// An HPACK integer with an `prefix`-bit prefix (RFC 7541, 5.1); `first` holds the bits above.
fn integer(block: &mut Vec<u8>, value: usize, prefix: u32, first: u8) {
    let limit = (1usize << prefix) - 1;
    if value < limit {
        block.push(first | value as u8);
        return;
    }
    block.push(first | limit as u8);
    let mut rest = value - limit;
    while rest >= 128 {
        block.push((rest % 128) as u8 | 0x80);
        rest /= 128;
    }
    block.push(rest as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_literals_encode_as_rfc_7541_shows() {
        // C.1.2: 1337 with a 5-bit prefix.
        let mut block = Vec::new();
        integer(&mut block, 1337, 5, 0);
        assert_eq!(block, [31, 154, 10]);
        // A literal without indexing with a new name: 0, the name's length and bytes, the
        // value's length and bytes (6.2.2).
        let mut block = Vec::new();
        literal(&mut block, "custom-key", "custom-header");
        assert_eq!(block[..2], [0x00, 0x0a]);
        assert_eq!(&block[2..12], b"custom-key");
        assert_eq!(block[12], 0x0d);
    }

    #[test]
    fn a_frame_has_its_length_type_flags_and_stream() {
        assert_eq!(
            frame(DATA, END_STREAM, 3, b"ab"),
            [0, 0, 2, 0, 1, 0, 0, 0, 3, b'a', b'b']
        );
    }
}
