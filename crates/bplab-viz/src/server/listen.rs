//! The connection layer: tokio accepts, hyper speaks HTTP/1.1 (one request per connection,
//! heads of at most [`MAX_HEAD`] bytes, 431 above), the axum router answers. A client has
//! [`Limits::read_timeout`] to send its head (hyper's header timeout, covering idle and
//! trickling sockets) and as long again for its body (the routes' body reader); a connection
//! lives at most [`Limits::connection_life`]; beyond [`Limits::max_connections`] open ones a
//! new connection gets 503 and is closed. Ctrl-C stops accepting, lets the open
//! connections finish (at most [`DRAIN`]) and returns.

use super::admit::Limits;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// Largest request line plus headers.
pub const MAX_HEAD: usize = 16 * 1024;
/// How long open connections may finish after Ctrl-C.
pub const DRAIN: Duration = Duration::from_secs(10);

const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 53\r\nConnection: close\r\n\r\n{\"error\":\"server busy: too many open connections now\"}";

/// Serves `listener` with `app` until `stop` turns true, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    mut stop: watch::Receiver<bool>,
) {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout)
        .keep_alive(false)
        .half_close(true)
        .max_buf_size(4 * MAX_HEAD)
        .max_header_size(MAX_HEAD);
    let http = Arc::new(http);
    loop {
        let (mut stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                // Out of file descriptors and the like: wait, do not spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(BUSY)).await;
            });
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let (http, mut stop, life) = (http.clone(), stop.clone(), limits.connection_life);
        tokio::spawn(async move {
            let conn = http.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            let run = async {
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = stop.changed() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = conn.as_mut().await;
                    }
                }
            };
            let _ = tokio::time::timeout(life, run).await;
            drop(permit);
        });
    }
    // Every permit back means every connection has finished.
    let all = limits.max_connections as u32;
    let _ = tokio::time::timeout(DRAIN, open.acquire_many(all)).await;
}
