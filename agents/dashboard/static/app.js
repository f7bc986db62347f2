// altrollup dashboard: polls the JSON endpoints of the server that served this page
// and renders each panel. Plain DOM, no framework, no build step. Every value from the
// chain is inserted as text (never as HTML).
"use strict";

const params = new URLSearchParams(location.search);
const INTERVAL = Math.max(250, Number(params.get("interval") || 1000));
const TIER_LABEL = { 0: "pending", 1: "T1 execution", 2: "T2 verification", 3: "T3 rollup", 4: "invalid" };
const PACK_TIER_LABEL = { 0: "posted", 1: "posted", 2: "verified", 3: "final", 4: "invalid" };

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("data-")) node.setAttribute(key, String(value));
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function short(hex) {
  if (!hex) return "—";
  return hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : hex;
}

function code(text, title) {
  return el("code", { title: title || text }, text);
}

function badge(tier, label) {
  return el("span", { class: `badge tier-${tier}` }, label);
}

function ether(wei) {
  const value = Number(BigInt(wei) / 10n ** 12n) / 1e6;
  return value.toLocaleString(undefined, { maximumFractionDigits: 4 });
}

function duration(seconds) {
  if (seconds <= 0) return "closed";
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

function setError(panel, message) {
  const box = document.querySelector(`#panel-${panel} .error`);
  if (!box) return;
  box.hidden = !message;
  box.textContent = message || "";
}

function markLoaded(panel) {
  document.body.setAttribute(`data-loaded-${panel}`, "1");
}

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function renderOverview(data) {
  const chips = [];
  const chip = (label, value, id) => chips.push(el("span", { class: "chip", id }, `${label} `, el("b", {}, value)));
  if (data.l2ChainId !== undefined) chip("L2 chain", data.l2ChainId, "chip-l2-chain");
  if (data.l2Head !== undefined) chip("L2 head", `#${data.l2Head}`, "chip-l2-head");
  if (data.l1ChainId !== undefined) chip("L1 chain", data.l1ChainId, "chip-l1-chain");
  if (data.rollupId) chip("rollup", `${data.rollupId}${data.rollupStatus ? " · " + data.rollupStatus.toLowerCase() : ""}`, "chip-rollup");
  if (data.headPack !== undefined) chip("head pack", data.headPack, "chip-head-pack");
  if (data.finalizedPack !== undefined) chip("finalized pack", data.finalizedPack, "chip-final-pack");
  if (data.challengeWindow !== undefined) chip("challenge window", duration(data.challengeWindow), "chip-window");
  const errors = [data.l2Error, data.l1Error].filter(Boolean);
  const box = document.getElementById("overview");
  box.replaceChildren(...chips);
  const status = document.getElementById("status");
  status.textContent = errors.length ? errors.join(" · ") : `updated ${new Date().toLocaleTimeString()}`;
  status.className = errors.length ? "status down" : "status";
  markLoaded("overview");
}

function renderBlocks(data) {
  setError("blocks", data.error);
  setError("transactions", data.error);
  setError("throughput", data.error);
  if (data.error) return;
  const now = Date.now() / 1000;
  const note = data.tierHeights
    ? `tiers from ${data.tierSource}: T1 ≤ #${data.tierHeights.tier1}, T2 ≤ #${data.tierHeights.tier2}, T3 ≤ #${data.tierHeights.tier3}`
    : `tiers from ${data.tierSource}`;
  document.getElementById("blocks-note").textContent = note;
  document.getElementById("blocks-body").replaceChildren(...data.blocks.map((b) =>
    el("tr", { "data-block": b.number, "data-tier": b.tier },
      el("td", {}, `#${b.number}`),
      el("td", {}, code(short(b.hash), b.hash)),
      el("td", {}, b.txCount),
      el("td", {}, b.gasUsed.toLocaleString()),
      el("td", {}, b.timestamp === 0 ? "genesis" : `${Math.max(0, Math.round(now - b.timestamp))}s`),
      el("td", {}, badge(b.tier, TIER_LABEL[b.tier] || b.tierName), b.pack ? el("span", { class: "muted small" }, ` pack ${b.pack}`) : null),
    )));
  document.getElementById("transactions-body").replaceChildren(...data.transactions.map((t) =>
    el("tr", { "data-tx": t.hash, "data-tier": t.tier },
      el("td", {}, code(short(t.hash), t.hash)),
      el("td", {}, code(short(t.from), t.from), " → ", t.to ? code(short(t.to), t.to) : el("span", { class: "muted" }, "create")),
      el("td", {}, `#${t.block}`),
      el("td", {}, badge(t.tier, TIER_LABEL[t.tier] || t.tierName)),
    )));
  renderThroughput(data.throughput);
  markLoaded("blocks");
}

function renderThroughput(tp) {
  document.getElementById("tps-value").textContent = tp.tps.toLocaleString(undefined, { maximumFractionDigits: 1 });
  document.getElementById("tps-window").textContent = tp.window ? `over the last ${tp.window}s of blocks (${tp.txs} txs)` : "";
  const svg = document.getElementById("tps-chart");
  const series = tp.series;
  const max = Math.max(1, ...series.map((p) => p.txCount));
  const width = 600 / Math.max(1, series.length);
  const bars = series.map((p, i) => {
    const h = (p.txCount / max) * 110;
    const rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    rect.setAttribute("x", String(i * width + 0.5));
    rect.setAttribute("y", String(118 - h));
    rect.setAttribute("width", String(Math.max(1, width - 1)));
    rect.setAttribute("height", String(h));
    const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
    title.textContent = `block #${p.number}: ${p.txCount} txs`;
    rect.append(title);
    return rect;
  });
  svg.replaceChildren(...bars);
}

function renderPacks(data) {
  setError("packs", data.error);
  if (data.error) return;
  document.getElementById("packs-note").textContent =
    data.note || `head ${data.head} · finalized ${data.finalized}`;
  document.getElementById("packs-body").replaceChildren(...data.packs.map((p) => {
    const disputes = p.defeated ? el("span", { class: "badge tier-4" }, "lost a dispute")
      : p.openGames ? el("span", { class: "badge tier-1" }, `${p.openGames} open`)
      : p.games ? `${p.games} won` : el("span", { class: "muted" }, "none");
    return el("tr", { "data-pack": p.id, "data-status": PACK_TIER_LABEL[p.tier] },
      el("td", {}, p.id),
      el("td", {}, `#${p.firstBlock}–#${p.lastBlock}`),
      el("td", {}, p.txCount),
      el("td", {}, badge(p.tier === 0 ? 1 : p.tier, PACK_TIER_LABEL[p.tier])),
      el("td", {}, `+${p.affirmations} / −${p.rejections}`),
      el("td", {}, p.tier >= 3 ? "—" : duration(p.windowLeft)),
      el("td", {}, disputes),
    );
  }));
  markLoaded("packs");
}

function renderDisputes(data) {
  setError("disputes", data.error);
  if (data.error) return;
  document.getElementById("disputes-note").textContent =
    data.note || `${data.games.length} game${data.games.length === 1 ? "" : "s"} · ${2 ** data.stepDepth} steps per transaction`;
  const games = data.games.map((g) => {
    const finished = g.status !== "in_progress";
    const where = g.level === "transactions"
      ? `transactions [${g.lo}, ${g.hi}] of ${g.txCount}`
      : `steps [${g.lo}, ${g.hi}] of tx ${g.disputedTx}`;
    const klass = g.status === "challenger_won" ? "won-challenger" : g.status === "defender_won" ? "won-defender" : "";
    return el("div", { class: `game ${klass}`, "data-game": g.id, "data-status": g.status },
      el("div", { class: "row" },
        el("b", {}, `game ${g.id}`), `pack ${g.pack}`,
        el("span", {}, finished ? g.status.replace("_", " ") : g.phase.replaceAll("-", " ")),
        el("span", { class: "muted" }, `${g.moves} moves`)),
      el("div", { class: "bar", title: `bisection ${Math.round(g.progress * 100)}%` },
        el("div", {})),
      el("div", { class: "row small" },
        el("span", {}, "challenger ", code(short(g.challenger), g.challenger), ` · clock ${duration(g.challengerClockLeft)} left`),
        el("span", {}, "defender ", code(short(g.defender), g.defender), ` · clock ${duration(g.defenderClockLeft)} left`)),
      el("div", { class: "row small muted" }, finished ? where : `${where} · ${g.turn} to move`),
    );
  });
  const box = document.getElementById("disputes-body");
  box.replaceChildren(...(games.length ? games : [el("div", { class: "muted" }, "no dispute")]));
  // The progress bars' widths (el() only sets properties and data attributes).
  box.querySelectorAll(".bar > div").forEach((bar, i) => {
    bar.style.width = `${Math.round(data.games[i].progress * 100)}%`;
  });
  markLoaded("disputes");
}

function renderSequencers(data) {
  setError("sequencers", data.error);
  if (data.error) return;
  const mins = Object.entries(data.minStakes || {}).map(([s, v]) => `${ether(v)} ${s}`).join(", ");
  document.getElementById("sequencers-note").textContent =
    data.rollupId ? `rollup ${data.rollupId}${data.rollupStatus ? " · " + data.rollupStatus.toLowerCase() : ""}${mins ? " · min " + mins : ""}` : "";
  document.getElementById("sequencers-body").replaceChildren(...data.sequencers.map((s) =>
    el("tr", { "data-sequencer": s.address, "data-selected": s.selected ? "1" : "0" },
      el("td", {}, s.order === null ? "" : s.order + 1),
      el("td", {}, code(short(s.address), s.address)),
      el("td", {}, Object.entries(s.stakes).map(([sym, wei]) => `${ether(wei)} ${sym}`).join(", ")),
      el("td", {}, el("span", { class: "muted small" }, s.endpoint)),
      el("td", {}, s.selected ? el("span", { class: "yes" }, "yes") : el("span", { class: "muted" }, "no"),
        s.equivocations ? el("span", { class: "bad", "data-equivocations": String(s.equivocations) },
          ` equivocated in ${s.equivocations} round${s.equivocations === 1 ? "" : "s"}`) : ""),
    )));
  markLoaded("sequencers");
}

const PANELS = [
  ["overview", renderOverview],
  ["blocks", renderBlocks],
  ["packs", renderPacks],
  ["disputes", renderDisputes],
  ["sequencers", renderSequencers],
];

async function poll(name, render) {
  try {
    render(await getJson(`/api/${name}`));
  } catch (error) {
    setError(name, `dashboard server unreachable: ${error.message}`);
    const status = document.getElementById("status");
    status.textContent = "dashboard server unreachable";
    status.className = "status down";
  } finally {
    setTimeout(() => poll(name, render), INTERVAL);
  }
}

for (const [name, render] of PANELS) poll(name, render);
