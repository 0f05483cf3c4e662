// The held comments on the page, in queue order: which one is current, which are selected.

export class CommentList {
  constructor(root) {
    this.root = root;
    this.entries = new Map(); // id -> {item, li}
    this.currentId = null;
  }

  /** The <li> elements, oldest comment first. */
  get elements() {
    return [...this.root.children];
  }

  has(id) {
    return this.entries.has(id);
  }

  /** The ReviewItem an <li> shows. */
  itemOf(li) {
    return this.entries.get(li?.dataset.id)?.item ?? null;
  }

  /** Add a comment; a campaign's later copies go right after its copies already listed. */
  append(item, li) {
    this.entries.set(item.id, { item, li });
    const copies = this.copiesOf(li);
    if (copies.length) {
      li.classList.add("copy");
      copies.at(-1).after(li);
    } else {
      this.root.append(li);
    }
  }

  /** The listed comments of the same campaign as `li`, itself excluded. */
  copiesOf(li) {
    const campaign = li?.dataset.campaign;
    if (!campaign) return [];
    return this.elements.filter((other) => other !== li && other.dataset.campaign === campaign);
  }

  clear() {
    this.root.replaceChildren();
    this.entries.clear();
    this.currentId = null;
  }

  /** The comment holding the keyboard focus, else the one focused last. */
  current() {
    const inside = document.activeElement?.closest?.(".item");
    if (inside && this.root.contains(inside)) return inside;
    return this.entries.get(this.currentId)?.li ?? null;
  }

  markCurrent(li) {
    for (const other of this.root.querySelectorAll(".item.current")) {
      if (other !== li) other.classList.remove("current");
    }
    li.classList.add("current");
    this.currentId = li.dataset.id;
  }

  focus(li, scroll = true) {
    if (!li) return;
    this.markCurrent(li);
    li.focus({ preventScroll: true });
    if (scroll) li.scrollIntoView({ block: "nearest" });
  }

  /** Move the focus `step` comments down (or up when negative), stopping at either end. */
  move(step) {
    const all = this.elements;
    if (!all.length) return;
    const index = all.indexOf(this.current());
    this.focus(all[index < 0 ? 0 : Math.min(all.length - 1, Math.max(0, index + step))]);
  }

  selected() {
    return this.elements.filter((li) => li.querySelector("input.select").checked);
  }

  setSelected(li, on) {
    li.querySelector("input.select").checked = on;
    li.classList.toggle("selected", on);
  }

  toggleSelected(li) {
    if (li) this.setSelected(li, !li.querySelector("input.select").checked);
  }

  selectAll(on) {
    for (const li of this.elements) this.setSelected(li, on);
  }

  /** Take decided comments out; the focus goes to the next comment still listed. */
  remove(lis) {
    const all = this.elements;
    const gone = new Set(lis);
    const current = this.current();
    let next = null;
    if (current && gone.has(current)) {
      const after = all.slice(all.indexOf(current)).find((li) => !gone.has(li));
      next = after ?? all.reverse().find((li) => !gone.has(li)) ?? null;
    }
    for (const li of lis) {
      this.entries.delete(li.dataset.id);
      li.remove();
    }
    if (next) this.focus(next);
  }
}
