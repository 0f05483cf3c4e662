// The "Last 30 days" panel: the site's figures per UTC day from GET stats, as an SVG chart
// drawn with DOM calls (no library, no inline style: CSS classes colour it), the totals as
// text, and every day in a table for screen readers. The arrow keys read the chart a day
// at a time.

import { describe, fetchStats } from "./api.js";
import { el } from "./render.js";

const SVG = "http://www.w3.org/2000/svg";
// The days are UTC days: shown as such wherever the moderator is.
const LONG = new Intl.DateTimeFormat(undefined, {
  weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC",
});
const SHORT = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
const CLOCK = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });

/** The verdicts, stacked bottom up: together a bar as tall as the day's received comments. */
const STACK = [
  { key: "approved", one: "approved", many: "approved" },
  { key: "held", one: "held", many: "held" },
  { key: "spam", one: "spam", many: "spam" },
  { key: "rejected", one: "rejected", many: "rejected" },
];
/** The model's mistakes people corrected that day: a mark each, in a lane under the bars. */
const MARKS = [
  { key: "missed_spam", one: "missed spam", many: "missed spam", shape: "circle" },
  { key: "false_positives", one: "false positive", many: "false positives", shape: "diamond" },
];
const RECEIVED = { key: "received", one: "received", many: "received" };
/** The totals, in the order shown. */
const TOTALS = [
  ["received", "Received"],
  ["approved", "Approved"],
  ["held", "Held"],
  ["spam", "Spam"],
  ["rejected", "Rejected"],
  ["missed_spam", "Missed spam"],
  ["false_positives", "False positives"],
];
/**
 * The chart's layout in CSS pixels (its width is its box's): the verdicts' lane above the
 * corrections' lane, each with its own scale, over one row of dates.
 */
const LAYOUT = {
  left: 40,
  right: 10,
  height: 282,
  received: { caption: "Comments received a day, by verdict", top: 24, height: 150 },
  corrected: { caption: "Mistakes corrected by moderators", top: 212, height: 44 },
  dates: 276, // the baseline of the dates
};
/** A date under every LABEL_EVERY-th day, counted back from today. */
const LABEL_EVERY = 7;

function svg(tag, attributes = {}, className = "") {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (className) node.setAttribute("class", className);
  return node;
}

/** `node` with a <title> child, the tooltip a hover shows. */
function titled(node, text) {
  node.prepend(svg("title"));
  node.firstChild.textContent = text;
  return node;
}

function dateOf(day) {
  return new Date(`${day}T00:00:00Z`);
}

function count(n, series) {
  return `${n} ${n === 1 ? series.one : series.many}`;
}

function percent(accuracy) {
  return accuracy === null || accuracy === undefined ? "—" : `${+(accuracy * 100).toFixed(1)} %`;
}

/** One day in a sentence: what came in, what the model did, what people corrected. */
function summary(day) {
  const verdicts = STACK.map((series) => count(day[series.key], series)).join(", ");
  const mistakes = MARKS.map((series) => count(day[series.key], series)).join(", ");
  return `${LONG.format(dateOf(day.day))}: ${count(day.received, RECEIVED)} (${verdicts}); ` +
    `${mistakes}; accuracy ${percent(day.accuracy)}`;
}

/** The smallest of 1, 2, 5, 10, 20, 50, … not below `n`: the top of the value axis. */
function axisTop(n) {
  if (n <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((step) => step * power).find((top) => top >= n);
}

/** A circle or a diamond of radius `r` centred on (x, y). */
function mark(shape, x, y, r, className) {
  if (shape === "circle") return svg("circle", { cx: x, cy: y, r }, className);
  const d = r * 1.3; // a diamond as tall as the circle looks smaller
  const points = [[x, y - d], [x + d, y], [x, y + d], [x - d, y]];
  return svg("polygon", { points: points.map((point) => point.join(",")).join(" ") }, className);
}

/** The height of a day's bar: its verdicts stacked (which add up to what it received). */
function barHeight(day) {
  return Math.max(day.received, STACK.reduce((sum, series) => sum + day[series.key], 0));
}

/** A lane of the chart: where it stands and its scale, from 0 to a round top over `highest`. */
function lane({ caption, top, height }, highest) {
  const max = axisTop(highest);
  const bottom = top + height;
  return { caption, top, height, bottom, highest, max, y: (n) => bottom - (n / max) * height };
}

/** A lane's caption, its grid lines and their values: 0, the middle when whole, the top. */
function valueAxis(scale, plot, className) {
  const axis = svg("g", { "aria-hidden": "true" }, `axis value-axis ${className}`);
  const caption = svg("text", { x: 0, y: scale.top - 12 }, "caption");
  caption.textContent = scale.caption;
  axis.append(caption);
  const ticks = scale.max % 2 === 0 ? [0, scale.max / 2, scale.max] : [0, scale.max];
  for (const tick of ticks) {
    const y = scale.y(tick);
    const line = { x1: plot.left, x2: plot.left + plot.width, y1: y, y2: y };
    axis.append(svg("line", line, tick ? "grid" : "baseline"));
    const label = svg("text", { x: plot.left - 6, y: y + 4, "text-anchor": "end" }, "value");
    label.textContent = String(tick);
    axis.append(label);
  }
  return axis;
}

export class StatsPanel {
  /**
   * `dialog`: the stats <dialog> of review.html. `handleAuth(error)` signs out on a refused
   * token and then returns true.
   */
  constructor(dialog, { handleAuth }) {
    this.dialog = dialog;
    this.handleAuth = handleAuth;
    this.error = dialog.querySelector("#stats-error");
    this.state = dialog.querySelector("#stats-state");
    this.totals = dialog.querySelector("#stats-totals");
    this.figure = dialog.querySelector("#stats-figure");
    this.box = dialog.querySelector("#stats-chart");
    this.readout = dialog.querySelector("#stats-day");
    this.table = dialog.querySelector("#stats-table");
    this.refreshButton = dialog.querySelector("#stats-refresh");
    this.legend(dialog.querySelector("#stats-legend"));
    this.chart = svg("svg", { role: "img", tabindex: 0 }, "chart");
    this.box.append(this.chart);
    this.days = [];
    this.current = -1; // the day the readout shows and the chart highlights
    this.opening = 0; // counts loads and closings: an answer for an earlier one is dropped
    this.loading = false;
    this.refreshButton.addEventListener("click", () => this.load());
    dialog.querySelector("#stats-close").addEventListener("click", () => this.close());
    dialog.addEventListener("close", () => {
      this.opening += 1;
    });
    this.chart.addEventListener("keydown", (event) => this.onKey(event));
    this.chart.addEventListener("pointerover", (event) => this.pointAt(event.target));
    this.chart.addEventListener("click", (event) => this.pointAt(event.target));
    window.addEventListener("resize", () => {
      if (this.isOpen && this.days.length) this.draw();
    });
  }

  get isOpen() {
    return this.dialog.open;
  }

  /** Open the panel and load the figures. */
  async open() {
    if (this.dialog.open) return;
    this.dialog.showModal();
    if (await this.load()) this.chart.focus();
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  /** Fetch the figures again and show them; true once shown. */
  async load() {
    if (this.loading) return false;
    const opening = ++this.opening;
    this.loading = true;
    this.refreshButton.setAttribute("aria-disabled", "true"); // disabled would drop the focus
    this.error.hidden = true;
    this.state.textContent = "Loading the last 30 days…";
    try {
      const stats = await fetchStats();
      if (opening !== this.opening) return false;
      this.show(stats);
      this.state.textContent = `Updated at ${CLOCK.format(new Date())}. Days are UTC days.`;
      return true;
    } catch (error) {
      if (opening !== this.opening || this.handleAuth(error)) return false;
      this.state.textContent = "";
      this.error.textContent = `Could not load the figures. ${describe(error)}`;
      this.error.hidden = false;
      return false;
    } finally {
      this.loading = false;
      this.refreshButton.removeAttribute("aria-disabled");
    }
  }

  show({ days, total, learned }) {
    this.days = days;
    this.showTotals(total, learned);
    this.figure.hidden = false;
    this.draw();
    this.select(days.length - 1);
    this.fillTable(days);
  }

  showTotals(total, learned) {
    const rows = [
      ...TOTALS.map(([key, label]) => [key, label, String(total[key])]),
      ["accuracy", "Accuracy", percent(total.accuracy)],
      ["learned", "Decisions learned", String(learned)],
    ];
    this.totals.replaceChildren(
      ...rows.map(([key, label, value]) => {
        const row = el("div", `total total-${key}`);
        const figure = el("dd", "", value);
        figure.dataset.total = key;
        row.append(el("dt", "", label), figure);
        return row;
      }),
    );
  }

  legend(list) {
    for (const series of [...STACK, ...MARKS]) {
      const item = el("li");
      const swatch = el("span", `swatch swatch-${series.key}`);
      swatch.setAttribute("aria-hidden", "true");
      item.append(swatch, series.many);
      list.append(item);
    }
  }

  /** Draw the chart at its box's width: a bar a day stacked by verdict, the corrections below. */
  draw() {
    const days = this.days;
    const width = Math.max(280, Math.floor(this.box.clientWidth || 600));
    const plot = { left: LAYOUT.left, width: width - LAYOUT.left - LAYOUT.right };
    plot.step = plot.width / days.length;
    const received = lane(LAYOUT.received, Math.max(0, ...days.map(barHeight)));
    const corrected = lane(
      LAYOUT.corrected,
      Math.max(0, ...days.flatMap((day) => MARKS.map((series) => day[series.key]))),
    );
    const chart = this.chart;
    chart.replaceChildren();
    chart.setAttribute("viewBox", `0 0 ${width} ${LAYOUT.height}`);
    chart.setAttribute("width", String(width));
    chart.setAttribute("height", String(LAYOUT.height));
    chart.setAttribute(
      "aria-label",
      `Comments per day from ${LONG.format(dateOf(days[0].day))} to ` +
        `${LONG.format(dateOf(days.at(-1).day))}: received, by verdict (at most ` +
        `${received.highest} a day), and the mistakes moderators corrected (at most ` +
        `${corrected.highest} a day). The left and right arrow keys read one day at a ` +
        "time; the table below lists every day.",
    );
    chart.append(
      valueAxis(received, plot, "received-axis"),
      valueAxis(corrected, plot, "corrected-axis"),
      this.dayAxis(plot, corrected.bottom),
    );
    const columns = svg("g", {}, "days");
    days.forEach((day, index) => {
      columns.append(this.dayGroup(day, index, plot, received, corrected));
    });
    chart.append(columns);
    if (this.current >= 0) this.highlight();
  }

  /** The dates under every LABEL_EVERY-th day, today's always among them. */
  dayAxis(plot, bottom) {
    const axis = svg("g", { "aria-hidden": "true" }, "axis day-axis");
    const lastIndex = this.days.length - 1;
    this.days.forEach((day, index) => {
      if ((lastIndex - index) % LABEL_EVERY) return;
      const x = plot.left + plot.step * (index + 0.5);
      const anchor = index === lastIndex && plot.step < 30 ? "end" : "middle";
      const at = anchor === "end" ? Math.min(x + plot.step / 2, plot.left + plot.width) : x;
      axis.append(svg("line", { x1: x, x2: x, y1: bottom, y2: bottom + 4 }, "tick"));
      const label = svg("text", { x: at, y: LAYOUT.dates, "text-anchor": anchor });
      label.textContent = SHORT.format(dateOf(day.day));
      axis.append(label);
    });
    return axis;
  }

  /** One day's column: a hover area with the day's summary, its bar and its corrections. */
  dayGroup(day, index, plot, received, corrected) {
    const group = svg("g", { "data-day": day.day, "data-index": index }, "day");
    const left = plot.left + plot.step * index;
    const height = corrected.bottom - received.top;
    const area = { x: left, y: received.top, width: plot.step, height };
    group.append(titled(svg("rect", area, "day-area"), summary(day)));
    const date = LONG.format(dateOf(day.day));
    const barWidth = Math.max(1, plot.step * 0.64);
    const y = received.y;
    let below = 0;
    for (const series of STACK) {
      const n = day[series.key];
      if (!n) continue;
      const box = { x: left + (plot.step - barWidth) / 2, y: y(below + n), width: barWidth };
      box.height = y(below) - box.y;
      const text = `${date}: ${count(n, series)} of ${count(day.received, RECEIVED)}`;
      group.append(titled(svg("rect", box, `bar bar-${series.key}`), text));
      below += n;
    }
    const r = Math.min(4.5, Math.max(2.5, plot.step * 0.16));
    MARKS.forEach((series, i) => {
      const n = day[series.key];
      if (!n) return;
      const x = left + plot.step / 2 + (i ? 1 : -1) * Math.min(r + 1, plot.step / 5);
      const stem = { x1: x, x2: x, y1: corrected.bottom, y2: corrected.y(n) };
      group.append(svg("line", stem, `stem stem-${series.key}`));
      const shape = mark(series.shape, x, corrected.y(n), r, `mark mark-${series.key}`);
      group.append(titled(shape, `${date}: ${count(n, series)}`));
    });
    return group;
  }

  /** Show day `index` in the readout and highlight its column. */
  select(index) {
    if (!this.days.length) return;
    this.current = Math.min(Math.max(index, 0), this.days.length - 1);
    this.readout.textContent = summary(this.days[this.current]);
    this.highlight();
  }

  highlight() {
    for (const group of this.chart.querySelectorAll("g.day")) {
      group.classList.toggle("current", Number(group.dataset.index) === this.current);
    }
  }

  pointAt(target) {
    const group = target.closest?.("g.day");
    if (group) this.select(Number(group.dataset.index));
  }

  onKey(event) {
    const moves = {
      ArrowLeft: this.current - 1,
      ArrowRight: this.current + 1,
      Home: 0,
      End: this.days.length - 1,
    };
    if (!(event.key in moves) || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    this.select(moves[event.key]);
  }

  /** Every day in a table, newest first, for reading the figures one by one. */
  fillTable(days) {
    const head = el("tr");
    const columns = ["Day", ...TOTALS.map(([, label]) => label), "Accuracy"];
    for (const label of columns) {
      const th = el("th", "", label);
      th.scope = "col";
      head.append(th);
    }
    const rows = [...days].reverse().map((day) => {
      const row = el("tr");
      const th = el("th", "", LONG.format(dateOf(day.day)));
      th.scope = "row";
      row.append(th, ...TOTALS.map(([key]) => el("td", "", String(day[key]))));
      row.append(el("td", "", percent(day.accuracy)));
      return row;
    });
    this.table.tHead.replaceChildren(head);
    this.table.tBodies[0].replaceChildren(...rows);
  }
}
