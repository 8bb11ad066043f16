//! `bplab serve`: the interactive visualizer on axum (routing, extraction) over hyper and
//! tokio — the Rust ecosystem's maintained default HTTP stack, chosen so that parsing,
//! framing, keep-alive and timeouts are not hand-written. Routes: `GET /` (the page),
//! `GET /app.js`, `GET /app.css` (embedded: [`crate::assets`]), `GET /api/presets`,
//! `GET /api/engines` (the engines this binary was built with, [`engines`]),
//! `POST /api/trace` (a [`NetRequest`] → the trace JSON of [`crate::json`]) and
//! `POST /api/step` (a [`StepRequest`] → `{"losses", "stopped", "trace"}` after that many SGD
//! steps). A bad request gets a 4xx status with `{"error": one line}`.
//!
//! Protection, in the order a request meets it: the connection limits and timeouts
//! ([`listen`]), the same-machine checks ([`guard`]: Host, Origin, Content-Type, body size),
//! the bounded queue for a computation slot and the memory budget ([`admit`]): a request's
//! peak and response bytes are estimated from its network, batch and engines
//! ([`bplab_harness::budget`]) before anything is allocated, refused with 413 above the
//! per-request limits, and reserved from the global budget while it computes and while its
//! answer is sent. Computation runs on tokio's blocking threads, never on the I/O threads.

pub mod admit;
pub mod guard;
mod listen;
pub mod presets;
mod reply;
pub mod request;
mod sgd;

use crate::assets::{APP_CSS, APP_JS, INDEX_HTML};
use crate::{json, Trace};
use admit::{Admission, Limits};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use bplab_core::{Error, Result};
use bplab_harness::{budget, engines};
use reply::{error, json_bytes, Refusal, Reply};
use request::{field, parse, NetRequest, StepRequest, MAX_STEP_WORK};
use serde_json::{json as j, Value};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;

/// Bytes of memory that parsing holds per byte of request body (a JSON number of two bytes
/// becomes a tree node of 80).
pub const PARSE_BYTES_PER_BODY_BYTE: u64 = 48;

/// The router with its middleware for a server bound at `bound`.
pub fn app(bound: SocketAddr, limits: Limits) -> Router {
    let admission = Arc::new(Admission::new(limits));
    let asset = |ct: &'static str, body: &'static str| -> MethodRouter<Arc<Admission>> {
        get(move || async move { ([(header::CONTENT_TYPE, ct)], body) })
            .fallback(|| async { error(405, "use GET") })
    };
    let api = |kind: Kind| -> MethodRouter<Arc<Admission>> {
        post(move |State(a): State<Arc<Admission>>, req: Request| compute(a, kind, req))
            .fallback(|| async { error(405, "use POST") })
    };
    Router::<Arc<Admission>>::new()
        .route("/", asset("text/html; charset=utf-8", INDEX_HTML))
        .route("/index.html", asset("text/html; charset=utf-8", INDEX_HTML))
        .route("/app.js", asset("text/javascript; charset=utf-8", APP_JS))
        .route("/app.css", asset("text/css; charset=utf-8", APP_CSS))
        .route(
            "/api/presets",
            get(|| async { json_bytes(200, presets::all().to_string().into_bytes(), None) })
                .fallback(|| async { error(405, "use GET") }),
        )
        .route(
            "/api/engines",
            get(|| async { json_bytes(200, engines().to_string().into_bytes(), None) })
                .fallback(|| async { error(405, "use GET") }),
        )
        .route("/api/trace", api(Kind::Trace))
        .route("/api/step", api(Kind::Step))
        .fallback(|req: Request| async move {
            error(404, &format!("no such page: {}", req.uri().path()))
        })
        .with_state(admission)
        .layer(axum::middleware::from_fn_with_state(bound, guard::layer))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
}

/// Binds `addr` and serves with the default [`Limits`] from a background thread; returns
/// the bound address (port 0 picks a free port).
pub fn start(addr: SocketAddr) -> std::io::Result<SocketAddr> {
    start_with(addr, Limits::default())
}

/// [`start`] with explicit limits.
pub fn start_with(addr: SocketAddr, limits: Limits) -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let rt = runtime()?;
    std::thread::spawn(move || {
        rt.block_on(async move {
            let Ok(l) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            let (_keep, stop) = tokio::sync::watch::channel(false);
            listen::serve(l, app(bound, limits.clone()), &limits, stop).await;
        })
    });
    Ok(bound)
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bplab-serve")
        .enable_all()
        .build()
}

/// Binds `addr`, prints the URL on stdout (and a warning on stderr when the address is not
/// loopback), and serves until Ctrl-C.
pub fn run(addr: SocketAddr, limits: Limits) -> Result<()> {
    let io = |reason: String| Error::Io {
        what: "serve".into(),
        reason,
    };
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| io(format!("cannot listen on {addr} ({e})")))?;
    let bound = listener.local_addr().map_err(|e| io(e.to_string()))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| io(e.to_string()))?;
    if !bound.ip().is_loopback() {
        eprintln!(
            "warning: listening on {bound}: anyone who can reach this machine on the network can use this server and its memory budget ({})",
            budget::human(limits.max_memory)
        );
    }
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "bplab visualizer on http://{bound}/");
        let _ = out.flush();
    }
    let rt = runtime().map_err(|e| io(e.to_string()))?;
    rt.block_on(async move {
        let l = tokio::net::TcpListener::from_std(listener).map_err(|e| io(e.to_string()))?;
        let (tx, stop) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("stopping: finishing the open requests");
                let _ = tx.send(true);
            }
        });
        listen::serve(l, app(bound, limits.clone()), &limits, stop).await;
        Ok(())
    })
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Trace,
    Step,
}

/// A parsed request and what it may cost.
struct Planned {
    request: Parsed,
    estimate: budget::Estimate,
}

enum Parsed {
    Trace(NetRequest),
    Step(StepRequest),
}

fn status_of(e: &Error) -> u16 {
    if e.is_input_error() {
        400
    } else {
        500
    }
}

/// A computing route: read the body (bounded, timed), take a slot, parse, estimate, reserve
/// the estimate, compute on a blocking thread, answer while holding the response's bytes.
async fn compute(admission: Arc<Admission>, kind: Kind, req: Request) -> Reply {
    match compute_inner(admission, kind, req).await {
        Ok(r) => r,
        Err(r) => r.into_response(),
    }
}

async fn compute_inner(
    a: Arc<Admission>,
    kind: Kind,
    req: Request,
) -> std::result::Result<Reply, Refusal> {
    let limits = &a.limits;
    let len = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .unwrap_or(0);
    let body_hold = a.try_reserve(len)?;
    let body = tokio::time::timeout(
        limits.read_timeout,
        axum::body::to_bytes(req.into_body(), guard::MAX_BODY as usize),
    )
    .await
    .map_err(|_| error(408, "the request body did not arrive in time"))?
    .map_err(|_| error(400, "request body cut off or longer than Content-Length"))?;

    let slot = a.slot().await?;
    let parse_hold = a
        .reserve(body.len() as u64 * PARSE_BYTES_PER_BODY_BYTE)
        .await?;
    let planned = blocking(move || plan(kind, &body)).await?;
    drop((parse_hold, body_hold));
    let e = planned.estimate;
    if e.peak > limits.request_memory {
        return Err(error(
            413,
            &format!(
                "this request needs an estimated {} of memory, more than the limit of {} per request; use fewer examples, narrower layers or one engine",
                budget::human(e.peak),
                budget::human(limits.request_memory)
            ),
        ));
    }
    if e.response > limits.max_response {
        return Err(error(
            413,
            &format!(
                "the answer would be an estimated {} of JSON, more than the limit of {}; use fewer examples, narrower layers or one engine",
                budget::human(e.response),
                budget::human(limits.max_response)
            ),
        ));
    }
    let held = a.reserve(e.peak).await?;
    let (bytes, mut held) = blocking(move || {
        let out = run_planned(planned.request).map(|v| v.to_string().into_bytes());
        Ok((out, held))
    })
    .await?;
    drop(slot);
    let bytes = bytes.map_err(|e| error(status_of(&e), &e.to_string()))?;
    held.shrink_to(bytes.len() as u64);
    Ok(json_bytes(200, bytes, Some(Box::new(held))))
}

/// Runs `f` on a blocking thread; a panic becomes a 500.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> std::result::Result<T, Refusal> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(t)) => Ok(t),
        Ok(Err(e)) => Err(error(status_of(&e), &e.to_string())),
        Err(_) => Err(error(500, "internal error while handling the request")),
    }
}

/// How many engines `spec` (`all`, `manual`, `manual,candle`) selects.
fn engine_count(spec: &str) -> usize {
    if spec == "all" {
        engines::built_in().len()
    } else {
        spec.split(',').count()
    }
}

fn plan(kind: Kind, body: &[u8]) -> Result<Planned> {
    let (request, net) = match kind {
        Kind::Trace => {
            let r: NetRequest = parse(body, "/api/trace")?;
            (Parsed::Trace(r.clone()), r)
        }
        Kind::Step => {
            let r = StepRequest::parse(body)?;
            let net = r.net.clone();
            (Parsed::Step(r), net)
        }
    };
    net.check_limits()?;
    let rows = net.input.len();
    let mut estimate = budget::trace(&net.layers, rows, engine_count(&net.engine));
    if let Parsed::Step(_) = request {
        estimate.peak = estimate
            .peak
            .saturating_add(budget::grads(&net.layers, rows, 1));
    }
    Ok(Planned { request, estimate })
}

fn run_planned(p: Parsed) -> Result<Value> {
    match p {
        Parsed::Trace(r) => trace_of(&r),
        Parsed::Step(r) => step_of(r),
    }
}

/// `POST /api/trace` on a body (parse, then compute; no budget: for tests and tools).
pub fn trace(body: &[u8]) -> Result<Value> {
    trace_of(&parse(body, "/api/trace")?)
}

fn trace_of(req: &NetRequest) -> Result<Value> {
    let dtype = req.dtype()?;
    let engines = field("engine", engines::select_for(&req.engine, dtype))?;
    let resolved = req.resolve()?;
    Ok(json::to_json(&Trace::run(&engines, &resolved, dtype)?))
}

/// `POST /api/step` on a body (no budget: for tests and tools).
pub fn step(body: &[u8]) -> Result<Value> {
    step_of(StepRequest::parse(body)?)
}

fn step_of(req: StepRequest) -> Result<Value> {
    let dtype = req.net.dtype()?;
    let engines = field("engine", engines::select_for(&req.net.engine, dtype))?;
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

/// `[{"name", "dtypes"}]`: the engines this binary was built with (`burn-wgpu` with the `wgpu`
/// feature, `burn-vulkan` with `vulkan`) that can compute here, then `all`, for the page's
/// engine menu; each with the dtypes it computes in.
pub fn engines() -> serde_json::Value {
    use bplab_core::DType;
    use bplab_harness::engines::{built_in, computes_in};
    let dtypes = |name: &str| -> Vec<&str> {
        [DType::F64, DType::F32]
            .into_iter()
            .filter(|&d| computes_in(name, d))
            .map(|d| d.name())
            .collect()
    };
    let mut v: Vec<serde_json::Value> = built_in()
        .into_iter()
        .map(|n| (n, dtypes(n)))
        .filter(|(_, d)| !d.is_empty())
        .map(|(n, d)| serde_json::json!({ "name": n, "dtypes": d }))
        .collect();
    v.push(serde_json::json!({ "name": "all", "dtypes": ["f64", "f32"] }));
    serde_json::Value::Array(v)
}
