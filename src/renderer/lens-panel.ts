/**
 * The logit lens explorer (a panel of the workbench): type a text, pick languages, see the top-1 token
 * at every layer and position and the probability mass each language gets per layer. Talks to the
 * backend only through the typed connection.
 */
import type { LensView, ModelSummary } from '../shared/backend-contract.js';
import { languageMassChart, lensHeatmap } from './lens-figures.js';
import { drawFigure, lightFigure, loadPlotly, type PlotElement } from './plotly.js';
import { errorHint, type Connection } from './connection.js';
import { saveFile, shell } from './shell.js';

const LANGUAGES: { code: string; name: string }[] = [
  { code: 'eng', name: 'English' },
  { code: 'deu', name: 'German' },
  { code: 'fra', name: 'French' },
  { code: 'spa', name: 'Spanish' },
  { code: 'rus', name: 'Russian' },
  { code: 'ell', name: 'Greek' },
  { code: 'arb', name: 'Arabic' },
  { code: 'hin', name: 'Hindi' },
  { code: 'kor', name: 'Korean' },
  { code: 'cmn', name: 'Mandarin' },
];
const DEFAULT_LANGUAGES = new Set(['eng', 'rus', 'cmn']);

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

function showError(e: unknown): void {
  const box = $('error');
  const message = e instanceof Error ? e.message : String(e);
  const hint = errorHint(e);
  box.replaceChildren();
  const strong = document.createElement('strong');
  strong.textContent = message;
  box.append(strong);
  if (hint) {
    const p = document.createElement('div');
    p.className = 'hint';
    p.textContent = hint;
    box.append(p);
  }
  box.hidden = false;
  if (!(e instanceof Error && (e as { kind?: unknown }).kind === 'user')) console.warn(e);
}

function clearError(): void {
  const box = $('error');
  box.hidden = true;
  box.replaceChildren();
}

export function renderModel(m: ModelSummary): void {
  const name = m.dir.split(/[\\/]/).filter(Boolean).pop() ?? m.dir;
  const facts: [string, string][] = [
    ['', m.architecture],
    ['layers', `${m.numLayers} layers`],
    ['d_model', `d_model ${m.hiddenSize}`],
    ['d_mlp', `d_mlp ${m.intermediateSize}`],
    ['vocab', `vocab ${m.vocabSize.toLocaleString('en-US')}`],
    ['device', m.device],
  ];
  const box = $('model-summary');
  box.replaceChildren();
  // The header shows the facts that fit its width (style.css); all of them on hover.
  box.title = `${m.dir}\n${facts.map(([, text]) => text).join(' · ')}`;
  const title = document.createElement('span');
  title.className = 'model-name';
  title.textContent = name;
  title.title = m.dir;
  box.append(title);
  for (const [key, text] of facts) {
    const chip = document.createElement('span');
    chip.className = 'chip';
    if (key) chip.dataset.fact = key;
    chip.textContent = text;
    box.append(chip);
  }
}

function renderLanguageChoices(): void {
  const fieldset = $('languages');
  for (const { code, name } of LANGUAGES) {
    const label = document.createElement('label');
    label.className = 'lang';
    label.title = name;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = 'language';
    box.value = code;
    box.checked = DEFAULT_LANGUAGES.has(code);
    label.append(box, document.createTextNode(code));
    fieldset.append(label);
  }
}

function chosenLanguages(): string[] {
  return [...document.querySelectorAll<HTMLInputElement>('#languages input[name=language]:checked')].map((b) => b.value);
}

let lastView: LensView | null = null;

async function renderView(view: LensView): Promise<void> {
  const P = await loadPlotly();
  $('results').hidden = false;
  const heat = $('lens-heatmap');
  const { data, layout } = lensHeatmap(view, heat.parentElement?.clientWidth ?? 800);
  await drawFigure(heat, data, layout, { displaylogo: false, responsive: false, modeBarButtonsToRemove: ['select2d', 'lasso2d'] });
  const massEl = $('language-mass');
  const empty = view.languages.length === 0;
  $('language-mass-empty').hidden = !empty;
  massEl.hidden = empty;
  document.querySelector<HTMLButtonElement>('button[data-export="language-mass"]')!.disabled = empty;
  if (empty) P.purge(massEl);
  else {
    const chart = languageMassChart(view);
    await drawFigure(massEl, chart.data, chart.layout, { displaylogo: false, responsive: true });
  }
}

function setBusy(busy: boolean): void {
  const button = $<HTMLButtonElement>('run');
  button.disabled = busy;
  button.classList.toggle('busy', busy);
  $('results').setAttribute('aria-busy', String(busy));
  document.body.classList.toggle('busy', busy);
}

async function runLens(rpc: Connection): Promise<void> {
  if (document.body.classList.contains('busy')) return;
  const text = $<HTMLTextAreaElement>('lens-text').value;
  const status = $('status');
  setBusy(true);
  status.textContent = 'running…';
  const started = performance.now();
  try {
    const view = await rpc.call('lens', { text, languages: chosenLanguages() });
    clearError();
    await renderView(view);
    lastView = view;
    status.textContent = `${view.tokens.length} tokens · ${view.cells.length} layers · ${((performance.now() - started) / 1000).toFixed(2)} s`;
  } catch (e) {
    status.textContent = '';
    showError(e);
  } finally {
    setBusy(false);
  }
}

/** Exports a figure as SVG in the light paper style, whatever the page's theme. */
async function exportSvg(button: HTMLButtonElement): Promise<void> {
  const el: PlotElement = $(button.dataset.export ?? '');
  try {
    const layout = el.layout as { width?: number; height?: number } | undefined;
    const size = { width: layout?.width ?? (el.clientWidth || 900), height: layout?.height ?? (el.clientHeight || 400) };
    const filename = button.dataset.filename ?? 'babelscope';
    const P = await loadPlotly();
    const url = await P.toImage(lightFigure(el), { format: 'svg', ...size });
    // In the desktop app: a native save dialog instead of the browser's downloads folder.
    await saveFile(`${filename}.svg`, { text: decodeURIComponent(url.slice(url.indexOf(',') + 1)) });
  } catch (e) {
    showError(e);
  }
}

/** Wires the lens panel (its DOM is in index.html) to the backend. */
export async function mountLens(rpc: Connection): Promise<void> {
  renderLanguageChoices();

  const form = $<HTMLFormElement>('lens-form');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void runLens(rpc);
  });
  form.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      void runLens(rpc);
    }
  });
  const kbd = document.querySelector('#run kbd');
  if (kbd && /Mac|iPhone|iPad/.test(navigator.platform)) kbd.textContent = '⌘ ↵';
  for (const b of document.querySelectorAll<HTMLButtonElement>('button[data-export]')) b.addEventListener('click', () => void exportSvg(b));

  let resizeTimer: number | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      if (lastView) void renderView(lastView).catch(showError);
    }, 150);
  });

  try {
    renderModel(await rpc.call('model', {}));
  } catch (e) {
    $('model-summary').textContent = 'model unavailable';
    showError(e);
  }
}

