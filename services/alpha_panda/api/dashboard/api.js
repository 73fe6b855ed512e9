// The JSON API with the bearer token, which lives in this module's memory only.

export class Unauthorized extends Error {}

export const session = { token: null, role: null, user: null };

export async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { ...(options.headers || {}), Authorization: `Bearer ${session.token}` },
  });
  if (response.status === 401) throw new Unauthorized("session expired: log in again");
  return response;
}

// The body of a GET; `missingAs` stands in for a 404 (e.g. no portfolio before the first fill).
export async function json(path, { missingAs } = {}) {
  const response = await api(path);
  if (response.status === 404 && missingAs !== undefined) return missingAs;
  if (!response.ok) throw new Error(`${path}: ${await problem(response)}`);
  return response.json();
}

// The API's own words for a refusal: {"detail": ...}.
export async function problem(response) {
  const body = await response.json().catch(() => ({}));
  return body.detail ? `${body.detail} (HTTP ${response.status})` : `HTTP ${response.status}`;
}

function claims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  } catch {
    return {};
  }
}

// Exchange a username and password for a token; returns an error message or null.
export async function login(username, password) {
  const response = await fetch("/api/v1/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) {
    return response.status === 401 ? "Unknown user or wrong password." : `Login failed (${await problem(response)}).`;
  }
  const body = await response.json();
  const who = claims(body.access_token);
  Object.assign(session, { token: body.access_token, role: who.role || null, user: who.sub || "" });
  return null;
}

export function forget() {
  Object.assign(session, { token: null, role: null, user: null });
}
