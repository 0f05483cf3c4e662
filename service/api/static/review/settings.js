// The Settings panel: the site's rules in a dialog, read with GET and replaced whole with PUT.
// A 422 puts each message next to its field and keeps what the moderator typed.

import { ApiError, describe, fetchSettings, saveSettings } from "./api.js";

/** A number field: its value, or null when empty or not a number. */
function readNumber(input) {
  if (input.validity.badInput || !input.value.trim()) return null;
  const value = Number(input.value);
  return Number.isFinite(value) ? value : null;
}

/** One word or phrase a line, as WordPress edits its lists; blank lines are dropped. */
function readLines(input) {
  return input.value.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
}

/** Script names separated by commas; empty pieces are dropped. */
function readCommas(input) {
  return input.value.split(",").map((name) => name.trim()).filter(Boolean);
}

const NUMBER = { show: (input, value) => (input.value = String(value)), read: readNumber };
const LINES = { show: (input, words) => (input.value = words.join("\n")), read: readLines };
const COMMAS = { show: (input, names) => (input.value = names.join(", ")), read: readCommas };
const SWITCH = { show: (input, on) => (input.checked = Boolean(on)), read: (input) => input.checked };

/** Every rule the API takes, in the form's order, and how its field shows and reads it. */
const RULES = {
  max_links: NUMBER,
  min_seconds_to_post: NUMBER,
  trusted_after: NUMBER,
  flood_max: NUMBER,
  flood_seconds: NUMBER,
  reject_duplicates: SWITCH,
  moderation_words: LINES,
  disallowed_words: LINES,
  allowed_scripts: COMMAS,
};

function sentence(text) {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function quote(value) {
  const text = String(value);
  return `“${text.length > 40 ? `${text.slice(0, 39)}…` : text}”`;
}

/**
 * The messages of one field of a 422: a list of messages, or, for items of a list,
 * {index: [message, …]}; `sent` is what was sent for the field, to name the bad items.
 */
function messagesOf(found, sent = undefined) {
  if (Array.isArray(found)) return found.map((message) => sentence(String(message)));
  if (!found || typeof found !== "object") return [sentence(String(found))];
  return Object.entries(found).flatMap(([index, inner]) => {
    const item = Array.isArray(sent) ? sent[Number(index)] : undefined;
    const name = item === undefined ? `Item ${Number(index) + 1}` : quote(item);
    // marshmallow's item messages read on from the value ("is not a script like 'latin'")
    return messagesOf(inner).map((text) => `${name}${/^[a-z]/.test(text) ? " " : ": "}${text}`);
  });
}

export class SettingsPanel {
  /**
   * `dialog`: the settings <dialog> of review.html. `announce(message)` writes the page's
   * status line; `handleAuth(error)` signs out on a refused token and then returns true.
   */
  constructor(dialog, { announce, handleAuth }) {
    this.dialog = dialog;
    this.form = dialog.querySelector("form");
    this.error = dialog.querySelector("#settings-error");
    this.loading = dialog.querySelector("#settings-loading");
    this.saveButton = dialog.querySelector("#settings-save");
    this.announce = announce;
    this.handleAuth = handleAuth;
    this.opening = 0; // counts openings and closings: an answer for an earlier one is dropped
    this.loaded = {}; // the rules as read: a PUT sends back any this panel does not show
    this.saving = false;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault(); // the CSP forbids form submission anyway (form-action 'none')
      this.save();
    });
    dialog.querySelector("#settings-cancel").addEventListener("click", () => this.close());
    dialog.addEventListener("close", () => {
      this.opening += 1;
    });
  }

  get isOpen() {
    return this.dialog.open;
  }

  field(name) {
    return this.form.elements.namedItem(name);
  }

  /** Open the panel and show the site's current rules. */
  async open() {
    if (this.dialog.open) return;
    const opening = ++this.opening;
    this.clearErrors();
    this.form.reset();
    this.setEnabled(false);
    this.loading.textContent = "Loading your site's rules…";
    this.dialog.showModal();
    try {
      const rules = await fetchSettings();
      if (opening !== this.opening) return;
      this.loaded = rules;
      for (const [name, kind] of Object.entries(RULES)) {
        kind.show(this.field(name), rules[name]);
      }
      this.loading.textContent = "";
      this.setEnabled(true);
      this.dialog.scrollTop = 0; // the focus sat on Cancel, at the bottom, while it loaded
      this.field("max_links").focus();
    } catch (error) {
      if (opening !== this.opening || this.handleAuth(error)) return;
      this.loading.textContent = "";
      this.showError(`Could not load the rules. ${describe(error)}`);
    }
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  /** Enable or disable every field and Save; Cancel always works. */
  setEnabled(on) {
    for (const element of this.form.elements) {
      if (element.id !== "settings-cancel") element.disabled = !on;
    }
  }

  /** The rules as typed (with any not shown here as read), and the fields that cannot be sent. */
  read() {
    const rules = { ...this.loaded };
    const problems = {};
    for (const [name, kind] of Object.entries(RULES)) {
      rules[name] = kind.read(this.field(name));
      if (rules[name] === null) problems[name] = ["Enter a number."];
    }
    return { rules, problems };
  }

  async save() {
    if (this.saving || !this.dialog.open) return;
    this.clearErrors();
    const { rules, problems } = this.read();
    if (Object.keys(problems).length) {
      this.showProblems(problems, "Nothing was saved: correct the fields marked below.");
      return;
    }
    const opening = this.opening;
    this.saving = true;
    this.saveButton.setAttribute("aria-disabled", "true"); // disabled would drop the focus
    try {
      await saveSettings(rules);
      this.close();
      this.announce("Settings saved. They apply to new comments within seconds.");
    } catch (error) {
      if (this.handleAuth(error)) return;
      if (opening !== this.opening) {
        this.announce(`The settings were not saved. ${describe(error)}`);
      } else if (error instanceof ApiError && error.status === 422 && error.errors?.json) {
        this.showRefused(error, rules);
      } else {
        this.showError(`Nothing was saved. ${describe(error)}`);
      }
    } finally {
      this.saving = false;
      this.saveButton.removeAttribute("aria-disabled");
    }
  }

  /** A 422: its message on top, each field's messages next to the field. */
  showRefused(error, rules) {
    const problems = {};
    const others = [];
    for (const [name, found] of Object.entries(error.errors.json)) {
      if (name in RULES) problems[name] = messagesOf(found, rules[name]);
      else others.push(`${name}: ${messagesOf(found).join(" ")}`);
    }
    // The fields say what 'errors' would: the message need not point there.
    const reason = sentence(`Nothing was saved: ${error.message.replace(/: see 'errors'$/, "")}`);
    const where = Object.keys(problems).length ? " The fields marked below say why." : "";
    this.showProblems(problems, [reason + where, ...others].join(" "));
  }

  showProblems(problems, summary) {
    for (const [name, messages] of Object.entries(problems)) {
      const slot = this.form.querySelector(`[data-error-for="${name}"]`);
      slot.textContent = messages.join(" ");
      slot.hidden = false;
      this.field(name).setAttribute("aria-invalid", "true");
    }
    this.showError(summary);
    const first = Object.keys(RULES).find((name) => name in problems);
    if (first) this.field(first).focus();
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = false;
  }

  clearErrors() {
    this.error.textContent = "";
    this.error.hidden = true;
    for (const slot of this.form.querySelectorAll("[data-error-for]")) {
      slot.textContent = "";
      slot.hidden = true;
    }
    for (const element of this.form.querySelectorAll("[aria-invalid]")) {
      element.removeAttribute("aria-invalid");
    }
  }
}
