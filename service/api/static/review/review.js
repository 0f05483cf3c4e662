// The review page: sign-in, loading the queue, decisions, and wiring buttons and keys to them.

import {
  ApiError,
  decide,
  decideCampaign,
  decideMany,
  describe,
  fetchLearning,
  fetchQueue,
  token,
} from "./api.js";
import { installShortcuts } from "./keys.js";
import { CommentList } from "./list.js";
import { renderItem, webUrl } from "./render.js";
import { SettingsPanel } from "./settings.js";
import { StatsPanel } from "./stats.js";

const $ = (id) => document.getElementById(id);
const ui = {
  status: $("status"),
  signIn: $("sign-in"),
  signInForm: $("sign-in-form"),
  signInError: $("sign-in-error"),
  tokenInput: $("token"),
  signOut: $("sign-out"),
  settingsOpen: $("settings-open"),
  statsOpen: $("stats-open"),
  review: $("review"),
  empty: $("empty"),
  loadMore: $("load-more"),
  selectAll: $("select-all"),
  selectedCount: $("selected-count"),
  learned: $("learned"),
  help: $("help"),
};
const list = new CommentList($("queue"));
const settings = new SettingsPanel($("settings"), { announce, handleAuth });
const stats = new StatsPanel($("stats"), { handleAuth });
const PAST = { approve: "Approved", reject: "Rejected", spam: "Marked as spam" };
const state = { cursor: null, loading: false };

function announce(message) {
  ui.status.textContent = message;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

// --- signing in and out -------------------------------------------------------------------

function showSignIn(message = "") {
  settings.close();
  stats.close();
  ui.review.hidden = true;
  ui.signOut.hidden = true;
  ui.settingsOpen.hidden = true;
  ui.statsOpen.hidden = true;
  ui.signIn.hidden = false;
  ui.signInError.textContent = message;
  ui.signInError.hidden = !message;
  ui.tokenInput.value = "";
  ui.tokenInput.focus();
}

function showReview() {
  ui.signIn.hidden = true;
  ui.signOut.hidden = false;
  ui.settingsOpen.hidden = false;
  ui.statsOpen.hidden = false;
  ui.review.hidden = false;
}

function onSignIn(event) {
  event.preventDefault(); // the CSP forbids form submission anyway (form-action 'none')
  const value = ui.tokenInput.value.trim();
  ui.tokenInput.value = "";
  if (value.startsWith("modq_site_")) {
    showSignIn("That is a site key. Paste a moderator token (modq_moderator_…).");
    return;
  }
  token.set(value);
  showReview();
  reload();
}

/** Forget the token; `error` says why when the API refused it. */
function signOut(error = "") {
  token.clear();
  clearQueue();
  announce(error ? "" : "Signed out. The token was removed from this tab.");
  showSignIn(error);
}

/** On a 401 or 403 the token is useless: forget it and ask for another. Returns true then. */
function handleAuth(error) {
  if (!(error instanceof ApiError && error.isAuth)) return false;
  signOut(describe(error));
  return true;
}

// --- the queue ----------------------------------------------------------------------------

function clearQueue() {
  list.clear();
  state.cursor = null;
  refreshCounts();
}

async function load(cursor) {
  if (state.loading) return;
  state.loading = true;
  ui.loadMore.disabled = true;
  try {
    const page = await fetchQueue(cursor);
    for (const item of page.items.filter((item) => !list.has(item.id))) {
      list.append(item, renderItem(item));
    }
    state.cursor = page.next_cursor;
    const loaded = `${plural(list.entries.size, "comment")} loaded`;
    announce(state.cursor ? `${loaded}; more are waiting.` : `${loaded}.`);
    if (!cursor) list.focus(list.elements[0], false);
  } catch (error) {
    if (!handleAuth(error)) announce(`Could not load the queue. ${describe(error)}`);
  } finally {
    state.loading = false;
    ui.loadMore.disabled = false;
    refreshCounts();
  }
}

function reload() {
  clearQueue();
  showLearning();
  return load(null);
}

/** Tell moderators that their approve and spam decisions teach the site's model. */
async function showLearning() {
  try {
    const { steps, thresholds } = await fetchLearning();
    const taught = steps
      ? `Your decisions have taught this site's spam model ${plural(steps, "time")}.`
      : "Approve and Spam decisions teach this site's spam model; Reject does not.";
    ui.learned.textContent = thresholds ? `${taught} ${describeThresholds(thresholds)}` : taught;
  } catch (error) {
    ui.learned.textContent = "";  // the queue's own request reports what went wrong
  }
}

/** The site's own thresholds, in a sentence: what modq publishes, holds and rejects. */
function describeThresholds({ approve_below, reject_above, set_by }) {
  const percent = (p) => `${+(p * 100).toFixed(1)} %`;
  const by = set_by === "operator" ? "set by an operator" : "chosen from your decisions";
  return `This site's thresholds (${by}): published below ${percent(approve_below)} spam, ` +
    `held up to ${percent(reject_above)}, spam above.`;
}

function refreshCounts() {
  const shown = list.elements.length;
  const selected = list.selected().length;
  ui.selectedCount.textContent = `${selected} selected`;
  ui.selectAll.checked = shown > 0 && selected === shown;
  ui.selectAll.indeterminate = selected > 0 && selected < shown;
  ui.loadMore.hidden = !state.cursor;
  ui.empty.hidden = shown > 0 || Boolean(state.cursor) || state.loading;
}

function removeDecided(lis) {
  list.remove(lis);
  refreshCounts();
  if (!list.elements.length && state.cursor) load(state.cursor);
}

// --- decisions ------------------------------------------------------------------------------

function busy(li) {
  return li.getAttribute("aria-busy") === "true";
}

function setBusy(li, on) {
  li.setAttribute("aria-busy", String(on));
  for (const button of li.querySelectorAll("button")) button.disabled = on;
}

function showItemError(li, message) {
  const error = li.querySelector(".item-error");
  error.textContent = message;
  error.hidden = false;
}

function authorOf(li) {
  return list.itemOf(li)?.author.name ?? "an unknown author";
}

async function decideOne(li, decision) {
  if (!li || busy(li)) return;
  setBusy(li, true);
  try {
    await decide(li.dataset.id, decision);
    announce(`${PAST[decision]}: the comment by ${authorOf(li)}.`);
    removeDecided([li]);
  } catch (error) {
    if (handleAuth(error)) return;
    showItemError(li, describe(error));
    announce(`Could not decide the comment by ${authorOf(li)}: ${describe(error)}`);
    setBusy(li, false);
  }
}

async function decideSelected(decision) {
  const chosen = list.selected().filter((li) => !busy(li));
  if (!chosen.length) {
    announce("Nothing is selected: select comments with x or their checkboxes first.");
    return;
  }
  const ids = chosen.map((li) => li.dataset.id);
  await decideTogether(chosen, decision, () => decideMany(ids, decision));
}

/** Mark every held copy of the campaign `li` belongs to as spam, listed or not yet. */
async function spamCampaign(li) {
  if (!li || busy(li)) return;
  const chosen = [li, ...list.copiesOf(li)].filter((copy) => !busy(copy));
  await decideTogether(chosen, "spam", async () => {
    const results = await decideCampaign(li.dataset.campaign, "spam");
    // Copies on later pages were decided too: they will not be loaded.
    return results.filter((result) => !result.ok || list.has(result.id));
  });
}

function selectCampaign(li) {
  const copies = list.copiesOf(li);
  if (!li || !li.dataset.campaign) {
    announce("This comment is in no campaign.");
    return;
  }
  for (const copy of [li, ...copies]) list.setSelected(copy, true);
  refreshCounts();
  const n = copies.length + 1;
  announce(`Selected the ${n} listed ${n === 1 ? "copy" : "copies"} of this campaign.`);
}

/** Decide `chosen` through `request` (resolving to [{id, ok, error}]), then show the outcome. */
async function decideTogether(chosen, decision, request) {
  for (const li of chosen) setBusy(li, true);
  try {
    const results = await request();
    const byId = new Map(results.map((result) => [result.id, result]));
    const done = chosen.filter((li) => byId.get(li.dataset.id)?.ok);
    for (const li of chosen.filter((li) => !done.includes(li))) {
      const failure = byId.get(li.dataset.id)?.error ?? { code: 0, message: "no result" };
      showItemError(li, describe(new ApiError(failure.code, failure.message)));
      setBusy(li, false);
    }
    const failed = chosen.length - done.length;
    const tail = failed ? `; ${failed} failed, see the messages on those comments` : "";
    announce(`${PAST[decision]}: ${plural(done.length, "comment")}${tail}.`);
    removeDecided(done);
  } catch (error) {
    if (handleAuth(error)) return;
    for (const li of chosen) setBusy(li, false);
    announce(`Nothing was decided. ${describe(error)}`);
  }
}

function openAuthorUrl(li) {
  if (!li) return;
  const url = webUrl(list.itemOf(li)?.author.url);
  if (url) window.open(url, "_blank", "noopener,noreferrer");
  else announce("This author gave no web address.");
}

// --- wiring ---------------------------------------------------------------------------------

function toggleHelp() {
  if (ui.help.open) ui.help.close();
  else ui.help.showModal();
}

function wireQueue(root) {
  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-decision]");
    if (button) decideOne(button.closest(".item"), button.dataset.decision);
    if (event.target.closest("button[data-campaign]")) spamCampaign(event.target.closest(".item"));
  });
  root.addEventListener("change", (event) => {
    if (!event.target.matches("input.select")) return;
    list.setSelected(event.target.closest(".item"), event.target.checked);
    refreshCounts();
  });
  root.addEventListener("focusin", (event) => {
    const li = event.target.closest(".item");
    if (li) list.markCurrent(li);
  });
}

function wire() {
  ui.signInForm.addEventListener("submit", onSignIn);
  ui.signOut.addEventListener("click", () => signOut());
  $("help-open").addEventListener("click", toggleHelp);
  $("help-close").addEventListener("click", () => ui.help.close());
  ui.settingsOpen.addEventListener("click", () => settings.open());
  ui.statsOpen.addEventListener("click", () => stats.open());
  $("reload").addEventListener("click", reload);
  ui.loadMore.addEventListener("click", () => load(state.cursor));
  ui.selectAll.addEventListener("change", () => {
    list.selectAll(ui.selectAll.checked);
    refreshCounts();
  });
  for (const button of document.querySelectorAll("button[data-bulk]")) {
    button.addEventListener("click", () => decideSelected(button.dataset.bulk));
  }
  wireQueue(list.root);
  installShortcuts({
    active: () => !ui.review.hidden,
    helpOpen: () => ui.help.open,
    paused: () => settings.isOpen || stats.isOpen,
    toggleHelp,
    move: (step) => list.move(step),
    decide: (decision) => decideOne(list.current(), decision),
    decideSelected,
    toggleSelected: () => {
      list.toggleSelected(list.current());
      refreshCounts();
    },
    openAuthorUrl: () => openAuthorUrl(list.current()),
    selectCampaign: () => selectCampaign(list.current()),
  });
}

wire();
if (token.get()) {
  showReview();
  reload();
} else {
  showSignIn();
}
