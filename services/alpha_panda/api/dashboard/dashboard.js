// Alpha Panda dashboard: logs in for a bearer token (kept in memory only) and polls the API.
"use strict";

const REFRESH_MS = 1000;
const ORDER_ROWS = 20;
const IST = { timeZone: "Asia/Kolkata", dateStyle: "short", timeStyle: "medium" };

const state = { token: null, namespace: "paper", timer: null, generation: 0 };

const $ = (selector) => document.querySelector(selector);

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

// Decimal strings from the API are shown exactly, never rounded through a float; only the
// integer part is grouped the Indian way (12,34,567.50).
function grouped(value) {
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(String(value ?? ""));
  if (!match) return value ?? "";
  const [, sign, whole, fraction = ""] = match;
  const head = whole.slice(0, -3).replace(/\B(?=(\d{2})+$)/g, ",");
  return `${sign}${head ? `${head},` : ""}${whole.slice(-3)}${fraction}`;
}

function signClass(value) {
  if (typeof value !== "string" || !/[1-9]/.test(value)) return "";
  return value.startsWith("-") ? "loss" : "gain";
}

function number(value, field) {
  const td = cell(grouped(value), "number");
  if (field) td.dataset.field = field;
  const sign = field && field.endsWith("pnl") ? signClass(value) : "";
  if (sign) td.classList.add(sign);
  return td;
}

function fillRows(table, items, toCells, keyOf) {
  const body = $(`${table} tbody`);
  const rows = items.map((item) => {
    const tr = document.createElement("tr");
    if (keyOf) tr.dataset.key = keyOf(item);
    tr.append(...toCells(item));
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const empty = cell("nothing yet", "empty");
    empty.colSpan = $(`${table} thead tr`).children.length;
    tr.append(empty);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}

class Unauthorized extends Error {}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { ...(options.headers || {}), Authorization: `Bearer ${state.token}` },
  });
  if (response.status === 401) throw new Unauthorized("session expired: log in again");
  return response;
}

async function json(path, { missingAs } = {}) {
  const response = await api(path);
  if (response.status === 404 && missingAs !== undefined) return missingAs;
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function renderPortfolio(summary) {
  for (const dd of document.querySelectorAll("#portfolio [data-field]")) {
    const value = summary ? String(summary[dd.dataset.field]) : "–";
    dd.textContent = grouped(value);
    dd.className = dd.dataset.field.endsWith("pnl") ? signClass(value) : "";
  }
}

function renderPnl(pnl, strategies) {
  const figures = new Map(pnl.map((s) => [s.strategy_id, s]));
  const ids = [...new Set([...strategies.map((s) => s.strategy_id), ...figures.keys()])].sort();
  const paused = new Map(strategies.map((s) => [s.strategy_id, s.paused]));
  fillRows("#pnl", ids, (id) => {
    const s = figures.get(id) || {};
    const isPaused = paused.get(id);
    const action = document.createElement("td");
    if (paused.has(id)) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = isPaused ? "Resume" : "Pause";
      button.addEventListener("click", () => setPaused(id, !isPaused));
      action.append(button);
    }
    return [
      cell(id),
      cell(paused.has(id) ? (isPaused ? "paused" : "active") : "", "state"),
      number(s.realized_pnl, "realized_pnl"),
      number(s.unrealized_pnl, "unrealized_pnl"),
      number(s.charges, "charges"),
      number(s.net_pnl, "net_pnl"),
      number(s.fills),
      action,
    ];
  }, (id) => id);
}

function renderPositions(positions) {
  fillRows("#positions", positions, (p) => [
    cell(p.strategy_id),
    cell(p.instrument_token),
    number(p.quantity),
    number(p.average_price),
    number(p.last_price),
    number(p.unrealized_pnl, "unrealized_pnl"),
    number(p.realized_pnl, "realized_pnl"),
  ], (p) => `${p.strategy_id}:${p.instrument_token}`);
}

function renderOrders(orders) {
  fillRows("#orders", orders, (o) => [
    cell(new Date(o.placed_at).toLocaleString("en-IN", IST)),
    cell(o.strategy_id),
    cell(o.instrument_token),
    cell(o.side),
    number(o.quantity),
    number(o.filled_quantity),
    cell(o.order_type),
    cell(o.status.replace("_", " "), "status"),
  ], (o) => o.order_id);
}

function renderHealth(report) {
  const badge = $("#readiness");
  badge.textContent = report.ready ? "ready" : "not ready";
  badge.className = `badge ${report.ready ? "ready" : "unready"}`;
  fillRows("#health", report.checks, (c) => [
    cell(c.name),
    cell(c.severity),
    cell(c.passed ? "pass" : "FAIL", c.passed ? "gain" : "loss"),
    cell(c.passed ? c.detail : `${c.detail} — ${c.remedy || ""}`),
  ], (c) => c.name);
}

function showStatus(text, isError) {
  const status = $("#status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

async function refresh() {
  const generation = state.generation;
  const ns = encodeURIComponent(state.namespace);
  try {
    const [summary, pnl, strategies, positions, orders, health] = await Promise.all([
      json(`/api/v1/${ns}/portfolio`, { missingAs: null }),
      json(`/api/v1/${ns}/pnl`),
      json(`/api/v1/strategies?namespace=${ns}`),
      json(`/api/v1/${ns}/positions`),
      json(`/api/v1/${ns}/orders?limit=${ORDER_ROWS}`),
      json("/api/v1/health"),
    ]);
    if (generation !== state.generation) return; // logged out or switched meanwhile
    renderPortfolio(summary);
    renderPnl(pnl, strategies);
    renderPositions(positions);
    renderOrders(orders);
    renderHealth(health);
    showStatus(`Updated ${new Date().toLocaleTimeString()}`, false);
  } catch (error) {
    if (error instanceof Unauthorized) {
      logout(error.message);
      return;
    }
    showStatus(error.message, true);
  }
}

function schedule() {
  const generation = state.generation;
  refresh().finally(() => {
    if (generation === state.generation) state.timer = setTimeout(schedule, REFRESH_MS);
  });
}

async function setPaused(strategyId, paused) {
  const verb = paused ? "pause" : "resume";
  try {
    const response = await api(`/api/v1/strategies/${encodeURIComponent(strategyId)}/${verb}`, {
      method: "POST",
    });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      showStatus(`cannot ${verb} ${strategyId}: ${body.detail || response.status}`, true);
      return;
    }
    await refresh();
  } catch (error) {
    if (error instanceof Unauthorized) logout(error.message);
    else showStatus(error.message, true);
  }
}

function claims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  } catch {
    return {};
  }
}

async function login(event) {
  event.preventDefault();
  const error = $("#login-error");
  error.textContent = "";
  const response = await fetch("/api/v1/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: $("#username").value, password: $("#password").value }),
  });
  $("#password").value = "";
  if (!response.ok) {
    error.textContent = response.status === 401 ? "Unknown user or wrong password." : `Login failed (HTTP ${response.status}).`;
    return;
  }
  const body = await response.json();
  state.token = body.access_token;
  const who = claims(state.token);
  $("#user").textContent = `${who.sub || ""} (${who.role || "?"})`;
  $("#login").hidden = true;
  $("#session").hidden = false;
  $("#board").hidden = false;
  state.generation += 1;
  schedule();
}

function logout(reason) {
  state.token = null;
  state.generation += 1;
  clearTimeout(state.timer);
  $("#board").hidden = true;
  $("#session").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = typeof reason === "string" ? reason : "";
}

document.addEventListener("DOMContentLoaded", () => {
  $("#login").addEventListener("submit", login);
  $("#logout").addEventListener("click", () => logout());
  $("#namespace").addEventListener("change", (event) => {
    state.namespace = event.target.value;
    state.generation += 1;
    clearTimeout(state.timer);
    schedule();
  });
});
