// Instruments by trading symbol and exchange, looked up once per token from the API's
// instruments master; the numeric Kite token is only a tooltip.
import { json, Unauthorized } from "./api.js";

const known = new Map();
const missing = new Set();

// Look up the tokens not known yet; a failed lookup leaves them as tokens until the next try.
export async function resolve(tokens) {
  const wanted = [...new Set(tokens)].filter((token) => !known.has(token) && !missing.has(token));
  if (wanted.length === 0) return;
  const query = wanted.map((token) => `token=${encodeURIComponent(token)}`).join("&");
  try {
    const listed = await json(`/api/v1/instruments?${query}`);
    for (const item of listed) known.set(item.instrument_token, item);
    for (const token of wanted) if (!known.has(token)) missing.add(token);
  } catch (error) {
    if (error instanceof Unauthorized) throw error;
  }
}

export function instrument(token) {
  const span = document.createElement("span");
  span.className = "instrument";
  const listed = known.get(token);
  if (listed) {
    span.textContent = listed.tradingsymbol;
    const exchange = document.createElement("small");
    exchange.textContent = listed.exchange;
    span.append(" ", exchange);
    span.title = `${listed.exchange}:${listed.tradingsymbol} · instrument token ${token}`;
  } else {
    span.textContent = `#${token}`;
    span.classList.add("unlisted");
    span.title = `instrument token ${token}: not in the instruments master`;
  }
  return span;
}

export function instruments(tokens) {
  const list = document.createElement("span");
  tokens.forEach((token, index) => {
    if (index > 0) list.append(", ");
    list.append(instrument(token));
  });
  return list;
}
