/**
 * The line above the cells that says something about the whole notebook, with buttons: changes on disk,
 * recovered changes, untrusted outputs. A notebook the kernel cannot run (another language) keeps that
 * note (`base`) whatever else the banner says, and the banner falls back to it when cleared.
 */
export class Banner {
  /** Kept in the banner whatever else it says; null when there is nothing to keep. */
  base: string | null = null;

  constructor(private readonly el: HTMLElement) {}

  show(text: string | null, actions: [string, () => void][] = []): void {
    const b = this.el;
    delete b.dataset['external'];
    delete b.dataset['untrusted'];
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

  /** Back to the base note (or hidden). */
  clear(): void {
    this.show(this.base);
  }

  /** Marks what the banner shows (`external`: a change on disk, `untrusted`), so it is not shown twice. */
  mark(what: 'external' | 'untrusted'): void {
    this.el.dataset[what] = '1';
  }

  shows(what: 'external' | 'untrusted'): boolean {
    return Boolean(this.el.dataset[what]);
  }
}
