// The review page: sign-in, the queue, decisions by button or keyboard, and the help overlay.

import { ApiError, decide, decideMany, describe, fetchQueue, token } from "./api.js";
import { renderItem, webUrl } from "./render.js";

const $ = (id) => document.getElementById(id);
const ui = {
  status: $("status"),
  signIn: $("sign-in"),
  signInForm: $("sign-in-form"),
  signInError: $("sign-in-error"),
  tokenInput: $("token"),
  signOut: $("sign-out"),
  review: $("review"),
  queue: $("queue"),
  empty: $("empty"),
  loadMore: $("load-more"),
  selectAll: $("select-all"),
  selectedCount: $("selected-count"),
  help: $("help"),
};
const PAST = { approve: "Approved", reject: "Rejected", spam: "Marked as spam" };
const state = { cursor: null, items: new Map(), currentId: null, loading: false };

function announce(message) {
  ui.status.textContent = message;
}

// --- signing in and out -------------------------------------------------------------------

function showSignIn(message = "") {
  ui.review.hidden = true;
  ui.signOut.hidden = true;
  ui.signIn.hidden = false;
  ui.signInError.textContent = message;
  ui.signInError.hidden = !message;
  ui.tokenInput.value = "";
  ui.tokenInput.focus();
}

function showReview() {
  ui.signIn.hidden = true;
  ui.signOut.hidden = false;
  ui.review.hidden = false;
}

function onSignIn(event) {
  event.preventDefault();
  const value = ui.tokenInput.value.trim();
  if (value.startsWith("modq_site_")) {
    showSignIn("That is a site key. Paste a moderator token (modq_moderator_…).");
    return;
  }
  token.set(value);
  ui.tokenInput.value = "";
  showReview();
  reload();
}

function signOut(message = "Signed out. The token was removed from this tab.") {
  token.clear();
  clearQueue();
  announce(message);
  showSignIn();
}

function authFailed(error) {
  token.clear();
  clearQueue();
  announce(describe(error));
  showSignIn(describe(error));
}

// --- the queue ----------------------------------------------------------------------------

function items() {
  return [...ui.queue.children];
}

function clearQueue() {
  ui.queue.replaceChildren();
  state.items.clear();
  state.cursor = null;
  state.currentId = null;
  refreshCounts();
}

async function load(cursor) {
  if (state.loading) return;
  state.loading = true;
  ui.loadMore.disabled = true;
  try {
    const page = await fetchQueue(cursor);
    const fresh = page.items.filter((item) => !state.items.has(item.id));
    for (const item of fresh) {
      const li = renderItem(item);
      state.items.set(item.id, { item, li });
      ui.queue.append(li);
    }
    state.cursor = page.next_cursor;
    const waiting = `${state.items.size} comment${state.items.size === 1 ? "" : "s"} loaded`;
    announce(state.cursor ? `${waiting}; more are waiting.` : `${waiting}.`);
    if (!cursor && items().length) focusItem(items()[0], false);
  } catch (error) {
    if (error instanceof ApiError && error.isAuth) return authFailed(error);
    announce(`Could not load the queue. ${describe(error)}`);
  } finally {
    state.loading = false;
    ui.loadMore.disabled = false;
    refreshCounts();
  }
}

function reload() {
  clearQueue();
  return load(null);
}

function refreshCounts() {
  const all = items();
  const selected = selectedItems().length;
  ui.selectedCount.textContent = `${selected} selected`;
  ui.selectAll.checked = all.length > 0 && selected === all.length;
  ui.selectAll.indeterminate = selected > 0 && selected < all.length;
  ui.loadMore.hidden = !state.cursor;
  ui.empty.hidden = all.length > 0 || Boolean(state.cursor) || state.loading;
}

// --- focus and selection --------------------------------------------------------------------

function currentItem() {
  const inside = document.activeElement?.closest?.(".item");
  if (inside && ui.queue.contains(inside)) return inside;
  return state.items.get(state.currentId)?.li ?? null;
}

function focusItem(li, scroll = true) {
  if (!li) return;
  for (const other of ui.queue.querySelectorAll(".item.current")) other.classList.remove("current");
  li.classList.add("current");
  state.currentId = li.dataset.id;
  li.focus({ preventScroll: true });
  if (scroll) li.scrollIntoView({ block: "nearest" });
}

function move(step) {
  const all = items();
  if (!all.length) return;
  const index = all.indexOf(currentItem());
  const next = index < 0 ? 0 : Math.min(all.length - 1, Math.max(0, index + step));
  focusItem(all[next]);
}

function selectedItems() {
  return items().filter((li) => li.querySelector("input.select").checked);
}

function setSelected(li, on) {
  li.querySelector("input.select").checked = on;
  li.classList.toggle("selected", on);
}

function toggleSelected(li) {
  if (!li) return;
  const box = li.querySelector("input.select");
  setSelected(li, !box.checked);
  refreshCounts();
}

function selectAll(on) {
  for (const li of items()) setSelected(li, on);
  refreshCounts();
}

// --- decisions ------------------------------------------------------------------------------

function setBusy(li, busy) {
  li.setAttribute("aria-busy", String(busy));
  for (const button of li.querySelectorAll("button")) button.disabled = busy;
}

function showItemError(li, message) {
  const error = li.querySelector(".item-error");
  error.textContent = message;
  error.hidden = false;
}

function removeItems(lis) {
  const all = items();
  const current = currentItem();
  const gone = new Set(lis);
  let next = null;
  if (current && gone.has(current)) {
    const after = all.slice(all.indexOf(current)).find((li) => !gone.has(li));
    next = after ?? [...all].reverse().find((li) => !gone.has(li)) ?? null;
  }
  for (const li of lis) {
    state.items.delete(li.dataset.id);
    li.remove();
  }
  if (next) focusItem(next);
  refreshCounts();
  if (!items().length && state.cursor) load(state.cursor);
}

function authorOf(li) {
  return state.items.get(li.dataset.id)?.item.author.name ?? "comment";
}

async function decideOne(li, decision) {
  if (!li || li.getAttribute("aria-busy") === "true") return;
  setBusy(li, true);
  try {
    await decide(li.dataset.id, decision);
    announce(`${PAST[decision]}: the comment by ${authorOf(li)}.`);
    removeItems([li]);
  } catch (error) {
    if (error instanceof ApiError && error.isAuth) return authFailed(error);
    showItemError(li, describe(error));
    announce(`Could not decide the comment by ${authorOf(li)}: ${describe(error)}`);
    setBusy(li, false);
  }
}

async function decideSelected(decision) {
  const chosen = selectedItems().filter((li) => li.getAttribute("aria-busy") !== "true");
  if (!chosen.length) {
    announce("Nothing is selected: select comments with x or their checkboxes first.");
    return;
  }
  for (const li of chosen) setBusy(li, true);
  try {
    const results = await decideMany(chosen.map((li) => li.dataset.id), decision);
    const byId = new Map(results.map((result) => [result.id, result]));
    const done = chosen.filter((li) => byId.get(li.dataset.id)?.ok);
    for (const li of chosen.filter((li) => !done.includes(li))) {
      const failure = byId.get(li.dataset.id)?.error ?? { code: 0, message: "no result" };
      showItemError(li, describe(new ApiError(failure.code, failure.message)));
      setBusy(li, false);
    }
    const failed = chosen.length - done.length;
    const tail = failed ? `; ${failed} failed, see the comments marked in red` : "";
    announce(`${PAST[decision]}: ${done.length} comment${done.length === 1 ? "" : "s"}${tail}.`);
    removeItems(done);
  } catch (error) {
    if (error instanceof ApiError && error.isAuth) return authFailed(error);
    for (const li of chosen) setBusy(li, false);
    announce(`Nothing was decided. ${describe(error)}`);
  }
}

function openAuthorUrl(li) {
  const url = li && webUrl(state.items.get(li.dataset.id)?.item.author.url);
  if (url) window.open(url, "_blank", "noopener,noreferrer");
  else if (li) announce("This author gave no web address.");
}

// --- help and keyboard ----------------------------------------------------------------------

function toggleHelp() {
  if (ui.help.open) ui.help.close();
  else ui.help.showModal();
}

function typing(target) {
  if (target.isContentEditable) return true;
  if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  return target.tagName === "INPUT" && !["checkbox", "radio", "button"].includes(target.type);
}

const SINGLE = { a: "approve", r: "reject", s: "spam" };

function onKey(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (typing(event.target)) return;
  if (event.key === "?") {
    event.preventDefault();
    toggleHelp();
    return;
  }
  if (ui.help.open || ui.review.hidden) return;
  const key = event.key.toLowerCase();
  const handled = event.shiftKey ? onShiftKey(key) : onPlainKey(key);
  if (handled) event.preventDefault();
}

function onShiftKey(key) {
  if (!(key in SINGLE)) return false;
  decideSelected(SINGLE[key]);
  return true;
}

function onPlainKey(key) {
  const li = currentItem();
  if (key === "j" || key === "k") move(key === "j" ? 1 : -1);
  else if (key in SINGLE) decideOne(li, SINGLE[key]);
  else if (key === "x") toggleSelected(li);
  else if (key === "o") openAuthorUrl(li);
  else return false;
  return true;
}

// --- wiring ---------------------------------------------------------------------------------

function onQueueClick(event) {
  const li = event.target.closest(".item");
  if (!li) return;
  const button = event.target.closest("button[data-decision]");
  if (button) decideOne(li, button.dataset.decision);
}

function onQueueChange(event) {
  const li = event.target.closest(".item");
  if (li && event.target.matches("input.select")) {
    li.classList.toggle("selected", event.target.checked);
    refreshCounts();
  }
}

function onQueueFocus(event) {
  const li = event.target.closest(".item");
  if (li && li.dataset.id !== state.currentId) {
    for (const other of ui.queue.querySelectorAll(".item.current")) other.classList.remove("current");
    li.classList.add("current");
    state.currentId = li.dataset.id;
  }
}

function wire() {
  ui.signInForm.addEventListener("submit", onSignIn);
  ui.signOut.addEventListener("click", () => signOut());
  $("help-open").addEventListener("click", toggleHelp);
  $("help-close").addEventListener("click", () => ui.help.close());
  $("reload").addEventListener("click", reload);
  ui.loadMore.addEventListener("click", () => load(state.cursor));
  ui.selectAll.addEventListener("change", () => selectAll(ui.selectAll.checked));
  for (const button of document.querySelectorAll("button[data-bulk]")) {
    button.addEventListener("click", () => decideSelected(button.dataset.bulk));
  }
  ui.queue.addEventListener("click", onQueueClick);
  ui.queue.addEventListener("change", onQueueChange);
  ui.queue.addEventListener("focusin", onQueueFocus);
  document.addEventListener("keydown", onKey);
}

wire();
if (token.get()) {
  showReview();
  reload();
} else {
  showSignIn();
}
