/**
 * The workbench: a notebook (Monaco cells run by the notebook's kernel), a file browser, a model
 * picker, and the logit-lens explorer, over one connection to the local backend.
 */
import { Connection, errorHint, takeToken } from './connection.js';
import { FilesPanel } from './files-panel.js';
import { mountLens } from './lens-panel.js';
import { mountFolderBrowser, mountModelPanel } from './model-panel.js';
import { addApiTypes, addNodeTypesAtPause, configureTypeScript, setTheme } from './notebook/editor.js';
import { NotebookView } from './notebook/notebook-view.js';
import { setFigureExporter } from './notebook/outputs.js';
import { rethemeFigures } from './plotly.js';
import { shell } from './shell.js';
import { StorePanel } from './store-panel.js';
import './style.css';

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

function showError(e: unknown): void {
  const box = $('nb-error');
  const strong = document.createElement('strong');
  strong.textContent = e instanceof Error ? e.message : String(e);
  box.replaceChildren(strong);
  const hint = errorHint(e);
  if (hint) box.append(Object.assign(document.createElement('div'), { className: 'hint', textContent: hint }));
  const close = Object.assign(document.createElement('button'), { type: 'button', className: 'close', textContent: '×', title: 'Dismiss' });
  close.addEventListener('click', () => (box.hidden = true));
  box.append(close);
  box.hidden = false;
  if (!(e instanceof Error && (e as { kind?: unknown }).kind === 'user')) console.warn(e);
}

function askPath(title: string, initial: string): Promise<string | null> {
  const dialog = $<HTMLDialogElement>('path-dialog');
  const input = $<HTMLInputElement>('path-dialog-input');
  $('path-dialog-title').textContent = `${title} (a path in the workspace)`;
  input.value = initial;
  dialog.showModal();
  input.focus();
  input.setSelectionRange(0, Math.max(0, initial.lastIndexOf('.ipynb')));
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => {
        const v = input.value.trim();
        resolve(dialog.returnValue === 'ok' && v ? (v.endsWith('.ipynb') ? v : `${v}.ipynb`) : null);
      },
      { once: true },
    );
  });
}

function applyTheme(dark: boolean): void {
  document.documentElement.dataset['theme'] = dark ? 'dark' : 'light';
  setTheme(dark);
  void rethemeFigures().catch((e) => console.info(`figures keep their colours: ${(e as Error).message}`));
  localStorage.setItem('babelscope.theme', dark ? 'dark' : 'light');
}

/** Below this width the side panels cover the notebook when shown, and are hidden by default (style.css). */
const NARROW = matchMedia('(max-width: 900px)');

/** Shows or hides the side panels: beside the view in a wide window, over it in a narrow one. */
function setSidebar(open: boolean): void {
  document.body.classList.toggle(NARROW.matches ? 'sidebar-open' : 'sidebar-closed', NARROW.matches ? open : !open);
  $('sidebar-toggle').setAttribute('aria-expanded', String(sidebarShown()));
}

function sidebarShown(): boolean {
  return NARROW.matches ? document.body.classList.contains('sidebar-open') : !document.body.classList.contains('sidebar-closed');
}

function showView(name: string): void {
  const view = name === 'lens' || name === 'store' ? name : 'notebook';
  $('notebook-view').hidden = view !== 'notebook';
  $('lens-view').hidden = view !== 'lens';
  $('store-view').hidden = view !== 'store';
  if (view === 'store') void storePanel?.refresh();
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav.views a')) a.classList.toggle('active', a.dataset['view'] === view);
  document.body.dataset['view'] = view;
}

let storePanel: StorePanel | undefined;

async function start(): Promise<void> {
  const conn = new Connection(takeToken());
  setFigureExporter(async (figure, format) => (await conn.call('figure.export', { figure, format })).base64);
  storePanel = new StorePanel(
    conn,
    {
      stores: $<HTMLSelectElement>('store-file'),
      refresh: $<HTMLButtonElement>('store-refresh'),
      overview: $('store-overview'),
      form: $<HTMLFormElement>('store-form'),
      sql: $<HTMLTextAreaElement>('store-sql'),
      chart: $<HTMLButtonElement>('store-chart'),
      exportSvg: $<HTMLButtonElement>('store-export'),
      status: $('store-status'),
      error: $('store-error'),
      table: $('store-result'),
      plot: $('store-plot'),
    },
    showError,
  );
  conn.onState((up) => ($('connection-lost').hidden = up));
  configureTypeScript();
  const stored = localStorage.getItem('babelscope.theme');
  applyTheme(stored ? stored === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches);
  $('theme-toggle').addEventListener('click', () => applyTheme(document.documentElement.dataset['theme'] !== 'dark'));

  $('sidebar-toggle').addEventListener('click', () => setSidebar(!sidebarShown()));
  NARROW.addEventListener('change', () => {
    document.body.classList.remove('sidebar-open');
    $('sidebar-toggle').setAttribute('aria-expanded', String(sidebarShown()));
  });
  $('sidebar-toggle').setAttribute('aria-expanded', String(sidebarShown()));
  // A panel laid over the notebook closes with Escape, or when a click lands outside it.
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && NARROW.matches && sidebarShown()) setSidebar(false);
  });
  document.addEventListener('mousedown', (e) => {
    const target = e.target as Element | null;
    if (NARROW.matches && sidebarShown() && !target?.closest('#sidebar, #sidebar-toggle, dialog')) setSidebar(false);
  });

  showView(location.hash.slice(1));
  window.addEventListener('hashchange', () => showView(location.hash.slice(1)));

  let files: FilesPanel | undefined;
  const notebook = new NotebookView(conn, {
    cells: $('cells'),
    name: $('nb-name'),
    dirty: $('nb-dirty'),
    kernelStatus: $('kernel-status'),
    banner: $('nb-banner'),
    showError,
    askPath,
    onOpened: () => void files?.refresh(),
  });
  const openPath = (path: string) =>
    void conn
      .call('notebook.read', { path })
      .then((f) => notebook.open(f))
      .then(() => {
        location.hash = 'notebook';
        if (NARROW.matches) setSidebar(false);
      })
      .catch(showError);
  const openStore = (path: string) => {
    storePanel?.select(path);
    if (location.hash === '#store') void storePanel?.refresh();
    else location.hash = 'store';
    if (NARROW.matches) setSidebar(false);
  };
  files = new FilesPanel(conn, { list: $('files-list'), crumbs: $('files-crumbs'), recent: $('recent-list') }, openPath, openStore, showError);

  // The toolbar's buttons are commands of the notebook's table: their tooltips say its label and keys.
  for (const b of document.querySelectorAll<HTMLButtonElement>('.toolbar button[data-act]')) {
    const id = b.dataset['act']!;
    const command = notebook.commands.get(id);
    if (!command) throw new Error(`the toolbar's ${id} is no notebook command`);
    const keys = notebook.commands.keyText(id);
    b.title = keys ? `${command.label} (${keys})` : command.label;
    b.addEventListener('click', () => notebook.run(id));
  }
  $('nb-new').addEventListener('click', () => void notebook.create().catch(showError));
  $('files-refresh').addEventListener('click', () => void files?.refresh());
  const native = shell();
  if (native) {
    const b = $('nb-open-native');
    b.hidden = false;
    b.addEventListener('click', () =>
      void native
        .openNotebook()
        .then((f) => f && notebook.openUnsaved(f.text, f.path))
        .catch(showError),
    );
  }
  for (const tab of document.querySelectorAll<HTMLButtonElement>('.tabs [role=tab]'))
    tab.addEventListener('click', () => {
      for (const t of document.querySelectorAll<HTMLButtonElement>('.tabs [role=tab]')) {
        t.setAttribute('aria-selected', String(t === tab));
        $(t.dataset['panel']!).hidden = t !== tab;
      }
    });

  void files.refresh();
  void conn.call('api.types', {}).then((t) => addApiTypes(t.files)).catch((e) => console.info(`no API completion: ${(e as Error).message}`));
  void conn.call('node.types', {}).then((t) => addNodeTypesAtPause(t.files)).catch((e) => console.info(`Node's globals only in part for the cells: ${(e as Error).message}`));
  mountFolderBrowser(
    conn,
    { toggle: $<HTMLButtonElement>('model-browse'), box: $('model-browser'), crumbs: $('model-browser-crumbs'), list: $('model-browser-list') },
    (dir) => ($<HTMLInputElement>('model-dir').value = dir),
    showError,
  );
  mountModelPanel(conn, { form: $<HTMLFormElement>('model-form'), dir: $<HTMLInputElement>('model-dir'), device: $<HTMLSelectElement>('model-device'), facts: $('model-facts') }, showError);
  await mountLens(conn);
  // Open a notebook named in the address (#notebook=path), e.g. from a link or a test.
  const m = /^#notebook=(.+)$/.exec(location.hash);
  if (m) openPath(decodeURIComponent(m[1]!));
}

window.addEventListener('unhandledrejection', (ev) => showError(ev.reason));
start().catch(showError);
