// How the dashboard writes figures, times and instruments: exact decimals, IST on a 24-hour clock.

export const EXCHANGE_TIME_ZONE = "Asia/Kolkata";

const CLOCK = new Intl.DateTimeFormat("en-GB", {
  timeZone: EXCHANGE_TIME_ZONE, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});
const MINUTES = new Intl.DateTimeFormat("en-GB", {
  timeZone: EXCHANGE_TIME_ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});
const DAY = new Intl.DateTimeFormat("en-GB", {
  timeZone: EXCHANGE_TIME_ZONE, day: "2-digit", month: "short",
});

// "23 Nov 10:45:05": the exchange's day and time of an instant (ISO text or a Date).
export function istTime(instant) {
  if (!instant) return "";
  const date = instant instanceof Date ? instant : new Date(instant);
  if (Number.isNaN(date.getTime())) return String(instant);
  return `${DAY.format(date)} ${CLOCK.format(date)}`;
}

// "10:45": the chart's axis label of epoch seconds.
export function istMinutes(seconds) {
  return MINUTES.format(new Date(seconds * 1000));
}

export function istClock(date) {
  return CLOCK.format(date);
}

// Decimal strings from the API are shown exactly, never rounded through a float; only the
// integer part is grouped the Indian way (12,34,567.50).
export function grouped(value) {
  const match = /^(-?)(\d+)(\.\d+)?$/.exec(String(value ?? ""));
  if (!match) return value ?? "";
  const [, sign, whole, fraction = ""] = match;
  const head = whole.slice(0, -3).replace(/\B(?=(\d{2})+$)/g, ",");
  return `${sign}${head ? `${head},` : ""}${whole.slice(-3)}${fraction}`;
}

export function signClass(value) {
  if (typeof value !== "string" || !/[1-9]/.test(value)) return "";
  return value.startsWith("-") ? "loss" : "gain";
}

export function cell(content, className) {
  const td = document.createElement("td");
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? "";
  if (className) td.className = className;
  return td;
}

export function number(value, field) {
  const td = cell(grouped(value), "number");
  if (field) td.dataset.field = field;
  const sign = field && field.endsWith("pnl") ? signClass(value) : "";
  if (sign) td.classList.add(sign);
  return td;
}

export function button(label, onClick) {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  element.addEventListener("click", onClick);
  return element;
}

// Replace a table's rows; `keyOf` names each row (data-key) so tests and people can find it.
export function fillRows(table, items, toCells, keyOf) {
  const body = document.querySelector(`${table} tbody`);
  const rows = items.map((item) => {
    const tr = document.createElement("tr");
    if (keyOf) tr.dataset.key = keyOf(item);
    tr.append(...toCells(item));
    return tr;
  });
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const empty = cell("nothing yet", "empty");
    empty.colSpan = document.querySelector(`${table} thead tr`).children.length;
    tr.append(empty);
    rows.push(tr);
  }
  body.replaceChildren(...rows);
}
