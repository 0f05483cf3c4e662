// Builds the DOM of one held comment. Every piece of comment text goes in through
// textContent or a DOM property, never as markup, so a body like <script>… stays text.

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

const DECISIONS = [
  { decision: "approve", label: "Approve", key: "a" },
  { decision: "reject", label: "Reject", key: "r" },
  { decision: "spam", label: "Spam", key: "s" },
];

/** Create an element with optional class and text. */
export function el(tag, className = "", text = null) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== null) node.textContent = text;
  return node;
}

/** An element of a reader's own words: its direction is the text's (Arabic, Persian: RTL). */
function written(tag, className, text) {
  const node = el(tag, className, text);
  node.dir = "auto";
  return node;
}

/** Return the URL if it is an absolute http(s) URL, else null (no javascript:, data:, …). */
export function webUrl(text) {
  if (!text) return null;
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

function link(text, href) {
  const a = el("a", "", text);
  a.href = href;
  a.target = "_blank";
  a.rel = "noopener noreferrer nofollow ugc";
  return a;
}

function urlOrText(text) {
  if (!text) return el("span", "muted", "—");
  const href = webUrl(text);
  return href ? link(text, href) : el("span", "", text);
}

function field(list, label, value, className = "") {
  const row = el("div", `field ${className}`.trim());
  row.append(el("dt", "", label));
  const dd = el("dd");
  dd.append(value);
  row.append(dd);
  list.append(row);
}

function score(value) {
  const wrap = el("span", "score");
  if (value === null || value === undefined) {
    wrap.append(el("span", "muted", "not scored"));
    return wrap;
  }
  const percent = Math.round(value * 100);
  const meter = el("meter");
  Object.assign(meter, { min: 0, max: 1, low: 0.5, high: 0.8, optimum: 0, value });
  meter.setAttribute("aria-hidden", "true");
  wrap.append(meter, el("span", "score-text", `spam ${percent}%`));
  wrap.title = `The model's spam probability: ${value.toFixed(3)}`;
  return wrap;
}

function when(iso) {
  const time = el("time");
  if (!iso) return time;
  time.dateTime = iso;
  time.textContent = DATE.format(new Date(iso));
  return time;
}

function head(item, titleId) {
  const header = el("header", "item-head");
  const pick = el("label", "pick");
  const box = el("input", "select");
  box.type = "checkbox";
  box.setAttribute("aria-label", `Select the comment by ${item.author.name}`);
  pick.append(box);
  const title = written("h3", "author", item.author.name);
  title.id = titleId;
  header.append(pick, title, score(item.score), when(item.created_at));
  return header;
}

function meta(item) {
  const list = el("dl", "meta");
  const email = item.author.email ? link(item.author.email, `mailto:${item.author.email}`) : "—";
  if (typeof email !== "string") email.removeAttribute("target");
  field(list, "E-mail", email);
  field(list, "Website", urlOrText(item.author.url));
  field(list, "IP", item.ip ? el("span", "mono", item.ip) : el("span", "muted", "—"));
  field(list, "Page", urlOrText(item.thread), "wide");
  return list;
}

function reasons(item) {
  const list = el("ul", "reasons");
  list.setAttribute("aria-label", "Why the model held it");
  for (const reason of item.reasons ?? []) list.append(written("li", "", reason));
  return list;
}

/** A campaign's line: how many near-copies modq has seen, and one decision for them all. */
function campaign(item) {
  const size = item.campaign?.size ?? 1;
  if (size < 2) return [];
  const line = el("p", "campaign", `One of ${size} near-copies posted to this site. `);
  const button = el("button", "decide-campaign", "Spam every held copy");
  button.type = "button";
  button.dataset.campaign = item.campaign.id;
  line.append(button);
  return [line];
}

function actions() {
  const bar = el("div", "actions");
  for (const { decision, label, key } of DECISIONS) {
    const button = el("button", `decide decide-${decision}`, `${label} `);
    button.type = "button";
    button.dataset.decision = decision;
    button.setAttribute("aria-keyshortcuts", key);
    button.append(el("kbd", "", key));
    bar.append(button);
  }
  return bar;
}

/** Return the <li> for one ReviewItem of the queue. */
export function renderItem(item) {
  const li = el("li", "item");
  li.tabIndex = -1;
  li.dataset.id = item.id;
  if (item.campaign) li.dataset.campaign = item.campaign.id;
  const titleId = `item-${item.id}`;
  li.setAttribute("aria-labelledby", titleId);
  const article = el("article");
  const error = el("p", "item-error");
  error.setAttribute("role", "alert");
  error.hidden = true;
  article.append(head(item, titleId), meta(item), written("p", "body", item.body), reasons(item));
  article.append(...campaign(item));
  article.append(error, actions());
  li.append(article);
  return li;
}
