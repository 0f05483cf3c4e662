// The moderation JSON API, and the token it is called with (kept in this tab's sessionStorage).

const TOKEN_KEY = "modq.moderatorToken";
// Relative to the page, so the page also works when modq is served under a path prefix.
const BASE = new URL("v1/moderation/", document.baseURI);

export class ApiError extends Error {
  /** `errors`: the answer's own `errors`, e.g. a 422's {json: {field: [message, …]}}. */
  constructor(status, message, retryAfter = null, errors = null) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
    this.errors = errors;
  }

  get isAuth() {
    return this.status === 401 || this.status === 403;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

async function call(method, path, body) {
  const headers = { Authorization: `Bearer ${token.get() ?? ""}`, Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(new URL(path, BASE), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "modq could not be reached; check the connection and try again");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const message = data?.message ?? response.statusText ?? "request failed";
    const retryAfter = response.headers.get("Retry-After");
    throw new ApiError(response.status, message, retryAfter, data?.errors ?? null);
  }
  return data;
}

/** One page of the queue, oldest first: {items, next_cursor}. */
export function fetchQueue(cursor = null, limit = 50) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set("cursor", cursor);
  return call("GET", `queue?${query}`);
}

/** How far the site's decisions have taught its model: {steps, features}. */
export function fetchLearning() {
  return call("GET", "learning");
}

/**
 * The site's figures per UTC day, the last 30 ending today, oldest first:
 * {days: [{day, received, approved, held, spam, rejected, missed_spam, false_positives,
 * accuracy, …}], total: {the same, summed}, learned}.
 */
export function fetchStats() {
  return call("GET", "stats");
}

/**
 * The site's rules: {max_links, moderation_words, disallowed_words, allowed_scripts,
 * min_seconds_to_post}.
 */
export function fetchSettings() {
  return call("GET", "settings");
}

/**
 * Replace the site's rules with `rules`, every field given; resolves to the stored rules.
 * A bad value is an ApiError 422 whose `errors.json` holds the messages by field name.
 */
export function saveSettings(rules) {
  return call("PUT", "settings", rules);
}

/** Decide one comment: "approve", "reject" or "spam". */
export function decide(id, decision) {
  return call("POST", `comments/${encodeURIComponent(id)}/decision`, { decision });
}

/** Decide many comments at once; resolves to [{id, ok, status, error}]. */
export async function decideMany(ids, decision) {
  const data = await call("POST", "decisions", {
    decisions: ids.map((id) => ({ id, decision })),
  });
  return data.results;
}

/** Decide every held copy of a campaign; resolves to [{id, ok, status, error}]. */
export async function decideCampaign(campaignId, decision) {
  const path = `campaigns/${encodeURIComponent(campaignId)}/decision`;
  return (await call("POST", path, { decision })).results;
}

/** Explain an error to a moderator, in a sentence. */
export function describe(error) {
  if (!(error instanceof ApiError)) return `Unexpected error: ${error.message}`;
  switch (error.status) {
    case 401:
      return "The token was not accepted (unknown, revoked or mistyped). Paste it again.";
    case 403:
      return "That key is not a moderator token. Paste a modq_moderator_… token.";
    case 404:
      return "This comment no longer exists for your site.";
    case 409:
      return `Already decided: ${error.message}`;
    case 503: {
      const wait = error.retryAfter ? ` Retry in ${error.retryAfter} s.` : "";
      return `modq's storage is unavailable; nothing was changed.${wait}`;
    }
    default:
      return error.status ? `Error ${error.status}: ${error.message}` : error.message;
  }
}
