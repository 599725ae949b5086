/** The file browser: the workspace's folders, notebooks and stores (opened in the store browser), and recently opened notebooks. */
import type { WorkspaceEntry } from '../shared/backend-contract.js';
import type { Connection } from './connection.js';

export class FilesPanel {
  private dir = '';

  constructor(
    private readonly conn: Connection,
    private readonly el: { list: HTMLElement; crumbs: HTMLElement; recent: HTMLElement },
    private readonly openNotebook: (path: string) => void,
    private readonly openStore: (path: string) => void,
    private readonly showError: (e: unknown) => void,
  ) {}

  async refresh(dir = this.dir): Promise<void> {
    try {
      const [{ entries, dir: shown }, info] = await Promise.all([this.conn.call('workspace.list', { dir }), this.conn.call('workspace.info', {})]);
      this.dir = shown;
      this.renderCrumbs(info.root);
      this.el.list.replaceChildren(...entries.map((e) => this.item(e)));
      if (!entries.length) this.el.list.append(Object.assign(document.createElement('li'), { className: 'muted', textContent: 'No files here yet: New creates a notebook.' }));
      this.el.recent.replaceChildren(
        ...info.recent.map((p) => this.item({ name: p, path: p, kind: 'notebook', mtimeMs: 0 })),
      );
    } catch (e) {
      this.showError(e);
    }
  }

  /** The folder shown, for new notebooks. */
  get folder(): string {
    return this.dir;
  }

  private renderCrumbs(root: string): void {
    const parts = this.dir ? this.dir.split('/') : [];
    const crumb = (label: string, dir: string) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'crumb';
      b.textContent = label;
      b.addEventListener('click', () => void this.refresh(dir));
      return b;
    };
    this.el.crumbs.replaceChildren(crumb(root.split(/[\\/]/).filter(Boolean).pop() ?? root, ''), ...parts.map((p, i) => crumb(p, parts.slice(0, i + 1).join('/'))));
    this.el.crumbs.title = root;
  }

  private item(e: WorkspaceEntry): HTMLElement {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = `file ${e.kind}`;
    b.textContent = e.kind === 'dir' ? `${e.name}/` : e.name;
    b.title = e.path;
    b.dataset['path'] = e.path;
    if (e.kind === 'dir') b.addEventListener('click', () => void this.refresh(e.path));
    else if (e.kind === 'notebook') b.addEventListener('click', () => this.openNotebook(e.path));
    else if (e.kind === 'store') {
      b.title = `${e.path}: open in the store browser (read-only)`;
      b.addEventListener('click', () => this.openStore(e.path));
    } else b.disabled = true;
    li.append(b);
    return li;
  }
}
