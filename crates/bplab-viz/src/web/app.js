// bplab backprop visualizer: the page's state (topology, weights, example, engine), a request
// to POST /api/trace on every change, and the views drawn from the returned trace: gradient
// flow (‖∂L/∂W‖, ‖∂L/∂b‖, and ‖∂L/∂γ‖, ‖∂L/∂β‖ of normalized layers), network diagram,
// computation graph of one example, forward/normalization/backward/agreement tables,
// SGD steps with a loss curve. With window.BPLAB_TRACE set (the HTML export) it draws that
// trace once and shows no controls. No network access other than this server's API.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const ACTS = ["identity", "relu", "leaky-relu", "sigmoid", "tanh", "gelu", "silu", "softmax"];
  const MAX_UNITS = 16, MAX_EXAMPLES = 4, MAX_INPUTS = 8, MAX_DRAWN = 24;
  const SVGNS = "http://www.w3.org/2000/svg";

  const S = {
    nIn: 2, layers: [], loss: "mse", residual: false, norm: "none", init: "xavier-normal", sigma: 1, seed: 42,
    input: "1,2", target: "0.5", engine: "manual", dtype: "f64", params: null,
    history: [], trace: null, request: null, example: 0, seq: 0, updates: 0,
  };
  const api = { request: null, trace: null, updates: 0, error: null };
  window.bplab = api;

  // ---- numbers ---------------------------------------------------------------------------
  const num = (v) => {
    if (typeof v === "string") return v === "inf" ? Infinity : v === "-inf" ? -Infinity : NaN;
    return v;
  };
  const fmt = (v) => {
    v = num(v);
    if (v === 0) return "0";
    if (!isFinite(v)) return String(v);
    const a = Math.abs(v);
    return a >= 1e-4 && a < 1e5 ? String(Number(v.toPrecision(6))) : v.toExponential(3);
  };
  const at = (t, r, c) => num(t.data[r * t.shape[t.shape.length - 1] + c]);
  const row = (t, r) => {
    const n = t.shape[t.shape.length - 1];
    return t.data.slice(r * n, (r + 1) * n).map(num);
  };
  const vec = (xs, n = 4) => "[" + xs.slice(0, n).map(fmt).join(", ") + (xs.length > n ? ", …" : "") + "]";
  const el = (tag, attrs, text) => {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const sv = (tag, attrs, text) => {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const parseRows = (s) => s.split(";").map((r) => r.trim()).filter((r) => r.length)
    .map((r) => r.split(",").map((v) => Number(v.trim())));

  // ---- request ---------------------------------------------------------------------------
  function buildRequest() {
    const req = {
      layers: [S.nIn].concat(S.layers.map((l) => l.width)),
      activations: S.layers.map((l) => l.act),
      loss: S.loss, residual: S.residual, norm: S.norm,
      init: S.init === "normal" ? "normal:" + S.sigma : S.init, seed: S.seed,
      input: parseRows(S.input), target: parseRows(S.target),
      engine: S.engine, dtype: S.dtype,
    };
    if (S.params) req.params = S.params;
    return req;
  }

  async function post(path, body) {
    const res = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const data = await res.json();
    if (!res.ok) throw new Error(data.error || res.statusText);
    return data;
  }

  let timer = null;
  function recompute() {
    clearTimeout(timer);
    timer = setTimeout(run, 60);
  }
  async function run() {
    const seq = ++S.seq;
    const req = buildRequest();
    try {
      const trace = await post("/api/trace", req);
      if (seq !== S.seq) return;
      show(req, trace);
    } catch (e) {
      if (seq !== S.seq) return;
      fail(e);
    }
  }
  function fail(e) {
    $("error").textContent = e.message;
    api.error = e.message;
    document.body.dataset.updates = String(++S.updates);
  }
  function show(req, trace) {
    $("error").textContent = "";
    api.error = null;
    S.trace = trace;
    S.request = req;
    api.request = req;
    api.trace = trace;
    render(trace);
    api.updates = ++S.updates;
    document.body.dataset.updates = String(S.updates);
  }

  async function train(steps) {
    const seq = ++S.seq;
    const req = buildRequest();
    req.lr = Number($("lr").value);
    req.steps = steps;
    try {
      const out = await post("/api/step", req);
      if (seq !== S.seq) return;
      S.params = out.trace.params;
      S.history = S.history.concat(out.losses.map(num));
      $("train-note").textContent = (out.stopped ? "stopped: " + out.stopped + ". " : "") +
        S.history.length + " steps so far on " + out.engine;
      $("weights-note").textContent = "weights: after SGD steps (change topology, init or seed to re-initialise)";
      delete req.lr; delete req.steps;
      req.params = S.params;
      show(req, out.trace);
    } catch (e) {
      if (seq === S.seq) fail(e);
    }
  }

  // ---- controls --------------------------------------------------------------------------
  function resetWeights() {
    S.params = null;
    S.history = [];
    $("train-note").textContent = "";
    $("weights-note").textContent = "weights: " + (S.init === "normal" ? "normal:" + S.sigma : S.init) + " seed " + S.seed;
  }
  function drawLayers() {
    const box = $("layers");
    box.textContent = "";
    S.layers.forEach((l, i) => {
      const d = el("div", { class: "layer", "data-l": String(i) });
      d.appendChild(el("span", {}, "fc" + (i + 1)));
      const w = el("input", { type: "number", min: "1", class: "width", value: String(l.width), "aria-label": "width of fc" + (i + 1) });
      w.addEventListener("input", () => { const v = parseInt(w.value, 10); if (v >= 1) { l.width = v; resetWeights(); recompute(); } });
      const a = el("select", { class: "act", "aria-label": "activation of fc" + (i + 1) });
      ACTS.forEach((n) => { const o = el("option", {}, n); if (n === l.act) o.selected = true; a.appendChild(o); });
      a.addEventListener("change", () => { l.act = a.value; resetWeights(); recompute(); });
      const rm = el("button", { type: "button", class: "remove", title: "remove this layer" }, "×");
      rm.disabled = S.layers.length <= 1;
      rm.addEventListener("click", () => { S.layers.splice(i, 1); resetWeights(); drawLayers(); recompute(); });
      d.append(w, a, rm);
      box.appendChild(d);
    });
  }
  function loadRequest(r) {
    S.nIn = r.layers[0];
    S.layers = r.layers.slice(1).map((w, i) => ({ width: w, act: r.activations[i] }));
    S.loss = r.loss || "mse";
    S.residual = !!r.residual;
    S.norm = r.norm || "none";
    const init = r.init || "xavier-normal";
    if (init.startsWith("normal:")) { S.init = "normal"; S.sigma = Number(init.slice(7)); } else S.init = init;
    S.seed = r.seed === undefined ? 42 : r.seed;
    S.input = r.input.map((x) => x.join(",")).join("; ");
    S.target = r.target.map((x) => x.join(",")).join("; ");
    resetWeights();
    if (r.params) { S.params = r.params; $("weights-note").textContent = "weights: the preset's own"; }
    syncControls();
    recompute();
  }
  function syncControls() {
    $("n-in").value = S.nIn; $("loss").value = S.loss; $("residual").checked = S.residual; $("norm").value = S.norm;
    $("init").value = S.init; $("sigma").value = S.sigma; $("seed").value = S.seed;
    $("sigma-label").hidden = S.init !== "normal";
    $("input").value = S.input; $("target").value = S.target;
    $("engine").value = S.engine; $("dtype").value = S.dtype;
    drawLayers();
  }
  function bind() {
    const on = (id, ev, f) => $(id).addEventListener(ev, () => { f($(id)); recompute(); });
    on("n-in", "input", (e) => { const v = parseInt(e.value, 10); if (v >= 1) { S.nIn = v; resetWeights(); } });
    on("loss", "change", (e) => { S.loss = e.value; });
    on("residual", "change", (e) => { S.residual = e.checked; });
    on("norm", "change", (e) => { S.norm = e.value; resetWeights(); });
    on("init", "change", (e) => { S.init = e.value; $("sigma-label").hidden = S.init !== "normal"; resetWeights(); });
    on("sigma", "input", (e) => { S.sigma = Number(e.value); resetWeights(); });
    on("seed", "input", (e) => { S.seed = Math.max(0, parseInt(e.value, 10) || 0); resetWeights(); });
    on("input", "input", (e) => { S.input = e.value; });
    on("target", "input", (e) => { S.target = e.value; });
    on("engine", "change", (e) => {
      S.engine = e.value;
      const dtypes = engineDtypes(S.engine);
      if (!dtypes.includes(S.dtype)) { S.dtype = dtypes[0]; $("dtype").value = S.dtype; }
    });
    on("dtype", "change", (e) => { S.dtype = e.value; });
    $("add-layer").addEventListener("click", () => {
      // A hidden layer before the output layer, as wide as the layer it follows.
      const prevWidth = S.layers.length >= 2 ? S.layers[S.layers.length - 2].width : S.nIn;
      S.layers.splice(Math.max(0, S.layers.length - 1), 0, { width: prevWidth, act: "tanh" });
      resetWeights(); drawLayers(); recompute();
    });
    $("example").addEventListener("change", () => { S.example = Number($("example").value); drawGraph(S.trace); drawDiagram(S.trace); });
    $("step").addEventListener("click", () => train(1));
    $("run").addEventListener("click", () => train(Math.max(1, Math.min(1000, parseInt($("n-steps").value, 10) || 1))));
  }
  // The engine menu: the engines this binary was built with (GET /api/engines), each with the
  // dtypes it computes in; choosing an f32-only engine (burn-wgpu) switches the dtype to f32.
  async function loadEngines() {
    const res = await fetch("/api/engines");
    const engines = await res.json();
    const menu = $("engine");
    menu.textContent = "";
    engines.forEach((e) => {
      const o = el("option", { value: e.name, "data-dtypes": e.dtypes.join(",") }, e.name);
      menu.appendChild(o);
    });
    menu.value = S.engine;
  }
  function engineDtypes(name) {
    const o = Array.from($("engine").options).find((x) => x.value === name);
    return o ? o.getAttribute("data-dtypes").split(",") : ["f64", "f32"];
  }
  async function loadPresets() {
    const res = await fetch("/api/presets");
    const presets = await res.json();
    presets.forEach((p) => {
      const b = el("button", { type: "button", "data-preset": p.name, title: p.title }, p.name + " — " + p.title);
      b.addEventListener("click", () => loadRequest(p.request));
      $("presets").appendChild(b);
    });
    loadRequest(presets[0].request);
  }

  // ---- views -----------------------------------------------------------------------------
  function render(t) {
    const ref = t.results[0];
    const B = t.batch.x.shape[0];
    if (S.example >= B) S.example = 0;
    const ex = $("example");
    ex.textContent = "";
    for (let b = 0; b < Math.min(B, 64); b++) { const o = el("option", { value: String(b) }, String(b)); if (b === S.example) o.selected = true; ex.appendChild(o); }
    $("summary").textContent = t.network.layers.join("-") + " " + t.network.activations.join(",") + " " +
      t.network.loss + (t.network.residual ? " residual" : "") +
      (t.network.norm && t.network.norm !== "none" ? " " + t.network.norm + "-norm" : "") + " · " + t.network.n_params + " params · " +
      ref.engine + " " + ref.dtype + " · loss " + fmt(ref.loss);
    drawFlow(t); drawDiagram(t); drawGraph(t); drawForward(t); drawNorm(t); drawBackward(t); drawAgreement(t); drawLoss();
  }

  function drawFlow(t) {
    const box = $("flow");
    box.textContent = "";
    t.flow.layers.forEach((f) => {
      const d = el("div", { class: "flow-layer", "data-layer": f.name, "data-norm": String(f.grad_norm), "data-status": f.status });
      d.style.background = f.colour;
      d.appendChild(el("b", {}, f.name));
      d.appendChild(el("span", { class: "norm" }, "‖∂L/∂W‖ " + fmt(f.grad_norm)));
      d.appendChild(el("br"));
      d.appendChild(el("span", {}, "mean|δ| " + (f.mean_abs_delta === null ? "n/a" : fmt(f.mean_abs_delta))));
      if (f.status !== "ok") { d.appendChild(el("br")); d.appendChild(el("span", { class: "mark" }, f.status.toUpperCase())); }
      // b, γ, β: each parameter's ‖∂L/∂θ‖ on the same scale, in its own colour.
      (f.params || []).filter((p) => p.symbol !== "W").forEach((p) => {
        const c = el("div", { class: "flow-param", "data-param": p.name, "data-symbol": p.symbol, "data-norm": String(p.grad_norm), title: p.name },
          "‖∂L/∂" + p.symbol + "‖ " + fmt(p.grad_norm));
        c.style.background = p.colour;
        d.appendChild(c);
      });
      box.appendChild(d);
    });
    const s = t.flow.scale, lg = $("flow-legend");
    lg.textContent = "";
    const bar = el("div", { class: "bar" });
    bar.style.background = "linear-gradient(to right," + s.stops.join(",") + ")";
    const ticks = el("div", { class: "ticks" });
    for (let e = s.lo; e <= s.hi; e += 2) ticks.appendChild(el("span", {}, "1e" + e));
    lg.append(bar, ticks, el("div", {}, "vanishing: < " + t.flow.vanishing_ratio.toExponential(0) + " × the largest layer's norm · exploding: > " + t.flow.exploding_norm));
  }

  const tip = () => $("tooltip");
  function hover(node, text) {
    node.addEventListener("mousemove", (ev) => { const t = tip(); t.hidden = false; t.textContent = text; t.style.left = ev.clientX + 12 + "px"; t.style.top = ev.clientY + 12 + "px"; });
    node.addEventListener("mouseleave", () => { tip().hidden = true; });
    node.appendChild(sv("title", {}, text));
  }

  function drawDiagram(t) {
    const svg = $("diagram");
    svg.textContent = "";
    if (!t) return;
    const ref = t.results[0], widths = t.network.layers, b = S.example;
    const cols = widths.map((w) => Math.min(w, MAX_DRAWN));
    const dx = 140, dy = 22, H = Math.max(...cols) * dy + 40;
    svg.setAttribute("width", String(widths.length * dx + 40));
    svg.setAttribute("height", String(H));
    const pos = (l, i) => [30 + l * dx, 20 + (H - 40 - cols[l] * dy) / 2 + i * dy + dy / 2];
    let wmax = 0;
    for (let l = 1; l < widths.length; l++) for (const v of t.params["fc" + l + ".weight"].data) wmax = Math.max(wmax, Math.abs(num(v)));
    for (let l = 1; l < widths.length; l++) {
      const W = t.params["fc" + l + ".weight"], G = ref.grads["fc" + l + ".weight"], nin = widths[l - 1];
      for (let j = 0; j < cols[l]; j++) for (let i = 0; i < cols[l - 1]; i++) {
        const w = num(W.data[j * nin + i]), g = num(G.data[j * nin + i]);
        const [x1, y1] = pos(l - 1, i), [x2, y2] = pos(l, j);
        const line = sv("line", { x1, y1, x2, y2, class: "edge", stroke: w >= 0 ? "#3b4cc0" : "#e8743b",
          "stroke-width": String(0.4 + 3.6 * (wmax > 0 ? Math.abs(w) / wmax : 0)), "stroke-opacity": "0.75" });
        hover(line, "fc" + l + ".weight[" + j + "," + i + "] = " + fmt(w) + "\n∂L/∂w = " + fmt(g));
        svg.appendChild(line);
      }
    }
    for (let l = 0; l < widths.length; l++) {
      for (let i = 0; i < cols[l]; i++) {
        const [x, y] = pos(l, i);
        let text, v;
        if (l === 0) { v = at(t.batch.x, b, i); text = "x[" + i + "] = " + fmt(v); } else {
          const L = ref.layers[l - 1];
          v = at(L.h, b, i);
          const N = L.norm;
          const normText = N ? "\nn̂ = " + fmt(at(N.n_hat, b, i)) + " (" + N.kind + "-norm: μ " +
            fmt(num(N.mean.data[N.kind === "batch" ? i : b])) + ", σ² " + fmt(num(N.var.data[N.kind === "batch" ? i : b])) + ")" +
            "\n∂L/∂γ = " + fmt(num(N.grad_gamma.data[i])) + ", ∂L/∂β = " + fmt(num(N.grad_beta.data[i])) : "";
          text = L.name + " unit " + i + "\nz = " + fmt(at(L.z, b, i)) + normText + "\nh = " + fmt(v) +
            "\nδ = ∂L/∂z = " + (L.delta ? fmt(at(L.delta, b, i)) : "n/a (" + ref.engine + " exposes no δ)") +
            (L.grad_h ? "\n∂L/∂h = " + fmt(at(L.grad_h, b, i)) : "") + "\n∂L/∂b = " + fmt(num(L.grad_bias.data[i]));
        }
        const a = Math.min(1, Math.abs(v));
        const c = sv("circle", { cx: x, cy: y, r: "7", class: "neuron", stroke: "#333",
          fill: v >= 0 ? "rgba(59,76,192," + a + ")" : "rgba(232,116,59," + a + ")" });
        hover(c, text);
        svg.appendChild(c);
      }
      if (widths[l] > cols[l]) svg.appendChild(sv("text", { x: pos(l, 0)[0] - 12, y: H - 4 }, "+" + (widths[l] - cols[l]) + " more"));
      svg.appendChild(sv("text", { x: pos(l, 0)[0] - 12, y: 12 }, l === 0 ? "x" : "fc" + l));
    }
  }

  function drawGraph(t) {
    const svg = $("graph");
    svg.textContent = "";
    if (!t) return;
    const ref = t.results[0], b = S.example, nl = ref.layers.length;
    const BW = 250, BH = 44, GAP = 30, RH = 120;
    const vec3 = (xs) => vec(xs, 3);
    const nodes = [], edges = [];
    const node = (col, rowi, label, v, g, cls) => { nodes.push({ x: 10 + col * (BW + GAP), y: 10 + rowi * RH + 56, label, v, g, cls }); return nodes.length - 1; };
    const pnode = (col, rowi, label, v, g) => { nodes.push({ x: 10 + col * (BW + GAP), y: 10 + rowi * RH, label, v, g, cls: "param" }); return nodes.length - 1; };
    const x = row(t.batch.x, b);
    let prev = node(0, 0, "x (input)", vec3(x), "(not needed for ∂L/∂θ)", "");
    for (let l = 0; l < nl; l++) {
      const L = ref.layers[l], k = l + 1;
      const W = t.params["fc" + k + ".weight"], bias = t.params["fc" + k + ".bias"];
      const z = row(L.z, b), h = row(L.h, b), bv = row(bias, 0);
      const wx = z.map((zi, i) => zi - bv[i]);
      const d = L.delta ? vec3(row(L.delta, b)) : "n/a (no δ from " + ref.engine + ")";
      const col0 = l === 0 ? 1 : 0, r = l === 0 ? 0 : l;
      const pw = pnode(col0, r, "fc" + k + ".weight " + W.shape.join("×"), "‖W‖ " + fmt(Math.hypot(...W.data.map(num))), "‖∂L/∂W‖ " + fmt(Math.hypot(...ref.grads["fc" + k + ".weight"].data.map(num))));
      const mm = node(col0, r, "matmul W·h", vec3(wx), d, "");
      const pb = pnode(col0 + 1, r, "fc" + k + ".bias", vec3(bv), vec3(row(L.grad_bias, 0)));
      const add = node(col0 + 1, r, "add +b → z" + k, vec3(z), d, "");
      const normed = L.norm ? L.norm.kind + "-norm γ,β → " : "";
      const act = node(col0 + 2, r, normed + L.activation + (L.residual ? " (+ h_prev)" : "") + " → h" + k, vec3(h), L.grad_h ? vec3(row(L.grad_h, b)) : "n/a", "");
      edges.push([prev, mm], [pw, mm], [mm, add], [pb, add], [add, act]);
      if (L.residual) edges.push([prev, act]);
      prev = act;
    }
    const loss = node(Math.min(4, nl === 1 ? 4 : 3), nl - 1 + (nl === 1 ? 0 : 0), "loss (" + t.network.loss + ")", fmt(ref.loss), "1", "loss");
    if (nl > 1) { nodes[loss].x = 10 + 3 * (BW + GAP); }
    edges.push([prev, loss]);
    const maxX = Math.max(...nodes.map((n) => n.x)) + BW + 10, maxY = Math.max(...nodes.map((n) => n.y)) + BH + 10;
    svg.setAttribute("width", String(maxX)); svg.setAttribute("height", String(maxY));
    const defs = sv("defs");
    const m = sv("marker", { id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "6", markerHeight: "6", orient: "auto-start-reverse" });
    m.appendChild(sv("path", { d: "M0,0 L10,5 L0,10 z", fill: "#888" }));
    defs.appendChild(m); svg.appendChild(defs);
    for (const [a, c] of edges) {
      const A = nodes[a], C = nodes[c];
      const [x1, y1] = C.y > A.y + BH ? [A.x + BW / 2, A.y + BH] : C.y + BH < A.y ? [A.x + BW / 2, A.y] : [A.x + BW, A.y + BH / 2];
      const [x2, y2] = C.y > A.y + BH ? [C.x + BW / 2, C.y] : C.y + BH < A.y ? [C.x + BW / 2, C.y + BH] : [C.x, C.y + BH / 2];
      svg.appendChild(sv("line", { x1, y1, x2, y2, stroke: "#888", "marker-end": "url(#arrow)" }));
    }
    for (const n of nodes) {
      const g = sv("g", { class: "gnode " + n.cls, transform: "translate(" + n.x + "," + n.y + ")" });
      g.appendChild(sv("rect", { width: BW, height: BH, rx: "4" }));
      g.appendChild(sv("text", { x: "6", y: "13", "font-weight": "700" }, n.label));
      g.appendChild(sv("text", { x: "6", y: "27" }, "v " + n.v));
      g.appendChild(sv("text", { x: "6", y: "40", fill: "#b0401a" }, "g " + n.g));
      svg.appendChild(g);
    }
  }

  function table(id, header, rows) {
    const tb = $(id);
    tb.textContent = "";
    const tr = el("tr");
    header.forEach((h, i) => tr.appendChild(el("th", { class: i < 3 ? "name" : "" }, h)));
    tb.appendChild(tr);
    rows.forEach((r) => {
      const tr = el("tr");
      r.forEach((c) => {
        if (c && typeof c === "object") {
          const td = el("td", { "data-key": c.key, "data-v": String(c.v) }, fmt(c.v));
          tr.appendChild(td);
        } else tr.appendChild(el("td", { class: "name" }, c === undefined ? "" : String(c)));
      });
      tb.appendChild(tr);
    });
  }

  function drawForward(t) {
    const ref = t.results[0], B = Math.min(t.batch.x.shape[0], MAX_EXAMPLES);
    const header = ["layer", "act", "unit"];
    for (let b = 0; b < B; b++) header.push("z[ex " + b + "]", "h[ex " + b + "]");
    const rows = [];
    ref.layers.forEach((L, l) => {
      const n = L.z.shape[1];
      for (let u = 0; u < Math.min(n, MAX_UNITS); u++) {
        const r = [L.name, L.activation + (L.residual ? " +res" : ""), String(u)];
        for (let b = 0; b < B; b++) {
          r.push({ key: "z" + (l + 1) + ":" + b + ":" + u, v: L.z.data[b * n + u] }, { key: "h" + (l + 1) + ":" + b + ":" + u, v: L.h.data[b * n + u] });
        }
        rows.push(r);
      }
      if (n > MAX_UNITS) rows.push(["", "", "… " + (n - MAX_UNITS) + " more"]);
    });
    table("forward-table", header, rows);
    const out = [];
    for (let b = 0; b < B; b++) out.push("ŷ[ex " + b + "] = " + vec(row(ref.output, b)));
    $("forward-summary").textContent = out.join("   ") + "   loss = " + fmt(ref.loss);
    $("forward-summary").dataset.loss = String(ref.loss);
  }

  // μ, σ² of each normalized layer (per example for LayerNorm, per unit for BatchNorm), then
  // per unit n̂ of the first examples, γ, β and ∂L/∂γ, ∂L/∂β.
  function drawNorm(t) {
    const ref = t.results[0], B = Math.min(t.batch.x.shape[0], MAX_EXAMPLES);
    const normed = ref.layers.map((L, l) => [L, l]).filter(([L]) => L.norm);
    $("norm-view").hidden = normed.length === 0;
    if (!normed.length) { $("norm-stats").textContent = ""; $("norm-table").textContent = ""; return; }
    const stats = [];
    normed.forEach(([L, l]) => {
      const N = L.norm, byUnit = N.kind === "batch";
      for (let g = 0; g < Math.min(N.mean.shape[0], byUnit ? MAX_UNITS : MAX_EXAMPLES); g++) {
        stats.push([L.name, N.kind, byUnit ? "unit " + g + " over the batch" : "example " + g + " over the units",
          { key: "mean" + (l + 1) + ":" + g, v: N.mean.data[g] }, { key: "var" + (l + 1) + ":" + g, v: N.var.data[g] }]);
      }
      if (N.mean.shape[0] > (byUnit ? MAX_UNITS : MAX_EXAMPLES)) stats.push(["", "", "… " + (N.mean.shape[0] - (byUnit ? MAX_UNITS : MAX_EXAMPLES)) + " more"]);
    });
    table("norm-stats", ["layer", "norm", "statistics of", "μ", "σ²"], stats);
    const header = ["layer", "unit", ""];
    for (let b = 0; b < B; b++) header.push("n̂[ex " + b + "]");
    header.push("γ", "β", "∂L/∂γ", "∂L/∂β");
    const rows = [];
    normed.forEach(([L, l]) => {
      const N = L.norm, n = N.n_hat.shape[1], k = l + 1;
      const gamma = t.params["norm" + k + ".weight"], beta = t.params["norm" + k + ".bias"];
      for (let u = 0; u < Math.min(n, MAX_UNITS); u++) {
        const r = [L.name, String(u), ""];
        for (let b = 0; b < B; b++) r.push({ key: "nhat" + k + ":" + b + ":" + u, v: N.n_hat.data[b * n + u] });
        r.push({ key: "gamma" + k + ":" + u, v: gamma.data[u] }, { key: "beta" + k + ":" + u, v: beta.data[u] },
          { key: "ggamma" + k + ":" + u, v: N.grad_gamma.data[u] }, { key: "gbeta" + k + ":" + u, v: N.grad_beta.data[u] });
        rows.push(r);
      }
      if (n > MAX_UNITS) rows.push(["", "… " + (n - MAX_UNITS) + " more"]);
    });
    table("norm-table", header, rows);
    $("norm-summary").textContent = normed.map(([L]) => L.name).join(", ") + ": " +
      (normed[0][0].norm.kind === "batch" ? "BatchNorm, μ and σ² per unit over the batch" : "LayerNorm, μ and σ² per example over the layer's units") +
      "; z is in the forward table; ∂L/∂γ = Σ_batch ∂L/∂n ⊙ n̂, ∂L/∂β = Σ_batch ∂L/∂n";
  }

  function drawBackward(t) {
    const ref = t.results[0], B = Math.min(t.batch.x.shape[0], MAX_EXAMPLES);
    const header = ["layer", "unit", ""];
    for (let b = 0; b < B; b++) header.push("δ[ex " + b + "]");
    header.push("∂L/∂b");
    const maxIn = Math.max(...ref.layers.map((L) => L.grad_weight.shape[1]));
    for (let i = 0; i < Math.min(maxIn, MAX_INPUTS); i++) header.push("∂L/∂W[u," + i + "]");
    const rows = [], sums = [];
    for (let l = ref.layers.length - 1; l >= 0; l--) {
      const L = ref.layers[l], n = L.grad_weight.shape[0], nin = L.grad_weight.shape[1];
      for (let u = 0; u < Math.min(n, MAX_UNITS); u++) {
        const r = [L.name, String(u), ""];
        for (let b = 0; b < B; b++) r.push(L.delta ? { key: "delta" + (l + 1) + ":" + b + ":" + u, v: L.delta.data[b * n + u] } : "n/a: " + ref.engine + " exposes no δ");
        r.push({ key: "gb" + (l + 1) + ":" + u, v: L.grad_bias.data[u] });
        for (let i = 0; i < Math.min(nin, MAX_INPUTS); i++) r.push({ key: "gw" + (l + 1) + ":" + u + ":" + i, v: L.grad_weight.data[u * nin + i] });
        if (nin > MAX_INPUTS) r.push("… " + (nin - MAX_INPUTS) + " more");
        rows.push(r);
      }
      if (n > MAX_UNITS) rows.push(["", "… " + (n - MAX_UNITS) + " more"]);
      sums.push("sum ∂L/∂W" + (l + 1) + " = " + fmt(L.grad_weight.data.map(num).reduce((a, c) => a + c, 0)));
    }
    table("backward-table", header, rows);
    $("backward-summary").textContent = sums.join("   ");
  }

  function drawAgreement(t) {
    const view = $("agreement-view");
    const others = t.results.slice(1).map((r) => r.engine);
    view.hidden = others.length === 0;
    if (!others.length) return;
    const tb = $("agreement-table");
    tb.textContent = "";
    const tr = el("tr");
    tr.appendChild(el("th", { class: "name" }, "tensor"));
    others.forEach((o) => tr.appendChild(el("th", {}, o + " vs " + t.results[0].engine)));
    tb.appendChild(tr);
    t.agreement.forEach((a) => {
      const r = el("tr");
      r.appendChild(el("td", { class: "name" }, a.tensor));
      others.forEach((o) => {
        const v = a.engines[o];
        if (v.agree === null) r.appendChild(el("td", { class: "na" }, "— " + v.note));
        else r.appendChild(el("td", { class: v.agree ? "ok" : "bad", title: "|a−b| ≤ " + v.tolerance.atol + " + " + v.tolerance.rtol + "·|b|" }, (v.agree ? "✓ " : "✗ ") + "max|Δ| " + fmt(v.max_abs)));
      });
      tb.appendChild(r);
    });
  }

  function drawLoss() {
    const svg = $("loss-curve");
    svg.textContent = "";
    const h = S.history.filter((v) => isFinite(v));
    if (h.length < 2) { svg.appendChild(sv("text", { x: "4", y: "45" }, "loss curve: press step or run")); return; }
    const W = 260, H = 90, log = h.every((v) => v > 0);
    const ys = h.map((v) => (log ? Math.log10(v) : v));
    const lo = Math.min(...ys), hi = Math.max(...ys), span = hi - lo || 1;
    const pts = ys.map((y, i) => (4 + (i * (W - 8)) / (ys.length - 1)).toFixed(1) + "," + (H - 12 - ((y - lo) / span) * (H - 24)).toFixed(1));
    svg.appendChild(sv("polyline", { points: pts.join(" "), fill: "none", stroke: "#3b4cc0", "stroke-width": "1.5" }));
    svg.appendChild(sv("text", { x: "4", y: "10" }, "loss " + fmt(h[0]) + " → " + fmt(h[h.length - 1]) + (log ? " (log)" : "")));
  }

  // ---- start -----------------------------------------------------------------------------
  if (window.BPLAB_TRACE) {
    document.body.classList.add("static");
    S.trace = window.BPLAB_TRACE;
    api.trace = S.trace;
    $("example").addEventListener("change", () => { S.example = Number($("example").value); drawGraph(S.trace); drawDiagram(S.trace); });
    render(S.trace);
  } else {
    bind();
    loadEngines().then(loadPresets).catch(fail);
  }
})();
