//! A minimal HTTP/1.1 server on `std::net` for the local visualizer: one request per
//! connection (`Connection: close`), a thread per connection with at most
//! [`MAX_CONNECTIONS`] at once, headers capped at [`MAX_HEAD`] bytes and bodies at
//! [`MAX_BODY`] bytes (413 above), `Content-Length` required for a body (no chunked upload),
//! read and write timeouts, and a handler whose panic becomes a 500 — so no request can make
//! the server allocate without bound or stop.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Largest request line plus headers.
pub const MAX_HEAD: usize = 16 * 1024;
/// Largest request body.
pub const MAX_BODY: usize = 32 * 1024 * 1024;
/// Most connections served at once; more get 503.
pub const MAX_CONNECTIONS: usize = 16;
const TIMEOUT: Duration = Duration::from_secs(30);

/// A parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path without the query string.
    pub path: String,
    pub body: Vec<u8>,
}

/// A response to write.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, v: &serde_json::Value) -> Self {
        Response {
            status,
            content_type: "application/json",
            body: v.to_string().into_bytes(),
        }
    }
    /// `{"error": message}` with `status`.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(status, &serde_json::json!({ "error": message }))
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Serves `listener` forever, calling `handler` for every well-formed request.
pub fn serve(
    listener: TcpListener,
    handler: Arc<dyn Fn(&Request) -> Response + Send + Sync>,
) -> io::Result<()> {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        if active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::SeqCst);
            let _ = write(&mut stream, &Response::error(503, "too many connections"));
            continue;
        }
        let (handler, active) = (handler.clone(), active.clone());
        std::thread::spawn(move || {
            let _ = connection(stream, handler.as_ref());
            active.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(())
}

fn connection(
    stream: TcpStream,
    handler: &(dyn Fn(&Request) -> Response + Send + Sync),
) -> io::Result<()> {
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream.take(MAX_HEAD as u64));
    let response = match read(&mut reader, &mut out) {
        Ok(req) => match catch_unwind(AssertUnwindSafe(|| handler(&req))) {
            Ok(r) => r,
            Err(_) => Response::error(500, "internal error while handling the request"),
        },
        Err(r) => r,
    };
    write(&mut out, &response)?;
    // Read (a bounded amount of) what the client still sends, so that closing does not reset
    // the connection before it has read the response.
    out.shutdown(std::net::Shutdown::Write)?;
    out.set_read_timeout(Some(Duration::from_secs(1)))?;
    let _ = io::copy(&mut (&mut out).take(MAX_HEAD as u64 * 4), &mut io::sink());
    Ok(())
}

/// Reads one request; a malformed or oversized one becomes the error response to send.
fn read(
    reader: &mut BufReader<io::Take<TcpStream>>,
    out: &mut TcpStream,
) -> Result<Request, Response> {
    let bad = |m: &str| Response::error(400, m);
    let mut line = String::new();
    let mut lines = Vec::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return Err(Response::error(431, "request head too large or cut off")),
            Ok(_) if !line.ends_with('\n') => {
                return Err(Response::error(431, "request head too large or cut off"))
            }
            Ok(_) => {}
            Err(_) => return Err(bad("unreadable request head")),
        }
        let l = line.trim_end().to_string();
        if l.is_empty() {
            break;
        }
        lines.push(l);
    }
    let mut first = lines
        .first()
        .ok_or_else(|| bad("empty request"))?
        .split(' ');
    let (method, target) = match (first.next(), first.next()) {
        (Some(m), Some(t)) => (m.to_string(), t),
        _ => return Err(bad("malformed request line")),
    };
    let path = target.split('?').next().unwrap_or("/").to_string();
    let mut length = None;
    let mut expect_continue = false;
    for h in &lines[1..] {
        let Some((k, v)) = h.split_once(':') else {
            return Err(bad("malformed header"));
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        match k.as_str() {
            "content-length" => {
                length = Some(v.parse::<usize>().map_err(|_| bad("bad Content-Length"))?)
            }
            "transfer-encoding" => {
                return Err(Response::error(411, "send the body with Content-Length"))
            }
            "expect" => expect_continue = v.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    let length = length.unwrap_or(0);
    if length > MAX_BODY {
        return Err(Response::error(
            413,
            &format!("request body of {length} bytes is more than the limit of {MAX_BODY}"),
        ));
    }
    if expect_continue {
        let _ = out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let buffered = reader.buffer().to_vec();
    let mut body = buffered;
    body.truncate(length);
    reader.consume(body.len());
    let rest = length - body.len();
    let mut inner = reader
        .get_mut()
        .get_mut()
        .try_clone()
        .map_err(|_| bad("connection"))?;
    let mut tail = Vec::with_capacity(rest);
    (&mut inner)
        .take(rest as u64)
        .read_to_end(&mut tail)
        .map_err(|_| bad("request body cut off"))?;
    if tail.len() != rest {
        return Err(bad("request body shorter than Content-Length"));
    }
    body.extend_from_slice(&tail);
    Ok(Request { method, path, body })
}

fn write(out: &mut TcpStream, r: &Response) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        r.status,
        reason(r.status),
        r.content_type,
        r.body.len()
    );
    out.write_all(head.as_bytes())?;
    out.write_all(&r.body)?;
    out.flush()
}
