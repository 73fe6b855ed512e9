// The dashboard's tables, each drawn afresh from one API answer.
import { button, cell, fillRows, grouped, istTime, number, signClass } from "./format.js";
import { instrument, instruments } from "./symbols.js";

export function renderPortfolio(summary) {
  for (const dd of document.querySelectorAll("#portfolio [data-field]")) {
    const value = summary ? String(summary[dd.dataset.field]) : "–";
    dd.textContent = grouped(value);
    dd.className = dd.dataset.field.endsWith("pnl") ? signClass(value) : "";
  }
}

// Strategies with their state, instruments and P&L; `onToggle(id, pause)` pauses or resumes.
export function renderStrategies(pnl, strategies, onToggle) {
  const figures = new Map(pnl.map((s) => [s.strategy_id, s]));
  const defined = new Map(strategies.map((s) => [s.strategy_id, s]));
  const ids = [...new Set([...defined.keys(), ...figures.keys()])].sort();
  fillRows("#pnl", ids, (id) => {
    const s = figures.get(id) || {};
    const definition = defined.get(id);
    const action = cell("");
    if (definition) {
      action.append(button(definition.paused ? "Resume" : "Pause", () => onToggle(id, !definition.paused)));
    }
    return [
      cell(id),
      cell(definition ? definition.strategy_type : ""),
      cell(definition ? (definition.paused ? "paused" : "active") : "", "state"),
      cell(definition ? instruments(definition.instruments) : "", "instruments"),
      number(s.realized_pnl, "realized_pnl"),
      number(s.unrealized_pnl, "unrealized_pnl"),
      number(s.charges, "charges"),
      number(s.net_pnl, "net_pnl"),
      number(s.fills),
      action,
    ];
  }, (id) => id);
}

export function renderPositions(positions) {
  fillRows("#positions", positions, (p) => [
    cell(p.strategy_id),
    cell(instrument(p.instrument_token)),
    number(p.quantity),
    number(p.average_price),
    number(p.last_price),
    number(p.unrealized_pnl, "unrealized_pnl"),
    number(p.realized_pnl, "realized_pnl"),
  ], (p) => `${p.strategy_id}:${p.instrument_token}`);
}

export function renderOrders(orders) {
  fillRows("#orders", orders, (o) => [
    cell(istTime(o.placed_at)),
    cell(o.strategy_id),
    cell(instrument(o.instrument_token)),
    cell(o.side),
    number(o.quantity),
    number(o.filled_quantity),
    cell(o.order_type),
    cell(o.status.replace("_", " "), "status"),
    cell(o.reason || "", o.reason ? "reason loss" : "reason"),
  ], (o) => o.order_id);
}

export function renderRejections(rejections) {
  fillRows("#rejections", rejections, (r) => [
    cell(istTime(r.generated_at)),
    cell(r.strategy_id, "strategy"),
    cell(instrument(r.instrument_token)),
    cell(r.side),
    number(r.quantity),
    cell(r.rule, "rule"),
    cell(r.reason, "reason"),
  ], (r) => r.event_id);
}

// Dead letters with why each failed; `onReplay(topic)` is given only to admins.
export function renderDeadLetters(letters, onReplay) {
  const topics = [...new Set(letters.map((l) => l.dead_letter_topic))].sort();
  const actions = document.querySelector("#replay-actions");
  actions.replaceChildren(...(onReplay ? topics.map((topic) => {
    const count = letters.filter((l) => l.dead_letter_topic === topic).length;
    const action = button(`Replay ${topic.replace(/\.dlq$/, "")} (${count} shown)`, () => onReplay(topic));
    action.dataset.topic = topic;
    return action;
  }) : []));
  fillRows("#dead-letters", letters, (l) => [
    cell(istTime(l.failed_at)),
    cell(l.topic),
    cell(`${l.partition}@${l.offset}`),
    cell(`${l.error_class}: ${l.error_message}`, "reason"),
    number(String(l.attempts)),
    cell(l.consumer_group),
  ], (l) => `${l.dead_letter_topic}:${l.partition}:${l.offset}`);
}

function checks(service) {
  const list = document.createElement("ul");
  list.className = "checks";
  for (const check of service.checks) {
    const item = document.createElement("li");
    item.className = check.passed ? "pass" : check.severity === "critical" ? "fail" : "warn";
    item.textContent = `${check.name}: ${check.detail}`;
    list.append(item);
  }
  return list;
}

export function renderServices(services) {
  const ready = services.length > 0 && services.every((s) => s.ready);
  const badge = document.querySelector("#readiness");
  badge.textContent = ready ? "ready" : "not ready";
  badge.className = `badge ${ready ? "ready" : "unready"}`;
  fillRows("#services", services, (s) => [
    cell(s.service),
    cell(s.ready ? "ready" : "NOT READY", s.ready ? "gain state" : "loss state"),
    cell(istTime(s.checked_at)),
    cell(checks(s)),
  ], (s) => s.service);
}

export function renderBrokerSession(session) {
  const box = document.querySelector("#broker-session");
  if (!session) {
    box.textContent = "No broker session known to the API (paper trading needs none).";
    box.className = "";
    return;
  }
  const who = session.user_id ? `user ${session.user_id}` : "configured access token";
  const state = session.expired ? "EXPIRED" : "valid";
  box.textContent = `${who} (${session.source.replace("_", " ")}), ${state} until ${istTime(session.expires_at)} IST`;
  box.className = session.expired ? "loss" : "gain";
  box.dataset.expired = String(session.expired);
}
