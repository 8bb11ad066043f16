//! The visualizer's HTTP API, served in-process on an ephemeral port and spoken to over raw
//! TCP: the page and its assets, the presets, traces that equal the engines' own numbers, SGD
//! steps that equal `θ − lr·∂L/∂θ`, and every kind of bad request answered with a 4xx status
//! and a one-line message (bad JSON, unknown fields, too many layers or parameters, oversized
//! bodies, wrong methods) while the server keeps serving.

use bplab_core::json::{parse_number, parse_tensor};
use bplab_core::presets::Preset;
use bplab_core::{Comparison, DType, Engine, GradRequest, Network, Tolerance};
use bplab_manual::ManualEngine;
use bplab_viz::server;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;

/// Two f64 computations of the same quantity.
const SAME: Tolerance = Tolerance::EXACT_F64;

fn server() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| server::start("127.0.0.1:0".parse().unwrap()).unwrap())
}

/// Sends raw bytes; returns (status, body).
fn raw(bytes: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(server()).unwrap();
    s.write_all(bytes).unwrap();
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text[9..12].parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    (status, body)
}

fn request(method: &str, path: &str, body: &str) -> (u16, String) {
    raw(format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        server(),
        body.len()
    )
    .as_bytes())
}

fn post(path: &str, body: &Value) -> (u16, Value) {
    let (status, text) = request("POST", path, &body.to_string());
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}")),
    )
}

#[track_caller]
fn assert_rejected(path: &str, body: &Value, status: u16, needle: &str) {
    let (s, v) = post(path, body);
    assert_eq!(s, status, "{body}: {v}");
    let msg = v["error"].as_str().unwrap();
    assert!(msg.contains(needle), "'{needle}' not in '{msg}'");
    assert_eq!(msg.lines().count(), 1);
}

fn seed_request() -> Value {
    let presets = presets();
    presets[0]["request"].clone()
}

fn presets() -> Vec<Value> {
    let (status, body) = request("GET", "/api/presets", "");
    assert_eq!(status, 200);
    serde_json::from_str::<Value>(&body)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn the_engine_menu_lists_the_engines_this_binary_was_built_with() {
    let (status, body) = request("GET", "/api/engines", "");
    assert_eq!(status, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    let mut want = bplab_harness::engines::built_in();
    want.push("all");
    assert_eq!(names, want);
    for e in v.as_array().unwrap() {
        let dtypes: Vec<&str> = e["dtypes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        // burn-wgpu (built with the `wgpu` feature) computes in f32 only; every other in both.
        let want: &[&str] = if e["name"] == "burn-wgpu" {
            &["f32"]
        } else {
            &["f64", "f32"]
        };
        assert_eq!(dtypes, want, "{e}");
    }
    assert_eq!(request("POST", "/api/engines", "").0, 405);
}

#[test]
fn serves_the_page_and_its_assets() {
    let (s, html) = request("GET", "/", "");
    assert_eq!(s, 200);
    assert!(html.contains("<script src=\"app.js\"></script>") && html.contains("app.css"));
    for (path, needle) in [("/app.js", "/api/trace"), ("/app.css", "flow-layer")] {
        let (s, body) = request("GET", path, "");
        assert_eq!(s, 200, "{path}");
        assert!(body.contains(needle), "{path}");
    }
    assert_eq!(request("GET", "/nope", "").0, 404);
    assert_eq!(request("POST", "/", "").0, 405);
    assert_eq!(request("GET", "/api/trace", "").0, 405);
}

#[test]
fn the_seed_example_trace_is_the_engines() {
    let (s, v) = post("/api/trace", &seed_request());
    assert_eq!(s, 200, "{v}");
    let net = Network::new(
        Preset::SeedExample.spec(),
        Preset::SeedExample.fixed_params().unwrap(),
    )
    .unwrap();
    let batch = Preset::SeedExample.batch();
    let g = ManualEngine::new()
        .grads(&net, &batch, DType::F64, GradRequest::default())
        .unwrap();
    let r = &v["results"][0];
    assert_eq!(r["engine"], "manual");
    let loss = parse_number(&r["loss"]).unwrap();
    let c = Comparison::scalar("loss", loss, 0.012361055759216734, SAME);
    assert!(c.passed(), "{c}");
    for (name, want) in g.params.iter() {
        let got = parse_tensor(&r["grads"][name]).unwrap();
        let c = Comparison::new(name, &got, want, SAME, None);
        assert!(c.passed(), "{c}");
    }
    assert_eq!(v["flow"]["layers"].as_array().unwrap().len(), 2);
}

#[test]
fn every_preset_traces_and_shows_its_point() {
    let presets = presets();
    let names: Vec<&str> = presets
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "seed-example",
            "assignment",
            "deep-sigmoid",
            "naive-init",
            "residual",
            "deep-sigmoid-layernorm"
        ]
    );
    for p in &presets {
        let (s, v) = post("/api/trace", &p["request"]);
        assert_eq!(s, 200, "{}: {v}", p["name"]);
        let statuses: Vec<&str> = v["flow"]["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["status"].as_str().unwrap())
            .collect();
        match p["name"].as_str().unwrap() {
            "deep-sigmoid" => assert_eq!(statuses[0], "vanishing", "{statuses:?}"),
            "deep-sigmoid-layernorm" => {
                assert!(statuses.iter().all(|s| *s == "ok"), "{statuses:?}");
                assert!(v["network"]["norm"] == "layer", "{}", v["network"]);
            }
            "naive-init" => assert!(statuses.contains(&"exploding"), "{statuses:?}"),
            "residual" => assert!(v["results"][0]["layers"][1]["residual"] == true),
            _ => assert!(statuses.iter().all(|s| *s == "ok"), "{statuses:?}"),
        }
    }
}

#[test]
fn every_engine_can_be_asked_for() {
    let mut req = seed_request();
    req["engine"] = json!("all");
    let (s, v) = post("/api/trace", &req);
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["results"].as_array().unwrap().len(),
        bplab_harness::engines::built_in().len()
    );
    req["engine"] = json!("manual");
    req["dtype"] = json!("f32");
    let (s, v) = post("/api/trace", &req);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["results"][0]["dtype"], "f32");
}

/// The page's steps run through each engine's own trainer and land on the same weights.
#[test]
fn steps_run_on_every_engines_trainer() {
    let mut want: Option<Value> = None;
    for engine in bplab_harness::engines::built_in() {
        let mut req = seed_request();
        req["engine"] = json!(engine);
        req["lr"] = json!(0.5);
        req["steps"] = json!(5);
        let (s, v) = post("/api/step", &req);
        assert_eq!(s, 200, "{engine}: {v}");
        assert_eq!(v["losses"].as_array().unwrap().len(), 5, "{engine}");
        assert!(v["stopped"].is_null(), "{engine}: {v}");
        let Some(manual) = &want else {
            want = Some(v["trace"]["params"].clone());
            continue;
        };
        let tol = Tolerance::new(1e-12, 1e-9);
        // An engine whose documented conventions touch the network (burn-ndarray's f32
        // sigmoid) is held to the manual trainer computing with them.
        let p = Preset::SeedExample;
        let emulated = (!bplab_harness::deviations::conventions(engine)
            .names_for(&p.spec())
            .is_empty())
        .then(|| {
            let net = bplab_core::Network::new(p.spec(), p.fixed_params().unwrap()).unwrap();
            let mut t = bplab_harness::deviations::emulating(engine)
                .trainer(&net, &p.batch(), DType::F64)
                .unwrap();
            let sgd = bplab_core::train::Sgd {
                lr: 0.5,
                clip: bplab_core::train::Clip::None,
            };
            (0..5).for_each(|_| {
                t.step(&sgd).unwrap();
            });
            t.params().unwrap()
        });
        for name in ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"] {
            let got = parse_tensor(&v["trace"]["params"][name]).unwrap();
            let w = match &emulated {
                Some(params) => params.get(name).unwrap().clone(),
                None => parse_tensor(&manual[name]).unwrap(),
            };
            let c = Comparison::new(&format!("{engine} {name}"), &got, &w, tol, None);
            assert!(c.passed(), "{c}");
        }
    }
}

#[test]
fn a_step_is_theta_minus_lr_times_the_gradient() {
    let mut req = seed_request();
    req["lr"] = json!(0.5);
    let (s, v) = post("/api/step", &req);
    assert_eq!(s, 200, "{v}");
    let net = Network::new(
        Preset::SeedExample.spec(),
        Preset::SeedExample.fixed_params().unwrap(),
    )
    .unwrap();
    let g = ManualEngine::new()
        .grads(
            &net,
            &Preset::SeedExample.batch(),
            DType::F64,
            GradRequest::default(),
        )
        .unwrap();
    assert_eq!(v["losses"].as_array().unwrap().len(), 1);
    for (name, p) in net.params().iter() {
        let mut want = p.clone();
        for (w, d) in want.data.iter_mut().zip(&g.params.get(name).unwrap().data) {
            *w -= 0.5 * d;
        }
        let got = parse_tensor(&v["trace"]["params"][name]).unwrap();
        let c = Comparison::new(name, &got, &want, SAME, None);
        assert!(c.passed(), "{c}");
    }
    // Fifty steps from the new weights lower the loss.
    let mut req = seed_request();
    req["params"] = v["trace"]["params"].clone();
    req["lr"] = json!(0.5);
    req["steps"] = json!(50);
    let (s, v) = post("/api/step", &req);
    assert_eq!(s, 200, "{v}");
    let losses: Vec<f64> = v["losses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| parse_number(l).unwrap())
        .collect();
    assert_eq!(losses.len(), 50);
    assert!(losses.windows(2).all(|w| w[1] < w[0]), "{losses:?}");
    assert!(v["stopped"].is_null());
}

#[test]
fn bad_requests_get_400_and_a_message() {
    let (s, body) = request("POST", "/api/trace", "{not json");
    assert_eq!(s, 400, "{body}");
    assert!(body.contains("malformed JSON"), "{body}");
    let base = seed_request();
    let with = |k: &str, v: Value| {
        let mut r = base.clone();
        r[k] = v;
        r
    };
    let t = "/api/trace";
    assert_rejected(t, &with("colour", json!("red")), 400, "unknown field");
    assert_rejected(t, &with("layers", json!(vec![2; 66])), 400, "limit of 64");
    let mut big = with("layers", json!([1000, 1001, 1]));
    big["activations"] = json!(["relu", "identity"]);
    big.as_object_mut().unwrap().remove("params");
    assert_rejected(t, &big, 400, "limit of 1000000");
    let mut huge = big.clone();
    huge["layers"] = json!([usize::MAX, usize::MAX, 1]);
    assert_rejected(t, &huge, 400, "limit of 1000000");
    assert_rejected(
        t,
        &with("activations", json!(["softmax", "sigmoid"])),
        400,
        "softmax",
    );
    assert_rejected(
        t,
        &with("activations", json!(["swishy", "sigmoid"])),
        400,
        "swishy",
    );
    assert_rejected(t, &with("input", json!([[1, 2, 3]])), 400, "");
    assert_rejected(
        t,
        &with("input", json!(vec![[1, 2]; 257])),
        400,
        "limit of 256",
    );
    assert_rejected(
        t,
        &with("engine", json!("tensorflow")),
        400,
        "unknown engine",
    );
    assert_rejected(t, &with("dtype", json!("f16")), 400, "dtype");
    assert_rejected(t, &with("init", json!("normal:-1")), 400, "normal");
    let mut bad_shape = base.clone();
    bad_shape["params"]["fc1.weight"]["shape"] = json!([2, 3]);
    assert_rejected(t, &bad_shape, 400, "fc1.weight");
    let mut not_tensor = base.clone();
    not_tensor["params"]["fc2.bias"] = json!("zero");
    assert_rejected(t, &not_tensor, 400, "fc2.bias");
    let s = "/api/step";
    assert_rejected(s, &base, 400, "\"lr\" is required");
    assert_rejected(s, &with("lr", json!(-1)), 400, "lr");
    let mut steps = with("lr", json!(0.1));
    steps["steps"] = json!(0);
    assert_rejected(s, &steps, 400, "from 1 to 1000");
    steps["steps"] = json!(1001);
    assert_rejected(s, &steps, 400, "from 1 to 1000");
    // Still serving.
    assert_eq!(post(t, &base).0, 200);
}

#[test]
fn oversized_and_malformed_http_is_refused() {
    let head = format!(
        "POST /api/trace HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n",
        server()
    );
    let (s, body) = raw(format!("{head}Content-Length: 99999999999\r\n\r\n{{}}").as_bytes());
    assert_eq!(s, 413, "{body}");
    let (s, _) = raw(format!("{head}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n").as_bytes());
    assert_eq!(s, 411);
    let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(20_000));
    assert_eq!(raw(long.as_bytes()).0, 431);
    let (s, _) = raw(format!("{head}Content-Length: 50\r\n\r\n{{\"layers\":").as_bytes());
    assert_eq!(s, 400);
    let (s, _) =
        raw(format!("{head}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{{}}").as_bytes());
    assert_eq!(s, 400, "two different Content-Length headers");
    // Still serving.
    assert_eq!(request("GET", "/api/presets", "").0, 200);
}

/// `bplab serve --port 0` as a child process: prints its URL, answers, refuses a taken port.
#[test]
fn the_serve_subcommand_prints_its_url_and_serves() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_bplab"))
        .args(["serve", "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    let addr: SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap_or_else(|e| panic!("{e}: {line}"));
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(format!("GET /api/presets HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    // The same port again: one line, exit 2.
    let taken = Command::new(env!("CARGO_BIN_EXE_bplab"))
        .args(["serve", "--port", &addr.port().to_string()])
        .output()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(out.contains("seed-example"));
    assert_eq!(taken.status.code(), Some(2));
    let err = String::from_utf8_lossy(&taken.stderr);
    assert!(err.contains("cannot listen"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1);
}
