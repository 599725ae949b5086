/** The model picker: open a model folder on a device, and see what `inspect` reports about it. */
import type { ModelSummary } from '../shared/backend-contract.js';
import type { Connection } from './connection.js';
import { renderModel } from './lens-panel.js';

export function showModelFacts(el: HTMLElement, m: ModelSummary): void {
  const rows: [string, string][] = [
    ['folder', m.dir],
    ['architecture', m.architecture],
    ['layers', String(m.numLayers)],
    ['d_model', String(m.hiddenSize)],
    ['d_mlp', String(m.intermediateSize)],
    ['vocabulary', m.vocabSize.toLocaleString('en-US')],
    ['device', m.device],
    ['lens labels', `${m.labels.languages.join(', ')} (from the ${m.labels.corpus})`],
    ['tap points', m.taps.length ? `${m.taps.slice(0, 6).join(', ')}${m.taps.length > 6 ? ` … (${m.taps.length})` : ''}` : 'none'],
  ];
  el.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}

/** Files that make a folder a model folder (DESIGN.md, Models). */
const MODEL_MARKERS = new Set(['config.json', 'genai_config.json']);

export interface FolderBrowserElements {
  toggle: HTMLButtonElement;
  box: HTMLElement;
  crumbs: HTMLElement;
  list: HTMLElement;
}

/**
 * The model picker's folder browser: the workspace's folders through the backend's listing (the page
 * cannot read the disk). A folder holding config.json (or genai_config.json) is a model folder:
 * "Use this folder" puts its absolute path in the picker.
 */
export function mountFolderBrowser(conn: Connection, el: FolderBrowserElements, pick: (absDir: string) => void, showError: (e: unknown) => void): void {
  let root = '';
  const show = async (dir: string): Promise<void> => {
    try {
      const [{ entries, dir: shown }, info] = await Promise.all([conn.call('workspace.list', { dir }), root ? Promise.resolve({ root }) : conn.call('workspace.info', {})]);
      root = info.root;
      const abs = shown ? `${root.replace(/[\\/]$/, '')}/${shown}` : root;
      const isModel = entries.some((e) => e.kind !== 'dir' && MODEL_MARKERS.has(e.name));
      const parts = shown ? shown.split('/') : [];
      const crumb = (label: string, to: string) => Object.assign(document.createElement('button'), { type: 'button', className: 'crumb', textContent: label, onclick: () => void show(to) });
      el.crumbs.replaceChildren(crumb(root.split(/[\\/]/).filter(Boolean).pop() ?? root, ''), ...parts.map((p, i) => crumb(p, parts.slice(0, i + 1).join('/'))));
      const use = Object.assign(document.createElement('button'), {
        type: 'button',
        className: isModel ? 'primary use-folder' : 'use-folder',
        textContent: isModel ? 'Use this model folder' : 'Use this folder',
        title: abs,
        onclick: () => {
          pick(abs);
          el.box.hidden = true;
          el.toggle.setAttribute('aria-expanded', 'false');
        },
      });
      const folders = entries.filter((e) => e.kind === 'dir');
      const head = document.createElement('li');
      head.append(use);
      el.list.replaceChildren(
        head,
        ...folders.map((e) => {
          const li = document.createElement('li');
          const b = Object.assign(document.createElement('button'), { type: 'button', className: 'file dir', textContent: `${e.name}/`, title: e.path, onclick: () => void show(e.path) });
          b.dataset['path'] = e.path;
          li.append(b);
          return li;
        }),
      );
      if (!folders.length) el.list.append(Object.assign(document.createElement('li'), { className: 'muted', textContent: 'no folders here' }));
    } catch (e) {
      showError(e);
    }
  };
  el.toggle.addEventListener('click', () => {
    el.box.hidden = !el.box.hidden;
    el.toggle.setAttribute('aria-expanded', String(!el.box.hidden));
    if (!el.box.hidden) void show('');
  });
}

export function mountModelPanel(conn: Connection, el: { form: HTMLFormElement; dir: HTMLInputElement; device: HTMLSelectElement; facts: HTMLElement }, showError: (e: unknown) => void): void {
  el.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const button = el.form.querySelector('button')!;
    button.disabled = true;
    conn
      .call('model.open', { dir: el.dir.value.trim(), device: el.device.value as 'auto' | 'cpu' | 'cuda' })
      .then((m) => {
        showModelFacts(el.facts, m);
        renderModel(m);
      })
      .catch(showError)
      .finally(() => (button.disabled = false));
  });
  conn
    .call('model', {})
    .then((m) => {
      el.dir.value = m.dir;
      showModelFacts(el.facts, m);
    })
    .catch(() => {});
}
