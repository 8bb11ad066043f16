//! `bplab serve`: the interactive visualizer. Routes: `GET /` (the page), `GET /app.js`,
//! `GET /app.css` (embedded in the binary: [`crate::assets`]), `GET /api/presets`,
//! `POST /api/trace` (a [`NetRequest`] → the trace JSON of [`crate::json`]) and
//! `POST /api/step` (a [`StepRequest`] → `{"losses", "stopped", "trace"}` after that many SGD
//! steps). A bad request gets 400 with `{"error": one line}`; nothing panics the server.

mod http;
pub mod presets;
pub mod request;
mod sgd;

use crate::assets::{APP_CSS, APP_JS, INDEX_HTML};
use crate::{json, Trace};
use bplab_core::{Error, Result};
use bplab_harness::engines;
use http::{Request, Response};
use request::{field, parse, NetRequest, StepRequest, MAX_STEP_WORK};
use serde_json::{json as j, Value};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

/// Binds `addr` and serves from a background thread; returns the bound address (port 0 picks
/// a free port).
pub fn start(addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    std::thread::spawn(move || http::serve(listener, Arc::new(handle)));
    Ok(bound)
}

/// Binds `addr`, prints the URL on stdout, and serves until the process ends.
pub fn run(addr: SocketAddr) -> Result<()> {
    let io = |reason: String| Error::Io {
        what: "serve".into(),
        reason,
    };
    let listener =
        TcpListener::bind(addr).map_err(|e| io(format!("cannot listen on {addr} ({e})")))?;
    let bound = listener.local_addr().map_err(|e| io(e.to_string()))?;
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "bplab visualizer on http://{bound}/");
        let _ = out.flush();
    }
    http::serve(listener, Arc::new(handle)).map_err(|e| io(e.to_string()))
}

/// Routes one request.
pub fn handle(req: &Request) -> Response {
    let asset = |ct, body: &str| Response {
        status: 200,
        content_type: ct,
        body: body.as_bytes().to_vec(),
    };
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/") | ("GET", "/index.html") => asset("text/html; charset=utf-8", INDEX_HTML),
        ("GET", "/app.js") => asset("text/javascript; charset=utf-8", APP_JS),
        ("GET", "/app.css") => asset("text/css; charset=utf-8", APP_CSS),
        ("GET", "/api/presets") => Response::json(200, &presets::all()),
        ("POST", "/api/trace") => reply(trace(&req.body)),
        ("POST", "/api/step") => reply(step(&req.body)),
        (_, "/" | "/index.html" | "/app.js" | "/app.css" | "/api/presets") => {
            Response::error(405, "use GET")
        }
        (_, "/api/trace" | "/api/step") => Response::error(405, "use POST"),
        _ => Response::error(404, &format!("no such page: {}", req.path)),
    }
}

fn reply(r: Result<Value>) -> Response {
    match r {
        Ok(v) => Response::json(200, &v),
        Err(e) => Response::error(if e.is_input_error() { 400 } else { 500 }, &e.to_string()),
    }
}

/// `POST /api/trace`.
pub fn trace(body: &[u8]) -> Result<Value> {
    let req: NetRequest = parse(body, "/api/trace")?;
    let dtype = req.dtype()?;
    let engines = field("engine", engines::select(&req.engine))?;
    let resolved = req.resolve()?;
    Ok(json::to_json(&Trace::run(&engines, &resolved, dtype)?))
}

/// `POST /api/step`.
pub fn step(body: &[u8]) -> Result<Value> {
    let req = StepRequest::parse(body)?;
    let dtype = req.net.dtype()?;
    let engines = field("engine", engines::select(&req.net.engine))?;
    let mut resolved = req.net.resolve()?;
    let work = req
        .steps
        .saturating_mul(resolved.network.spec().n_params())
        .saturating_mul(resolved.batch.len());
    if work > MAX_STEP_WORK {
        return Err(Error::Parse(format!(
            "/api/step: {} steps × {} parameters × {} examples is more than the limit of {MAX_STEP_WORK}; run fewer steps",
            req.steps,
            resolved.network.spec().n_params(),
            resolved.batch.len()
        )));
    }
    let run = sgd::run(
        engines[0].as_ref(),
        resolved.network.clone(),
        &resolved.batch,
        dtype,
        req.lr,
        req.steps,
    )?;
    resolved.network = run.network;
    resolved.weights_from = format!(
        "{} after {} SGD steps",
        resolved.weights_from,
        run.losses.len()
    );
    let trace = Trace::run(&engines, &resolved, dtype)?;
    Ok(j!({
        "engine": engines[0].name(),
        "losses": run.losses.iter().map(|&l| bplab_core::json::number(l)).collect::<Vec<_>>(),
        "stopped": run.stopped,
        "trace": json::to_json(&trace),
    }))
}
