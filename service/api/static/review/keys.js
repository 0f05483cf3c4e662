// Keyboard shortcuts of the review page; the help overlay in review.html lists the same keys.

const DECISION_KEYS = { a: "approve", r: "reject", s: "spam" };

/** True when the key press is meant as text for a field, not as a shortcut. */
function typing(target) {
  if (target.isContentEditable) return true;
  if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  return target.tagName === "INPUT" && !["checkbox", "radio", "button"].includes(target.type);
}

function plainKey(key, actions) {
  if (key === "j" || key === "k") actions.move(key === "j" ? 1 : -1);
  else if (key in DECISION_KEYS) actions.decide(DECISION_KEYS[key]);
  else if (key === "x") actions.toggleSelected();
  else if (key === "c") actions.selectCampaign();
  else if (key === "o") actions.openAuthorUrl();
  else return false;
  return true;
}

function shiftKey(key, actions) {
  if (!(key in DECISION_KEYS)) return false;
  actions.decideSelected(DECISION_KEYS[key]);
  return true;
}

/** Listen for the shortcuts on the document and call `actions` for each. */
export function installShortcuts(actions) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    // A form in a dialog (the settings) has the keyboard: not even its buttons take shortcuts.
    if (typing(event.target) || actions.paused()) return;
    if (event.key === "?") {
      event.preventDefault();
      actions.toggleHelp();
      return;
    }
    if (actions.helpOpen() || !actions.active()) return;
    // Lower-cased so Caps Lock does not turn "a" into a bulk decision: only Shift does.
    const key = event.key.toLowerCase();
    // A held-down key may move through the list, never decide comment after comment.
    if (event.repeat && key !== "j" && key !== "k") return;
    const handled = event.shiftKey ? shiftKey(key, actions) : plainKey(key, actions);
    if (handled) event.preventDefault();
  });
}
