// Alpha Panda dashboard: logs in for a bearer token (kept in memory only) and polls the API.
import { api, forget, json, login, problem, session, Unauthorized } from "./api.js";
import { curveColumns, PnlChart } from "./chart.js";
import { istClock } from "./format.js";
import { resolve } from "./symbols.js";
import {
  renderBrokerSession, renderDeadLetters, renderOrders, renderPortfolio, renderPositions,
  renderRejections, renderServices, renderStrategies,
} from "./tables.js";

const REFRESH_MS = 1000;
const SLOW_EVERY = 3; // rejections and dead letters are read from Kafka: every third round
const ORDER_ROWS = 20;
const REJECTION_ROWS = 20;
const DEAD_LETTER_ROWS = 50;

const state = { namespace: "paper", timer: null, generation: 0, round: 0, charts: null };

const $ = (selector) => document.querySelector(selector);

function showStatus(text, isError) {
  const status = $("#status");
  status.textContent = text;
  status.className = isError ? "error" : "";
}

function charts() {
  if (!state.charts) {
    state.charts = {
      total: new PnlChart($("#chart-namespace"), "Namespace net P&L"),
      strategies: new PnlChart($("#chart-strategies"), "Net P&L per strategy"),
    };
  }
  return state.charts;
}

function renderCurve(curve) {
  const { total, ids, strategies } = curveColumns(curve);
  $("#curve-day").textContent = curve.day ? `${curve.day} (IST)` : "no points yet";
  charts().total.show([`${curve.namespace} total`], total);
  charts().strategies.show(ids, strategies);
}

async function slowReads(ns) {
  const [rejections, letters] = await Promise.all([
    json(`/api/v1/${ns}/rejections?limit=${REJECTION_ROWS}`),
    json(`/api/v1/${ns}/dead-letters?limit=${DEAD_LETTER_ROWS}`),
  ]);
  return { rejections, letters };
}

async function refresh() {
  const generation = state.generation;
  const ns = encodeURIComponent(state.namespace);
  const slow = state.round % SLOW_EVERY === 0;
  state.round += 1;
  try {
    const [summary, pnl, strategies, positions, orders, services, broker, curve, kafka] = await Promise.all([
      json(`/api/v1/${ns}/portfolio`, { missingAs: null }),
      json(`/api/v1/${ns}/pnl`),
      json(`/api/v1/strategies?namespace=${ns}`),
      json(`/api/v1/${ns}/positions`),
      json(`/api/v1/${ns}/orders?limit=${ORDER_ROWS}`),
      json(`/api/v1/${ns}/services`),
      json(`/api/v1/${ns}/broker-session`, { missingAs: null }),
      json(`/api/v1/${ns}/pnl/curve`),
      slow ? slowReads(ns) : null,
    ]);
    await resolve([
      ...strategies.flatMap((s) => s.instruments),
      ...positions.map((p) => p.instrument_token),
      ...orders.map((o) => o.instrument_token),
      ...(kafka ? kafka.rejections.map((r) => r.instrument_token) : []),
    ]);
    if (generation !== state.generation) return; // logged out or switched meanwhile
    renderPortfolio(summary);
    renderStrategies(pnl, strategies, setPaused);
    renderPositions(positions);
    renderOrders(orders);
    renderServices(services);
    renderBrokerSession(broker);
    renderCurve(curve);
    if (kafka) {
      renderRejections(kafka.rejections);
      renderDeadLetters(kafka.letters, session.role === "admin" ? replay : null);
    }
    showStatus(`Updated ${istClock(new Date())} IST`, false);
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

function restart() {
  state.generation += 1;
  state.round = 0;
  clearTimeout(state.timer);
  if (state.charts) {
    state.charts.total.clear();
    state.charts.strategies.clear();
  }
  schedule();
}

async function act(path, failure) {
  try {
    const response = await api(path, { method: "POST" });
    if (!response.ok) {
      showStatus(`${failure}: ${await problem(response)}`, true);
      return null;
    }
    return response.json();
  } catch (error) {
    if (error instanceof Unauthorized) logout(error.message);
    else showStatus(error.message, true);
    return null;
  }
}

// Pause or resume: the API publishes the strategy's definition with `paused` set, the one
// kill switch its runner and the risk manager obey.
async function setPaused(strategyId, paused) {
  const verb = paused ? "pause" : "resume";
  const done = await act(`/api/v1/strategies/${encodeURIComponent(strategyId)}/${verb}`, `cannot ${verb} ${strategyId}`);
  if (done) restart();
}

async function replay(topic) {
  const done = await act(`/api/v1/dead-letters/replay?topic=${encodeURIComponent(topic)}`, `cannot replay ${topic}`);
  if (done) $("#replay-result").textContent = `Replayed ${done.replayed} record(s) of ${done.topic} onto their source topic.`;
}

async function submitLogin(event) {
  event.preventDefault();
  const error = $("#login-error");
  error.textContent = "";
  const failure = await login($("#username").value, $("#password").value);
  $("#password").value = "";
  if (failure) {
    error.textContent = failure;
    return;
  }
  $("#user").textContent = `${session.user} (${session.role || "?"})`;
  $("#login").hidden = true;
  $("#session").hidden = false;
  $("#board").hidden = false;
  restart();
}

function logout(reason) {
  forget();
  state.generation += 1;
  clearTimeout(state.timer);
  $("#board").hidden = true;
  $("#session").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = typeof reason === "string" ? reason : "";
}

document.addEventListener("DOMContentLoaded", () => {
  $("#login").addEventListener("submit", submitLogin);
  $("#logout").addEventListener("click", () => logout());
  $("#namespace").addEventListener("change", (event) => {
    state.namespace = event.target.value;
    restart();
  });
});
