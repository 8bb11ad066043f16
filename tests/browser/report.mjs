// The report in a real browser: opens a generated report/index.html from disk in headless
// Chromium (the system's /usr/bin/chromium through playwright-core; no browser download) and
// asserts that
// - the page opens with the summary, one line per section, whose verdict, headline and link
//   are the section's own, and that summary.md starts with the same lines;
// - the verdicts match the data files: the check's and the lesson's `pass`, the bench;
// - every benchmark bar is the bench JSON's number (time relative to the fastest engine on
//   that configuration and operation; allocations per step) and every engine in the JSON
//   has its bars; every gradient-check cell is the worst ratio to tolerance in check.csv;
// - with a PyTorch baseline (bench.json's "baseline", by default docs/bench/pytorch-epyc.json),
//   every row of that file has its pytorch bar, with the file's own median time;
// - every figure has a caption that states a number, and the summary lines of the studies
//   carry their data's numbers (clip, train, norm, modes, checkpoint, semantics);
// - the page runs no script and fetches nothing from the network; raw tables are collapsed
//   and scroll sideways; the dark colour scheme changes the page and the charts.
// Saves target/report-browser.png (light, top of the page), target/report-browser-dark.png
// and target/report-browser-bench.png (the benchmark's first chart).
//
// Usage: node tests/browser/report.mjs [path/to/report-dir]   (env CHROMIUM overrides the browser)
import { chromium } from "playwright-core";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const dir = path.resolve(process.argv[2] || path.join(root, "report"));
const exe = process.env.CHROMIUM || "/usr/bin/chromium";
const shot = path.join(root, "target/report-browser.png");

function die(msg) {
  console.error("FAIL: " + msg);
  process.exitCode = 1;
  throw new Error(msg);
}
function check(cond, msg) {
  if (!cond) die(msg);
}
function close(a, b) {
  return Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b);
}
const readJson = (p) => JSON.parse(fs.readFileSync(path.join(dir, p), "utf8"));

for (const [what, p] of [["Chromium", exe], ["report", path.join(dir, "index.html")]]) {
  if (!fs.existsSync(p)) {
    console.error(`FAIL: no ${what} at ${p}` + (what === "report" ? " (run bplab report --out DIR first)" : ""));
    process.exit(1);
  }
}

let browser, userDataDir;
try {
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "bplab-chromium-"));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: exe,
    headless: true,
    viewport: { width: 1300, height: 1700 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--allow-file-access-from-files"],
  });
  const page = browser.pages()[0] || (await browser.newPage());
  const foreign = [];
  page.on("request", (r) => { if (!r.url().startsWith("file://")) foreign.push(r.url()); });
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto("file://" + path.join(dir, "index.html"));

  // 1. The summary comes first and agrees with the sections.
  const doc = await page.evaluate(() => {
    const firstSection = document.querySelector("body > section");
    const rows = [...document.querySelectorAll("#summary tbody tr")].map((tr) => ({
      section: tr.dataset.section,
      verdict: tr.dataset.verdict,
      label: tr.querySelector(".badge").textContent,
      href: tr.querySelector("a").getAttribute("href"),
      title: tr.querySelector("a").textContent,
      headline: tr.querySelector(".headline").textContent,
    }));
    const sections = [...document.querySelectorAll("section.study")].map((s) => ({
      id: s.id,
      verdict: s.dataset.verdict,
      label: s.querySelector("h2 .badge").textContent,
      title: s.querySelector("h2").textContent.slice(s.querySelector("h2 .badge").textContent.length),
      headline: s.querySelector("p.headline").textContent,
    }));
    return {
      first: firstSection && firstSection.id,
      rows,
      sections,
      scripts: document.scripts.length,
      loose: [...document.querySelectorAll("pre")].filter((p) => !p.closest("details")).length,
      details: document.querySelectorAll("details").length,
      openDetails: document.querySelectorAll("details[open]").length,
      scroll: [...document.querySelectorAll("details .scroll")].map((d) => getComputedStyle(d).overflowX),
      bg: getComputedStyle(document.body).backgroundColor,
    };
  });
  check(doc.first === "summary", "the first section is " + doc.first + ", not the summary");
  check(doc.rows.length >= 3 && doc.rows.length === doc.sections.length,
    `${doc.rows.length} summary lines for ${doc.sections.length} sections`);
  doc.rows.forEach((r, i) => {
    const s = doc.sections[i];
    check(r.section === s.id && r.href === "#" + s.id, `summary line ${i} links ${r.href}, section is #${s.id}`);
    check(r.verdict === s.verdict && r.label === s.label, `${s.id}: summary says ${r.label}, section says ${s.label}`);
    check(r.title === s.title && r.headline === s.headline, `${s.id}: summary line differs from the section's`);
    check(["ok", "differs, explained", "MISMATCH", "not run"].includes(r.label), `${s.id}: verdict ${r.label}`);
    check(r.headline.length > 0, `${s.id}: no headline`);
  });
  check(doc.scripts === 0, "the report has scripts");
  check(doc.loose === 0, doc.loose + " raw tables outside a collapsed <details>");
  check(doc.details >= 3 && doc.openDetails === 0, `${doc.details} details, ${doc.openDetails} open`);
  check(doc.scroll.every((o) => o === "auto"), "a raw table does not scroll sideways: " + doc.scroll);

  // summary.md starts with the same lines.
  const md = fs.readFileSync(path.join(dir, "summary.md"), "utf8");
  const mdRows = md.split("\n").filter((l) => /^\| [^-]/.test(l) && !l.startsWith("| verdict")).slice(0, doc.rows.length);
  doc.rows.forEach((r, i) => {
    const want = `| ${r.label} | [${r.title.replaceAll("|", "\\|")}](${r.href}) | ${r.headline.replaceAll("|", "\\|")} |`;
    check(mdRows[i] === want, `summary.md line ${i}: ${mdRows[i]} ≠ ${want}`);
  });
  check(md.indexOf("## Summary") < md.indexOf("<a id="), "summary.md does not open with the summary");

  const verdict = (id) => doc.rows.find((r) => r.section === id);

  // 2. The verdicts match the data files.
  const lesson = readJson("data/lesson/lesson.json");
  check((verdict("lesson").verdict === "mismatch") === !lesson.passed, "lesson verdict vs lesson.json passed");
  const checkJson = readJson("data/check/check.json");
  const cv = verdict("check");
  check((cv.verdict === "mismatch") === !checkJson.pass, `check verdict ${cv.label} vs check.json pass ${checkJson.pass}`);
  if (cv.verdict === "ok") {
    const n = checkJson.results.length;
    check(cv.headline.startsWith(`${n} engines agree`), `check headline "${cv.headline}" for ${n} engines`);
  }

  // 3. Every gradient-check cell is check.csv's worst ratio for its comparison, engine and tensor.
  const csv = fs.readFileSync(path.join(dir, "data/check/check.csv"), "utf8").trim().split("\n");
  const head = csv[0].split(",");
  const col = (k) => head.indexOf(k);
  const worst = new Map();
  for (const line of csv.slice(1)) {
    const c = line.split(",");
    const key = c[col("against")] + " " + c[col("engine")] + " " + c[col("tensor")];
    worst.set(key, Math.max(worst.get(key) ?? 0, Number(c[col("ratio_to_tolerance")])));
  }
  const cells = await page.$$eval("#check rect.cell", (rs) => rs.map((r) => ({
    grid: r.closest("g[data-grid]").dataset.grid, row: r.dataset.row, col: r.dataset.col,
    ratio: Number(r.dataset.ratio), fill: r.getAttribute("fill"),
  })));
  check(cells.length === worst.size && cells.length > 0, `${cells.length} grid cells for ${worst.size} comparisons`);
  for (const c of cells) {
    const want = worst.get(c.grid + " " + c.row + " " + c.col);
    check(want !== undefined && close(c.ratio, want), `grid ${c.row} · ${c.col}: ${c.ratio}, check.csv ${want}`);
    check((c.ratio > 1) === (c.fill === "#d73027"), `grid ${c.row} · ${c.col}: ratio ${c.ratio} coloured ${c.fill}`);
  }

  // 4. Every benchmark bar is the bench JSON's number.
  const bench = readJson("data/bench/bench.json").results;
  const bars = await page.$$eval("#bench g[data-chart] rect.bar", (rs) => rs.map((r) => ({
    chart: r.closest("g").dataset.chart, config: r.dataset.group, engine: r.dataset.series,
    value: Number(r.dataset.value), height: Number(r.getAttribute("height")),
  })));
  const ops = [...new Set(bench.map((r) => r.op))];
  const charts = [...new Set(bars.map((b) => b.chart))];
  for (const op of ops) check(charts.includes("bench-time-" + op), "no time chart for " + op);
  const step = ops.includes("train_step") ? "train_step" : ops[ops.length - 1];
  check(charts.includes("bench-allocs-" + step), "no allocations chart");
  let checked = 0;
  for (const op of ops) {
    const rows = bench.filter((r) => r.op === op && r.median_ns > 0);
    const mine = bars.filter((b) => b.chart === "bench-time-" + op);
    check(mine.length === rows.length, `${op}: ${mine.length} bars for ${rows.length} JSON rows`);
    for (const r of rows) {
      const best = Math.min(...rows.filter((x) => x.config === r.config).map((x) => x.median_ns));
      const b = mine.find((x) => x.config === r.config && x.engine === r.engine);
      check(b, `${op}: no bar for ${r.engine} on ${r.config}`);
      check(close(b.value, r.median_ns / best), `${op} ${r.engine} ${r.config}: bar ${b.value}, JSON ${r.median_ns / best}`);
      checked++;
    }
    // Taller bar ⇔ slower (same chart, same axis).
    const sorted = [...mine].sort((a, b) => a.value - b.value);
    for (let i = 1; i < sorted.length; i++) {
      check(sorted[i].height >= sorted[i - 1].height - 1e-6, `${op}: bar heights out of order`);
    }
  }
  const allocBars = bars.filter((b) => b.chart === "bench-allocs-" + step);
  const allocRows = bench.filter((r) => r.op === step && r.allocs_per_iter != null);
  check(allocBars.length === allocRows.length, `${allocBars.length} allocation bars for ${allocRows.length} rows`);
  for (const r of allocRows) {
    const b = allocBars.find((x) => x.config === r.config && x.engine === r.engine);
    check(b && close(b.value, r.allocs_per_iter), `allocations ${r.engine} ${r.config}: ${b && b.value} vs ${r.allocs_per_iter}`);
  }
  const engines = [...new Set(bench.map((r) => r.engine))];
  for (const e of engines) check(bars.some((b) => b.engine === e), "no bars for engine " + e);
  const bv = verdict("bench");

  // 4b. The PyTorch bars are the baseline file's numbers, every configuration of it included.
  const benchDoc = readJson("data/bench/bench.json");
  let torchChecked = 0;
  if (benchDoc.baseline) {
    const named = path.resolve(root, benchDoc.baseline.path);
    const copy = path.join(dir, "data/bench", path.basename(benchDoc.baseline.path));
    const file = fs.existsSync(named) ? named : copy;
    check(fs.existsSync(file), "the baseline file " + benchDoc.baseline.path + " is neither in the repository nor beside bench.json");
    const base = JSON.parse(fs.readFileSync(file, "utf8")).results;
    check(base.length > 0, "the baseline file has no rows");
    for (const b of base) {
      const row = bench.find((r) => r.engine === b.engine && r.config === b.config && r.op === b.op);
      check(row && row.baseline === true && close(row.median_ns, b.median_ns),
        `baseline ${b.engine} ${b.config} ${b.op}: bench.json has ${row && row.median_ns}, the file ${b.median_ns}`);
      const best = Math.min(...bench.filter((x) => x.config === b.config && x.op === b.op && x.median_ns > 0).map((x) => x.median_ns));
      const bar = bars.find((x) => x.chart === "bench-time-" + b.op && x.config === b.config && x.engine === b.engine);
      check(bar && close(bar.value, b.median_ns / best), `${b.op} ${b.config}: pytorch bar ${bar && bar.value}, baseline file ${b.median_ns / best}`);
      torchChecked++;
    }
    check(bv.headline.includes("PyTorch"), "bench headline without PyTorch: " + bv.headline);
    const lead = await page.$eval("#bench p.lead", (p) => p.textContent);
    check(lead.includes(benchDoc.baseline.path), "the bench section does not name its baseline file: " + lead);
  }

  // 4c. Every figure has a caption that states what it shows with a number from the run.
  const figures = await page.$$eval("section.study figure", (fs) => fs.map((f) => ({
    section: f.closest("section").id,
    caption: (f.querySelector("figcaption") || { textContent: "" }).textContent,
    svg: f.querySelectorAll("svg").length,
  })));
  check(figures.length >= 10, `only ${figures.length} figures`);
  for (const f of figures) {
    check(f.svg === 1, `${f.section}: a figure without its chart`);
    check(f.caption.length >= 40, `${f.section}: caption too short to say what it shows: "${f.caption}"`);
    // Every caption states its finding with the run's number (the gradient check's its worst
    // cell, the precision lab's from its own files.rs).
    if (/^(check|bench|experiment-|lab-(modes|checkpoint|overhead|precision))/.test(f.section)) {
      check(/\d/.test(f.caption), `${f.section}: caption without a number: "${f.caption}"`);
    }
  }
  // Axis labels: every line chart, bar chart and heatmap names both its axes (text.al).
  const axes = await page.$$eval("section.study figure svg", (svgs) => svgs
    .filter((s) => s.querySelector("polyline, rect.bar, text.al"))
    .map((s) => ({
      section: s.closest("section").id,
      title: (s.querySelector("text") || { textContent: "" }).textContent,
      labels: [...s.querySelectorAll("text.al")].map((t) => t.textContent.trim()),
    })));
  check(axes.length >= 10, `only ${axes.length} charts with axes`);
  for (const a of axes) {
    check(a.labels.length === 2 && a.labels.every((l) => l.length > 0),
      `${a.section} "${a.title}": axis labels ${JSON.stringify(a.labels)}`);
  }

  // 4d. The summary lines carry the data's numbers.
  const sci = (x) => (x === 0 ? "0" : x.toExponential(2).replace("e+", "e"));
  const has = (id, text) => {
    const v = verdict(id);
    check(v, "no summary line " + id);
    check(v.headline.includes(text), `${id}: summary "${v.headline}" lacks "${text}"`);
  };
  const clip = readJson("data/clip/clip.json");
  const unclipped = clip.runs.find((r) => r.clip === "none");
  const global = clip.runs.find((r) => r.clip.startsWith("global-norm"));
  if (unclipped && global) {
    has("experiment-clip", `${global.clip} keeps the update's ‖g‖ ≤ ${global.clip.split(":")[1]}`);
    has("experiment-clip", `trains to loss ${sci(global.final_loss)}, test accuracy ${global.test_accuracy.toFixed(3)}`);
    if (unclipped.first_non_finite !== null) has("experiment-clip", `from step ${unclipped.first_non_finite} of ${unclipped.losses.length}`);
  }
  const train = readJson("data/train/train.json");
  const m = train.runs[0];
  const worstTrain = Math.max(...train.runs.slice(1).map((r) => r.max_rel_diff));
  has("experiment-train", `loss ${m.losses[0].toFixed(4)} (first step) → ${m.epoch_losses[m.epoch_losses.length - 1].toFixed(4)} (epoch ${m.epoch_losses.length}), test accuracy ${m.test_accuracy.toFixed(3)}`);
  has("experiment-train", `${train.runs.length} engines within ${sci(worstTrain)} of the manual engine's loss`);
  const norm = readJson("data/norm/norm.json");
  const n0 = norm.runs[0];
  const deepest = norm.runs.filter((r) => r.activation === n0.activation && r.depth === Math.max(...norm.runs.map((x) => x.depth)));
  const plainNorm = deepest.find((r) => r.arch === "plain");
  const bestNorm = deepest.filter((r) => Number.isFinite(r.final_loss)).sort((a, b) => a.final_loss - b.final_loss)[0];
  has("experiment-norm", `‖δ_1‖/‖δ_L‖ plain ${sci(plainNorm.delta_ratio)} vs `);
  has("experiment-norm", `plain ${plainNorm.final_loss.toFixed(4)}, best ${bestNorm.arch} ${bestNorm.final_loss.toFixed(4)}`);
  const modes = readJson("data/modes/modes.json");
  has("lab-modes", `the full gradient of ${Math.max(...modes.sweep.map((s) => s.params))} parameters`);
  const ckpt = readJson("data/checkpoint/checkpoint.json");
  has("lab-checkpoint", `at L = ${Math.max(...ckpt.rows.map((r) => r.depth))}`);
  const sem = readJson("data/semantics/semantics.json");
  const word = (t) => t.split(/[ :(;,]/)[0];
  const others = Object.keys(sem.rows[0].frameworks).filter((f) => f !== "PyTorch");
  has("lab-semantics", `scenarios of ${sem.rows.length} whose outcome differs from PyTorch ${sem.torch_version}'s: `);
  for (const f of others) {
    const k = sem.rows.filter((r) => word(r.frameworks[f].what) !== word(r.frameworks.PyTorch.what)).length;
    check(new RegExp(`[:,] ${f} ${k}[,;]|[:,] ${f} ${k}$`).test(verdict("lab-semantics").headline),
      `lab-semantics: summary "${verdict("lab-semantics").headline}" lacks "${f} ${k}"`);
  }

  // 5. Screenshots; the dark scheme changes the page and the charts.
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot });
  const benchFigure = await page.$("#bench figure");
  if (benchFigure) await benchFigure.screenshot({ path: shot.replace(".png", "-bench.png") });
  await page.emulateMedia({ colorScheme: "dark" });
  const dark = await page.evaluate(() => ({
    bg: getComputedStyle(document.body).backgroundColor,
    chart: getComputedStyle(document.querySelector("svg .bg")).fill,
  }));
  check(dark.bg !== doc.bg, "the dark scheme does not change the page: " + dark.bg);
  check(dark.chart !== "rgb(255, 255, 255)", "the dark scheme leaves the charts white");
  await page.screenshot({ path: shot.replace(".png", "-dark.png") });
  check(foreign.length === 0, "the report fetched from the network: " + foreign.join(", "));
  console.log(`report: ${doc.rows.length} summary lines, ${cells.length} grid cells, ${checked} time bars (${torchChecked} from the PyTorch baseline) and ${allocBars.length} allocation bars match the data; ${figures.length} figures captioned`);
  console.log("screenshots " + shot + ", " + shot.replace(".png", "-dark.png"));
  console.log("report browser test passed");
} catch (e) {
  if (!process.exitCode) console.error("FAIL: " + (e && e.stack ? e.stack : e));
  process.exitCode = 1;
} finally {
  if (browser) await browser.close().catch(() => {});
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
}
