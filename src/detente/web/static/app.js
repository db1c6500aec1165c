// detente's web page: a thin view over the JSON API (see /docs). Scenario text reaches the
// page only through textContent and Plotly, never as HTML.
"use strict";

const state = {
  source: null,        // {scenario: id} or {toml: text}
  kind: "bilateral",   // or "forecast"
  toml: "",
  defaults: {},        // the file's parameter values
  overrides: {},       // the sliders' values, where moved
  job: null,
  request: 0,          // the newest analysis request; older answers are dropped
};

const $ = (id) => document.getElementById(id);

function showError(message) {
  const el = $("error");
  el.textContent = message ? String(message).split("\n")[0] : "";
  el.hidden = !message;
}

async function call(method, url, body) {
  const options = { method, headers: {} };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(url, options);
  const type = response.headers.get("content-type") || "";
  const payload = type.includes("application/json") ? await response.json() : await response.text();
  if (!response.ok) {
    throw new Error(describeError(payload, response.status));
  }
  return payload;
}

function describeError(payload, status) {
  if (payload && typeof payload.detail === "string") return payload.detail;
  if (payload && Array.isArray(payload.detail) && payload.detail.length) {
    const first = payload.detail[0];
    return `${(first.loc || []).join(".")}: ${first.msg}`;
  }
  return `the server answered ${status}`;
}

function draw(id, figure) {
  const el = $(id);
  if (!figure) {
    Plotly.purge(el);
    el.replaceChildren();
    return;
  }
  const layout = Object.assign({}, figure.layout, { autosize: true });
  // an empty figure is hidden, so plotly first lays the chart out at its default width: once it
  // is drawn (and shown), fit it to its box
  Plotly.react(el, figure.data, layout, { responsive: true, displaylogo: false }).then(() => Plotly.Plots.resize(el));
}

function slidersFor(parameters) {
  const box = $("sliders");
  box.replaceChildren();
  state.defaults = {};
  for (const p of parameters) {
    state.defaults[p.name] = p.value;
    const wrap = document.createElement("div");
    wrap.className = "slider";
    const label = document.createElement("label");
    label.htmlFor = `slider-${p.name}`;
    label.textContent = p.name;
    label.title = p.note;
    const shown = document.createElement("span");
    shown.className = "value";
    shown.id = `value-${p.name}`;
    shown.textContent = formatNumber(p.value);
    label.appendChild(shown);
    const input = document.createElement("input");
    input.type = "range";
    input.id = `slider-${p.name}`;
    input.name = p.name;
    input.min = p.low;
    input.max = p.high;
    input.step = p.step;
    input.value = p.value;
    input.addEventListener("input", () => {
      shown.textContent = formatNumber(Number(input.value));
      state.overrides[p.name] = Number(input.value);
      scheduleAnalysis();
    });
    wrap.append(label, input);
    box.appendChild(wrap);
  }
  $("parameters-section").hidden = parameters.length === 0;
}

function formatNumber(x) {
  return Number.isInteger(x) ? String(x) : x.toPrecision(3).replace(/\.?0+$/, "");
}

let timer = null;
function scheduleAnalysis() {
  clearTimeout(timer);
  timer = setTimeout(analyse, 200);
}

function sourceBody() {
  return Object.assign({}, state.source, { overrides: state.overrides });
}

async function analyse() {
  const mine = ++state.request;
  $("results").setAttribute("aria-busy", "true");
  try {
    if (state.kind === "forecast") {
      const answer = await call("POST", "/api/forecast", state.source);
      if (mine === state.request) showForecast(answer);
    } else {
      const answer = await call("POST", "/api/analyse", sourceBody());
      if (mine === state.request) showAnalysis(answer);
    }
    if (mine === state.request) showError("");
  } catch (err) {
    if (mine === state.request) showError(err.message);
  } finally {
    if (mine === state.request) $("results").setAttribute("aria-busy", "false");
  }
}

function scheduleText(schedule) {
  if (!schedule.length) return "No self-enforcing deal: no stage pays for whoever would take it.";
  return schedule.map((stage, i) => `stage ${i + 1}: ${stage.join(", ")}`).join("\n");
}

function showAnalysis(answer) {
  const a = answer.analysis;
  clearTipping();
  $("bilateral-figures").hidden = false;
  $("forecast-figures").replaceChildren();
  $("title").textContent = a.title;
  $("explanation").textContent = a.solve.explanation;
  $("schedule-text").textContent = scheduleText(a.solve.schedule);
  const list = $("verdicts");
  list.replaceChildren();
  for (const v of a.proposals) {
    const li = document.createElement("li");
    li.className = v.audit.self_enforcing_deal ? "holds" : "fails";
    li.textContent = `${v.label || v.proposal}: ${v.audit.reason} Played out: ${v.audit.play.sentence}`;
    list.appendChild(li);
  }
  showOffers(a.offers);
  const figs = answer.figures;
  for (const name of ["schedule", "slack", "values", "beliefs", "signals"]) {
    draw(`fig-${name}`, figs[name]);
  }
  const box = $("proposal-figures");
  box.replaceChildren();
  for (const [name, fig] of Object.entries(figs)) {
    if (!name.startsWith("slack:")) continue;
    const div = document.createElement("div");
    div.className = "figure";
    div.id = `fig-${name.replace(":", "-")}`;
    box.appendChild(div);
    draw(div.id, fig);
  }
}

// The offers game: each proposer type's opening and its path against each responder type.
function showOffers(offers) {
  const section = $("offers-section");
  section.hidden = !offers;
  $("offers-openings").replaceChildren();
  $("offers-paths").replaceChildren();
  if (!offers) return;
  $("offers-title").textContent =
    `Offers: ${offers.proposer} proposes, ${offers.responder} answers (${offers.rounds} meetings, ` +
    `${offers.round_length} period(s) apart; beliefs at the ${offers.beliefs_at})`;
  const views = [...offers.by_proposer_type].sort((x, y) => y.probability - x.probability);
  for (const view of views) {
    const who = view.proposer_type ? `${offers.proposer} as ${view.proposer_type} (${view.probability.toFixed(2)})` : offers.proposer;
    const li = document.createElement("li");
    const takers = view.opening_takers.length ? view.opening_takers.join(" and ") : "no type";
    li.textContent = `${who} opens with ${scheduleText(view.opening || [])}; ${takers} would take it. ` +
      `A deal with probability ${view.p_deal.toFixed(2)}.`;
    $("offers-openings").appendChild(li);
    for (const path of view.paths) {
      const item = document.createElement("li");
      const values = Object.entries(path.values).map(([p, v]) => `${p} ${v.toFixed(2)}`).join(", ");
      item.textContent = `${view.proposer_type || "—"} / ${path.responder_type || "—"}: ${path.sentence} (${values})`;
      $("offers-paths").appendChild(item);
    }
  }
}

function showForecast(answer) {
  const f = answer.forecast;
  clearTipping();
  $("bilateral-figures").hidden = true;
  showOffers(null);
  $("title").textContent = f.scenario;
  $("explanation").textContent = `${f.description} ${f.turns_run} turns of KTAB's spatial model of politics`
    + (f.converged ? ", until the positions settled." : " (the turn limit; the positions had not settled).");
  $("schedule-text").textContent = "";
  const list = $("verdicts");
  list.replaceChildren();
  for (const why of f.why || []) {
    const li = document.createElement("li");
    li.textContent = why.sentence;
    list.appendChild(li);
  }
  const box = $("forecast-figures");
  box.replaceChildren();
  for (const [name, fig] of Object.entries(answer.figures)) {
    const div = document.createElement("div");
    div.className = "figure";
    div.id = `fig-${name.replace(":", "-")}`;
    box.appendChild(div);
    draw(div.id, fig);
  }
}

// Tipping points: every flip, nearest first (as a share of the parameter's range). Cells are
// text nodes only: verdicts and labels come from the scenario.
function clearTipping() {
  $("tipping-section").hidden = state.kind !== "bilateral";
  $("tipping-table").hidden = true;
  $("tipping-table").tBodies[0].replaceChildren();
  $("tipping-status").textContent = "";
}

async function findTipping() {
  const mine = state.request;
  const button = $("find-tipping");
  button.disabled = true;
  $("tipping-status").textContent = "Searching every parameter, down and up…";
  try {
    const result = await call("POST", "/api/tipping", sourceBody());
    if (mine !== state.request) return;  // the sliders moved meanwhile: this answer is stale
    showTipping(result);
  } catch (err) {
    $("tipping-status").textContent = "";
    showError(err.message);
  } finally {
    button.disabled = false;
  }
}

// Four significant digits: a flip at 1.997 must not read as 2.
function formatFlip(x) {
  return String(Number(x.toPrecision(4)));
}

function showTipping(result) {
  const questions = Object.fromEntries(result.verdicts.map((v) => [v.verdict, v.question]));
  const flips = result.points.filter((p) => p.flip !== null).sort((x, y) => x.share - y.share);
  const body = $("tipping-table").tBodies[0];
  body.replaceChildren();
  for (const p of flips) {
    const row = document.createElement("tr");
    const rel = p.relative === null ? "" : ` (${p.relative >= 0 ? "+" : ""}${(100 * p.relative).toFixed(0)}%)`;
    const cells = [
      [questions[p.verdict], ""], [p.parameter, ""], [formatFlip(p.value), "num"],
      [formatFlip(p.flip), "num"], [`${p.change >= 0 ? "+" : ""}${formatFlip(p.change)}${rel}`, "num"],
      [p.after, ""],
    ];
    for (const [text, cls] of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) td.className = cls;
      row.appendChild(td);
    }
    body.appendChild(row);
  }
  $("tipping-table").hidden = flips.length === 0;
  const notes = result.notes.length ? ` ${result.notes.join(" ")}` : "";
  $("tipping-status").textContent = (flips.length
    ? `${flips.length} flips, nearest first;`
    : "No verdict flips within the parameters' ranges;")
    + ` ${result.evaluations} points solved exactly in ${result.seconds.toFixed(1)} s.${notes}`;
}

async function loadLibrary(id) {
  const info = await call("GET", `/api/scenarios/${encodeURIComponent(id)}`);
  useScenario(info, { scenario: id });
}

function useScenario(info, source) {
  state.source = source;
  state.kind = info.kind;
  state.toml = info.toml;
  state.overrides = {};
  slidersFor(info.parameters || []);
  $("simulation-section").hidden = !(info.kind === "bilateral" && info.has_uncertainty);
  return analyse();
}

async function useToml(text) {
  try {
    const info = await call("POST", "/api/describe", { toml: text });
    showError("");
    await useScenario(info, { toml: text });
  } catch (err) {
    showError(err.message);
  }
}

function download(name, blob) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

async function downloadReport() {
  try {
    const forecast = state.kind === "forecast";
    const response = await fetch(forecast ? "/api/forecast/report" : "/api/report", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(forecast ? state.source : sourceBody()),
    });
    if (!response.ok) throw new Error(describeError(await response.json(), response.status));
    download("detente-report.html", await response.blob());
  } catch (err) {
    showError(err.message);
  }
}

function downloadToml() {
  const moved = Object.entries(state.overrides);
  const header = moved.length
    ? `# the page's sliders: detente run FILE ${moved.map(([k, v]) => `--set ${k}=${v}`).join(" ")}\n`
    : "";
  const name = (state.source && state.source.scenario) || "scenario";
  download(`${name}.toml`, new Blob([header + state.toml], { type: "application/toml" }));
}

async function simulate() {
  const samples = Number($("samples").value);
  try {
    const job = await call("POST", "/api/jobs", Object.assign({ kind: "simulate", samples }, sourceBody()));
    state.job = job.id;
    $("sim-progress").hidden = false;
    $("cancel-simulation").hidden = false;
    $("simulate").disabled = true;
    poll(job.id);
  } catch (err) {
    showError(err.message);
  }
}

async function poll(id) {
  if (state.job !== id) return;
  let job;
  try {
    job = await call("GET", `/api/jobs/${id}`);
  } catch (err) {
    showError(err.message);
    return finishJob();
  }
  $("sim-progress").max = job.total || 1;
  $("sim-progress").value = job.done;
  $("sim-status").textContent = `${job.status}: ${job.done} of ${job.total || "?"} histories, ${job.seconds.toFixed(1)} s`
    + (job.reason ? ` (${job.reason})` : "");
  if (job.status === "queued" || job.status === "running") {
    setTimeout(() => poll(id), 500);
    return;
  }
  if (job.status === "failed") showError(job.error);
  if (job.figure) draw("fig-simulation", job.figure);
  finishJob();
}

function finishJob() {
  state.job = null;
  $("cancel-simulation").hidden = true;
  $("simulate").disabled = false;
}

async function cancelSimulation() {
  if (state.job) await call("DELETE", `/api/jobs/${state.job}`).catch((err) => showError(err.message));
}

async function start() {
  $("scenario-select").addEventListener("change", (e) => loadLibrary(e.target.value).catch((err) => showError(err.message)));
  $("toml-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    if (!file) return;
    const text = await file.text();
    $("toml-text").value = text;
    await useToml(text);
  });
  $("use-toml").addEventListener("click", () => useToml($("toml-text").value));
  $("reset").addEventListener("click", () => {
    state.overrides = {};
    for (const [name, value] of Object.entries(state.defaults)) {
      $(`slider-${name}`).value = value;
      $(`value-${name}`).textContent = formatNumber(value);
    }
    analyse();
  });
  $("simulate").addEventListener("click", simulate);
  $("cancel-simulation").addEventListener("click", cancelSimulation);
  $("download-report").addEventListener("click", downloadReport);
  $("download-toml").addEventListener("click", downloadToml);
  $("find-tipping").addEventListener("click", findTipping);
  try {
    const scenarios = await call("GET", "/api/scenarios");
    const select = $("scenario-select");
    for (const kind of ["bilateral", "forecast"]) {
      const group = document.createElement("optgroup");
      group.label = kind === "bilateral" ? "Negotiations" : "Multi-actor forecasts";
      for (const s of scenarios.filter((x) => x.kind === kind)) {
        const option = document.createElement("option");
        option.value = s.id;
        option.textContent = `${s.id}: ${s.title}`;
        group.appendChild(option);
      }
      select.appendChild(group);
    }
    const wanted = new URLSearchParams(location.search).get("scenario") || "hanoi-2019";
    select.value = scenarios.some((s) => s.id === wanted) ? wanted : scenarios[0].id;
    await loadLibrary(select.value);
  } catch (err) {
    showError(err.message);
  }
  document.body.dataset.ready = "true";
}

start();
