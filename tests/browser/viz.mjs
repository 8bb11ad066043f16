// The visualizer in a real browser: starts `bplab serve --port 0`, drives the page in headless
// Chromium (the system's /usr/bin/chromium through playwright-core; no browser download),
// changes a layer width and an activation, and asserts that the forward and backward tables
// and the gradient-flow view show exactly the numbers POST /api/trace returns for the request
// the page sent. Also: an invalid network shows the server's message, SGD steps lower the
// loss, a preset click marks a vanishing layer, and the page fetches nothing but this server.
// A normalized network (the editor's norm selector, LayerNorm then BatchNorm on three
// examples, and a LayerNorm export): the normalization view shows the trace's μ, σ², n̂, γ, β,
// ∂L/∂γ, ∂L/∂β and the gradient-flow view the trace's ‖∂L/∂b‖, ‖∂L/∂γ‖, ‖∂L/∂β‖; the
// deep-sigmoid-layernorm preset marks no layer vanishing; the engine menu is /api/engines'.
// Saves target/viz-browser.png, target/viz-browser-vanishing.png, target/viz-browser-norm.png.
//
// Usage: node tests/browser/viz.mjs [path/to/bplab]   (env CHROMIUM overrides the browser)
import { chromium } from "playwright-core";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const bin = process.argv[2] || path.join(root, "target/debug/bplab");
const exe = process.env.CHROMIUM || "/usr/bin/chromium";
const shot = path.join(root, "target/viz-browser.png");

function die(msg) {
  console.error("FAIL: " + msg);
  process.exitCode = 1;
  throw new Error(msg);
}
function check(cond, msg) {
  if (!cond) die(msg);
}
// The display rounds to 6 significant digits: |shown − v| ≤ 1e-12 + 1e-5·|v|.
function shownOk(text, v) {
  return Math.abs(Number(text) - v) <= 1e-12 + 1e-5 * Math.abs(v);
}

const rgb = (hex) => `rgb(${hex.match(/[0-9a-f]{2}/g).map((h) => parseInt(h, 16)).join(", ")})`;

// The normalization view and the flow's parameter chips of page `pg` against `trace`: every
// numbered cell holds the trace's number and shows it to 6 digits, every normalized layer has
// a row per unit, and each layer's b (and γ, β) chip has the trace's ‖∂L/∂θ‖ and colour.
async function checkNorm(pg, trace, what) {
  const ref = trace.results[0];
  const normed = ref.layers.map((L, l) => [L, l + 1]).filter(([L]) => L.norm);
  check(normed.length > 0, what + ": the trace has no normalized layer");
  check(await pg.isVisible("#norm-view"), what + ": the normalization view is hidden");
  const valueOf = (key) => {
    const [name, ...idx] = key.split(":");
    const m = name.match(/^([a-z]+)(\d+)$/);
    const k = Number(m[2]), N = ref.layers[k - 1].norm, i = idx.map(Number);
    const v = {
      mean: () => N.mean.data[i[0]], var: () => N.var.data[i[0]],
      nhat: () => N.n_hat.data[i[0] * N.n_hat.shape[1] + i[1]],
      gamma: () => trace.params["norm" + k + ".weight"].data[i[0]],
      beta: () => trace.params["norm" + k + ".bias"].data[i[0]],
      ggamma: () => N.grad_gamma.data[i[0]], gbeta: () => N.grad_beta.data[i[0]],
    }[m[1]];
    if (!v) die(`${what}: unknown cell ${key}`);
    return v();
  };
  let count = 0;
  const keys = [];
  for (const table of ["norm-stats", "norm-table"]) {
    const cells = await pg.$$eval(`#${table} td[data-key]`, (tds) => tds.map((td) => [td.dataset.key, td.dataset.v, td.textContent]));
    check(cells.length > 0, `${what}: ${table} has no numbers`);
    for (const [key, v, text] of cells) {
      const want = valueOf(key);
      check(Number(v) === want, `${what} ${table} ${key}: page holds ${v}, trace says ${want}`);
      check(shownOk(text, want), `${what} ${table} ${key}: page shows ${text}, trace says ${want}`);
      keys.push(key);
    }
    count += cells.length;
  }
  for (const [L, k] of normed) {
    const units = Math.min(L.norm.n_hat.shape[1], 16);
    for (const p of ["ggamma", "gbeta", "mean", "nhat"]) {
      const n = keys.filter((key) => key.startsWith(p + k + ":")).length;
      const want = p === "mean" ? Math.min(L.norm.mean.shape[0], L.norm.kind === "batch" ? 16 : 4) :
        p === "nhat" ? units * Math.min(trace.batch.x.shape[0], 4) : units;
      check(n === want, `${what} ${L.name}: ${n} ${p} cells, expected ${want}`);
    }
  }
  const chips = await pg.$$eval("#flow .flow-param", (cs) => cs.map((c) => [c.closest(".flow-layer").dataset.layer, c.dataset.param,
    c.dataset.symbol, c.dataset.norm, getComputedStyle(c).backgroundColor]));
  const want = trace.flow.layers.flatMap((f) => f.params.filter((p) => p.symbol !== "W").map((p) => [f.name, p]));
  check(chips.length === want.length, `${what}: ${chips.length} parameter chips in the flow, trace has ${want.length}`);
  chips.forEach(([layer, param, symbol, norm, bg], i) => {
    const [name, p] = want[i];
    check(layer === name && param === p.name && symbol === p.symbol && Number(norm) === p.grad_norm,
      `${what} flow chip ${layer} ${param} ${symbol} ${norm}: trace ${name} ${p.name} ${p.symbol} ${p.grad_norm}`);
    check(bg === rgb(p.colour), `${what} flow chip ${param}: colour ${bg}, trace ${p.colour}`);
    const g = Math.hypot(...ref.grads[param].data);
    check(Math.abs(Number(norm) - g) <= 1e-12 * g, `${what} flow chip ${param}: ${norm} is not ‖∂L/∂θ‖ = ${g}`);
  });
  const gammas = chips.filter((c) => c[2] === "γ" || c[2] === "β").map((c) => c[1]);
  const expected = normed.flatMap(([, k]) => ["norm" + k + ".weight", "norm" + k + ".bias"]);
  check(JSON.stringify(gammas) === JSON.stringify(expected), `${what}: γ/β chips ${gammas}, expected ${expected}`);
  return [count, chips.filter((c) => c[2] === "γ").map((c) => c[0] + " ‖∂L/∂γ‖ " + Number(c[3]).toExponential(3))];
}

if (!fs.existsSync(exe)) {
  console.error(`FAIL: no Chromium at ${exe} (apt-get install -y chromium chromium-driver)`);
  process.exit(1);
}
if (!fs.existsSync(bin)) {
  console.error(`FAIL: no bplab binary at ${bin} (cargo build --bin bplab)`);
  process.exit(1);
}

const server = spawn(bin, ["serve", "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
let browser, userDataDir;
try {
  const base = await new Promise((resolve, reject) => {
    let buf = "";
    server.stdout.on("data", (d) => {
      buf += d;
      const m = buf.match(/http:\/\/[^\s]+\//);
      if (m) resolve(m[0]);
    });
    server.on("exit", (c) => reject(new Error("bplab serve exited with " + c)));
    setTimeout(() => reject(new Error("bplab serve printed no URL in 30 s")), 30000);
  });
  console.log("server at " + base);

  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bplab-chromium-"));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: exe,
    headless: true,
    viewport: { width: 1500, height: 1100 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const page = browser.pages()[0] || (await browser.newPage());
  const foreign = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) foreign.push(r.url()); });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(base);
  await page.waitForFunction(() => window.bplab && window.bplab.trace !== null, null, { timeout: 60000 });
  const loss0 = await page.evaluate(() => Number(document.getElementById("forward-summary").dataset.loss));
  // The lesson's worked example is the first preset: loss 0.012361055759216734.
  check(Math.abs(loss0 - 0.012361055759216734) <= 1e-15 + 1e-12 * 0.0124, "seed-example loss on the page is " + loss0);

  // The engine menu lists what this binary was built with (GET /api/engines), then "all".
  const menu = await page.evaluate(async () => {
    const api = (await (await fetch("/api/engines")).json()).map((e) => e.name);
    const options = Array.from(document.getElementById("engine").options).map((o) => o.value);
    return { api, options };
  });
  check(menu.options.length >= 2 && menu.options[0] === "manual" && menu.options[menu.options.length - 1] === "all",
    "engine menu: " + menu.options.join(","));
  check(JSON.stringify(menu.options) === JSON.stringify(menu.api),
    "engine menu " + menu.options.join(",") + " is /api/engines' " + menu.api.join(","));

  // Change the first layer's width to 5 and its activation to tanh.
  const before = await page.evaluate(() => window.bplab.updates);
  await page.fill('#layers .layer[data-l="0"] input.width', "5");
  await page.selectOption('#layers .layer[data-l="0"] select.act', "tanh");
  await page.waitForFunction((n) => {
    const b = window.bplab;
    return b.updates > n && b.request.layers[1] === 5 && b.request.activations[0] === "tanh" &&
      b.trace.network.layers[1] === 5 && b.trace.network.activations[0] === "tanh";
  }, before, { timeout: 60000 });
  const request = await page.evaluate(() => window.bplab.request);

  // The same request straight to the API.
  const res = await fetch(base + "api/trace", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(request) });
  check(res.ok, "POST /api/trace answered " + res.status);
  const api = await res.json();
  const ref = api.results[0];
  const tensorOf = (kind, l) => {
    const L = ref.layers[l];
    return { z: L.z, h: L.h, delta: L.delta, gb: L.grad_bias, gw: L.grad_weight }[kind];
  };
  const valueOf = (key) => {
    const [name, ...idx] = key.split(":");
    const m = name.match(/^([a-z]+)(\d+)$/);
    const t = tensorOf(m[1], Number(m[2]) - 1);
    const i = idx.map(Number);
    if (m[1] === "gb") return t.data[i[0]];
    return t.data[i[0] * t.shape[1] + i[1]];
  };
  for (const table of ["forward-table", "backward-table"]) {
    const cells = await page.$$eval(`#${table} td[data-key]`, (tds) => tds.map((td) => [td.dataset.key, td.dataset.v, td.textContent]));
    check(cells.length > 0, table + " has no numbers");
    for (const [key, v, text] of cells) {
      const want = valueOf(key);
      check(Number(v) === want, `${table} ${key}: page holds ${v}, API says ${want}`);
      check(shownOk(text, want), `${table} ${key}: page shows ${text}, API says ${want}`);
    }
    console.log(`${table}: ${cells.length} cells equal the API's numbers`);
  }
  const fc1Rows = await page.$$eval("#forward-table td[data-key^='z1:0:']", (tds) => tds.length);
  check(fc1Rows === 5, "forward table shows " + fc1Rows + " units of fc1, expected 5");
  const acts = await page.$$eval("#forward-table tr", (trs) => trs.slice(1).map((tr) => tr.children[1].textContent));
  check(acts.slice(0, 5).every((a) => a === "tanh"), "fc1 rows do not say tanh: " + acts.slice(0, 5));

  const flow = await page.$$eval("#flow .flow-layer", (ds) => ds.map((d) => [d.dataset.layer, d.dataset.norm, d.dataset.status, getComputedStyle(d).backgroundColor]));
  check(flow.length === api.flow.layers.length, "flow view has " + flow.length + " layers");
  flow.forEach(([name, norm, status, bg], i) => {
    const f = api.flow.layers[i];
    check(name === f.name && Number(norm) === f.grad_norm && status === f.status, `flow ${name}: ${norm} ${status} vs API ${f.grad_norm} ${f.status}`);
    const hex = f.colour.match(/[0-9a-f]{2}/g).map((h) => parseInt(h, 16));
    check(bg === `rgb(${hex.join(", ")})`, `flow ${name} colour ${bg}, API ${f.colour}`);
  });
  console.log("gradient flow: " + flow.map(([n, v]) => n + " " + Number(v).toExponential(3)).join(", "));
  check(await page.$$eval("#diagram line.edge", (l) => l.length) === 2 * 5 + 5 * 1, "network diagram edge count");

  // A network the server refuses: its message appears on the page.
  await page.selectOption("#loss", "cross-entropy");
  await page.waitForFunction(() => window.bplab.error !== null, null, { timeout: 30000 });
  const err = await page.textContent("#error");
  check(/softmax/.test(err), "error shown for cross-entropy without softmax: " + err);
  await page.selectOption("#loss", "mse");
  await page.waitForFunction(() => window.bplab.error === null, null, { timeout: 30000 });

  // Twenty SGD steps lower the loss and draw the curve.
  const lossBefore = await page.evaluate(() => window.bplab.trace.results[0].loss);
  await page.fill("#n-steps", "20");
  await page.click("#run");
  await page.waitForFunction(() => /20 steps/.test(document.getElementById("train-note").textContent), null, { timeout: 60000 });
  const lossAfter = await page.evaluate(() => window.bplab.trace.results[0].loss);
  check(lossAfter < lossBefore, `20 SGD steps: loss ${lossBefore} → ${lossAfter}`);
  check(await page.$$eval("#loss-curve polyline", (p) => p.length) === 1, "no loss curve drawn");
  console.log(`SGD: loss ${lossBefore} → ${lossAfter}`);

  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });

  // One click on a preset: the deep sigmoid net, whose first layer is marked vanishing.
  const beforePreset = await page.evaluate(() => window.bplab.updates);
  await page.click('#presets button[data-preset="deep-sigmoid"]');
  await page.waitForFunction((n) => window.bplab.updates > n && window.bplab.trace.network.layers.length === 16, beforePreset, { timeout: 60000 });
  const marks = await page.$$eval("#flow .flow-layer", (ds) => ds.map((d) => [d.dataset.status, (d.querySelector(".mark") || {}).textContent || ""]));
  check(marks[0][0] === "vanishing" && marks[0][1] === "VANISHING", "deep-sigmoid fc1 not marked vanishing: " + JSON.stringify(marks[0]));
  check(marks[marks.length - 1][0] === "ok", "deep-sigmoid output layer marked " + marks[marks.length - 1][0]);
  await page.screenshot({ path: shot.replace(".png", "-vanishing.png"), fullPage: true });

  // A normalized network from the editor: 4-5-3-2 relu, tanh, softmax on three examples, the
  // norm selector set to LayerNorm, then BatchNorm; each trace also straight from the API.
  check(await page.isHidden("#norm-view"), "the normalization view shows for a network without norm");
  const beforeNorm = await page.evaluate(() => window.bplab.updates);
  await page.click('#presets button[data-preset="assignment"]');
  await page.waitForFunction((n) => window.bplab.updates > n && window.bplab.trace.network.layers.length === 4, beforeNorm, { timeout: 60000 });
  await page.fill("#input", "0.5,-1,1.5,2; 1,0.2,-0.3,0.4; -0.6,0.1,0.9,-1.2");
  await page.fill("#target", "1,0; 0,1; 0.5,0.5");
  for (const norm of ["layer", "batch"]) {
    const n0 = await page.evaluate(() => window.bplab.updates);
    await page.selectOption("#norm", norm);
    await page.waitForFunction(({ n, norm }) => {
      const b = window.bplab;
      return b.updates > n && b.request.norm === norm && b.trace.network.norm === norm && b.trace.batch.x.shape[0] === 3;
    }, { n: n0, norm }, { timeout: 60000 });
    const req = await page.evaluate(() => window.bplab.request);
    const r = await fetch(base + "api/trace", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(req) });
    check(r.ok, `POST /api/trace with norm ${norm} answered ${r.status}`);
    const [cells, gammas] = await checkNorm(page, await r.json(), norm + "-norm");
    console.log(`${norm}-norm: ${cells} normalization cells equal the API's numbers; flow ${gammas.join(", ")}`);
  }
  await page.screenshot({ path: shot.replace(".png", "-norm.png"), fullPage: true });

  // The same net with residual connections and LayerNorm: fc1's gradient no longer vanishes.
  const beforeLn = await page.evaluate(() => window.bplab.updates);
  await page.click('#presets button[data-preset="deep-sigmoid-layernorm"]');
  await page.waitForFunction((n) => window.bplab.updates > n && window.bplab.trace.network.norm === "layer", beforeLn, { timeout: 60000 });
  const lnMarks = await page.$$eval("#flow .flow-layer", (ds) => ds.map((d) => d.dataset.status));
  check(lnMarks.length === 15 && lnMarks.every((m) => m === "ok"), "deep-sigmoid-layernorm flow: " + JSON.stringify(lnMarks));
  check(await page.isVisible("#norm-view"), "the normalization view is hidden for the LayerNorm preset");

  // The self-contained export (`bplab viz --html`) opened from disk draws the same views.
  const html = path.join(root, "target/viz-export.html");
  const exported = spawnSync(bin, ["viz", "--preset", "seed-example", "--engine", "manual", "--html", html, "--format", "json"]);
  check(exported.status === 0, "bplab viz --html failed: " + exported.stderr);
  const trace = JSON.parse(exported.stdout.toString());
  const filePage = await browser.newPage();
  const fileRequests = [];
  filePage.on("request", (r) => { if (!r.url().startsWith("file:")) fileRequests.push(r.url()); });
  filePage.on("pageerror", (e) => errors.push(String(e)));
  await filePage.goto("file://" + html);
  await filePage.waitForSelector("#flow .flow-layer");
  const staticLoss = await filePage.evaluate(() => Number(document.getElementById("forward-summary").dataset.loss));
  check(staticLoss === trace.results[0].loss, `exported page loss ${staticLoss}, trace ${trace.results[0].loss}`);
  const z = await filePage.$$eval("#forward-table td[data-key^='z1:']", (tds) => tds.map((td) => Number(td.dataset.v)));
  check(JSON.stringify(z) === JSON.stringify(trace.results[0].layers[0].z.data), "exported page z1 " + z);
  check(await filePage.isHidden("#controls"), "exported page shows the controls");
  check(fileRequests.length === 0, "exported page fetched " + fileRequests.join(", "));
  console.log("exported page: loss " + staticLoss + ", no requests");

  // A LayerNorm network's export shows its normalization view and γ/β in the flow.
  const normHtml = path.join(root, "target/viz-export-norm.html");
  const normExport = spawnSync(bin, ["viz", "--layers", "3,6,6,2", "--activations", "silu,tanh,softmax", "--loss", "cross-entropy",
    "--norm", "layer", "--residual", "--input", "0.3,-1,2;1,0.5,-0.2", "--target", "1,0;0,1", "--engine", "manual",
    "--html", normHtml, "--format", "json"]);
  check(normExport.status === 0, "bplab viz --norm layer --html failed: " + normExport.stderr);
  const normPage = await browser.newPage();
  normPage.on("request", (r) => { if (!r.url().startsWith("file:")) fileRequests.push(r.url()); });
  normPage.on("pageerror", (e) => errors.push(String(e)));
  await normPage.goto("file://" + normHtml);
  await normPage.waitForSelector("#norm-table td[data-key]");
  const [normCells] = await checkNorm(normPage, JSON.parse(normExport.stdout.toString()), "exported layer-norm page");
  check(fileRequests.length === 0, "exported pages fetched " + fileRequests.join(", "));
  console.log(`exported layer-norm page: ${normCells} normalization cells equal the trace's`);

  check(foreign.length === 0, "the page fetched other hosts: " + foreign.join(", "));
  check(errors.length === 0, "script errors: " + errors.join("; "));
  console.log("screenshots " + shot + ", " + shot.replace(".png", "-vanishing.png") + ", " + shot.replace(".png", "-norm.png"));
  console.log("browser test passed");
} catch (e) {
  if (!process.exitCode) console.error("FAIL: " + (e && e.stack ? e.stack : e));
  process.exitCode = 1;
} finally {
  if (browser) await browser.close().catch(() => {});
  server.kill();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
}
