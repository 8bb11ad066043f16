//! Same-machine requests only, checked before any route runs:
//!
//! - `Host` must name the bound address, `localhost`, `127.0.0.1` or `[::1]` with the bound
//!   port (any IP literal when bound to all interfaces): a page on another site that rebinds
//!   its DNS name to 127.0.0.1 sends its own name, and is refused (421) — DNS rebinding;
//! - an `Origin`, when sent, must be one of those same hosts over `http` (403): another
//!   site's page cannot drive the API or read its answers;
//! - a `POST` must say `Content-Type: application/json` (415): a cross-site form or a
//!   "simple" `fetch` without a CORS preflight cannot send it;
//! - a body must come with `Content-Length` (411 for `Transfer-Encoding`), at most
//!   [`MAX_BODY`] bytes (413).

use super::reply::{error, Refusal};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};

/// Largest request body.
pub const MAX_BODY: u64 = 32 * 1024 * 1024;

/// Whether `authority` (`host[:port]`) names this server bound at `bound`.
pub fn allowed_host(authority: &str, bound: SocketAddr) -> bool {
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => match p.parse::<u16>() {
            Ok(p) => (h, p),
            Err(_) => return false,
        },
        _ => (authority, 80),
    };
    if port != bound.port() {
        return false;
    }
    let host = host.to_ascii_lowercase();
    if host == "localhost" {
        return true;
    }
    let ip: Option<IpAddr> = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&host)
        .parse()
        .ok();
    match ip {
        Some(ip) if ip.is_loopback() || ip == bound.ip() => true,
        // Bound to every interface: any address literal (never a DNS name) may reach it.
        Some(_) => bound.ip().is_unspecified(),
        None => false,
    }
}

/// Whether an `Origin` header value is this server.
pub fn allowed_origin(origin: &str, bound: SocketAddr) -> bool {
    origin
        .strip_prefix("http://")
        .is_some_and(|a| allowed_host(a, bound))
}

fn text(h: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    h.get(name).map(|v| v.to_str().unwrap_or("\u{fffd}"))
}

/// The checks of this module, in order: Host, Origin, body framing and size, Content-Type.
pub fn check(method: &Method, h: &HeaderMap, bound: SocketAddr) -> Result<(), Refusal> {
    match text(h, header::HOST) {
        Some(host) if allowed_host(host, bound) => {}
        Some(host) => {
            return Err(error(
                421,
                &format!("Host '{host}' is not this server; open http://{bound}/"),
            ))
        }
        None => return Err(error(400, "the request has no Host header")),
    }
    if let Some(origin) = text(h, header::ORIGIN) {
        if !allowed_origin(origin, bound) {
            return Err(error(
                403,
                &format!("cross-origin request from '{origin}' refused"),
            ));
        }
    }
    if h.contains_key(header::TRANSFER_ENCODING) {
        return Err(error(411, "send the body with Content-Length"));
    }
    if let Some(len) = text(h, header::CONTENT_LENGTH) {
        let len: u64 = len.parse().map_err(|_| error(400, "bad Content-Length"))?;
        if len > MAX_BODY {
            return Err(error(
                413,
                &format!("request body of {len} bytes is more than the limit of {MAX_BODY}"),
            ));
        }
    }
    if method == Method::POST {
        let ct = text(h, header::CONTENT_TYPE).unwrap_or("");
        let essence = ct.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(error(
                415,
                &format!("POST needs Content-Type: application/json (got '{ct}')"),
            ));
        }
    }
    Ok(())
}

/// The middleware running [`check`].
pub async fn layer(State(bound): State<SocketAddr>, req: Request, next: Next) -> Response {
    match check(req.method(), req.headers(), bound) {
        Ok(()) => next.run(req).await,
        Err(r) => r.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_names_pass() {
        let b: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST:8080",
            "[::1]:8080",
        ] {
            assert!(allowed_host(ok, b), "{ok}");
        }
        for bad in [
            "attacker.example:8080",
            "127.0.0.1:8081",
            "127.0.0.1",
            "10.0.0.2:8080",
            "localhost.attacker.example:8080",
            "[::1]",
            "",
        ] {
            assert!(!allowed_host(bad, b), "{bad}");
        }
        let any: SocketAddr = "0.0.0.0:80".parse().unwrap();
        assert!(allowed_host("10.0.0.2", any) && !allowed_host("evil.example", any));
        assert!(allowed_origin("http://localhost:8080", b));
        assert!(!allowed_origin("https://localhost:8080", b));
        assert!(!allowed_origin("null", b));
    }
}
