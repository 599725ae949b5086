/**
 * The line above the cells that says something about the whole notebook, with buttons: changes on disk,
 * recovered changes, untrusted outputs. What it says when nothing else is pending (`resting`: the untrusted
 * notice with its Trust action, else the `base` note of a notebook the kernel cannot run) comes back when
 * a passing message is dismissed.
 */
export class Banner {
  /** Kept in the banner whatever else it says; null when there is nothing to keep. */
  base: string | null = null;
  /** The standing notice, with its actions, shown when the banner is cleared; null: the base note alone. */
  resting: () => { text: string; actions: [string, () => void][] } | null = () => null;

  constructor(private readonly el: HTMLElement) {}

  show(text: string | null, actions: [string, () => void][] = []): void {
    const b = this.el;
    delete b.dataset['external'];
    b.replaceChildren();
    b.hidden = text === null;
    if (text === null) return;
    const span = document.createElement('span');
    span.textContent = text;
    b.append(span);
    for (const [label, act] of actions) {
      const btn = document.createElement('button');
      btn.type = 'button';
      btn.textContent = label;
      btn.addEventListener('click', act);
      b.append(btn);
    }
  }

  /** Back to the standing notice, or the base note (or hidden). */
  clear(): void {
    const r = this.resting();
    if (r) this.show(r.text, r.actions);
    else this.show(this.base);
  }

  /** Marks that the banner shows a change on disk, so it is not shown twice. */
  mark(what: 'external'): void {
    this.el.dataset[what] = '1';
  }

  shows(what: 'external'): boolean {
    return Boolean(this.el.dataset[what]);
  }
}
