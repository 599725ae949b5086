/**
 * The logit lens explorer (a panel of the workbench): type a text, pick languages, see the top-1 token
 * at every layer and position and the probability mass each language gets per layer. Talks to the
 * backend only through the typed connection.
 */
import type { LensView, ModelSummary } from '../shared/backend-contract.js';
import { languageMassChart, lensExportTitle, lensHeatmap } from './lens-figures.js';
import { drawFigure, loadPlotly, svgOf, type PlotElement } from './plotly.js';
import { errorHint, type Connection } from './connection.js';
import { saveFile, shell } from './shell.js';

/** Names shown on hover for the label codes we know; other labels (programming languages) show as they are. */
const LANGUAGE_NAMES: Record<string, string> = {
  eng: 'English', deu: 'German', fra: 'French', spa: 'Spanish', rus: 'Russian', ell: 'Greek', arb: 'Arabic', hin: 'Hindi',
  kor: 'Korean', cmn: 'Mandarin', jpn: 'Japanese', tur: 'Turkish', ukr: 'Ukrainian',
  python: 'Python', go: 'Go', php: 'PHP', cpp: 'C++', rust: 'Rust', csharp: 'C#',
};

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
  modelName = name;
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
  // The header shows the facts that fit its width (style.css); all of them on hover. It is the panels'
  // model, not the notebook's: cells open their own (MODEL_DIR), which the label says.
  box.title = `${PANELS_MODEL_NOTE}\n${m.dir}\n${facts.map(([, text]) => text).join(' · ')}`;
  const role = document.createElement('span');
  role.className = 'model-role';
  role.textContent = 'Lens model:';
  const note = document.createElement('span');
  note.className = 'notebook-model-note';
  note.textContent = 'cells use their own MODEL_DIR';
  box.append(note, role);
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
  renderLanguageChoices(m);
}

/**
 * One checkbox per language the model's labels know, all checked: a text in a language left out of the
 * labels puts its mass on the labels that share its pieces (German reads as English), so the lens labels
 * against all of them unless the user narrows it down.
 */
function renderLanguageChoices(m: ModelSummary): void {
  const fieldset = $('languages');
  const legend = document.createElement('legend');
  legend.textContent = 'Label tokens as';
  legend.title = `Token languages come from the ${m.labels.corpus} in the checked languages.`;
  fieldset.replaceChildren(legend);
  for (const code of m.labels.languages) {
    const label = document.createElement('label');
    label.className = 'lang';
    label.title = LANGUAGE_NAMES[code] ?? code;
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.name = 'language';
    box.value = code;
    box.checked = true;
    label.append(box, document.createTextNode(code));
    fieldset.append(label);
  }
}

function showLabelWarnings(warnings: readonly string[]): void {
  const box = $('lens-warning');
  box.replaceChildren(...warnings.map((w) => Object.assign(document.createElement('div'), { textContent: w })));
  box.hidden = warnings.length === 0;
}

function chosenLanguages(): string[] {
  return [...document.querySelectorAll<HTMLInputElement>('#languages input[name=language]:checked')].map((b) => b.value);
}

/** What the header's model is (its tooltip), beside the notebook's name. */
export const PANELS_MODEL_NOTE = 'The Logit lens view and the Model panel use this model. A notebook uses the model its cells open (openModel(MODEL_DIR)), whatever is shown here.';

let lastView: LensView | null = null;
/** The text and model of `lastView`, for export titles. */
let lastRun: { text: string; model: string } | null = null;
let modelName = '';

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
    showLabelWarnings(view.labelWarnings);
    await renderView(view);
    lastView = view;
    lastRun = { text, model: modelName };
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
    const filename = button.dataset.filename ?? 'babelscope';
    const run = lastRun ?? { text: '', model: modelName };
    // The heatmap is redrawn for the file (every token whole, a title); the mass chart as shown (hidden lines stay hidden), titled.
    const svg =
      el.id === 'lens-heatmap' && lastView
        ? await svgOf(lensHeatmap(lastView, 0, { exportTitle: lensExportTitle('Logit lens: top-1 token per layer and position', run.model, run.text) }))
        : await svgOf(el, { title: { text: lensExportTitle('Language mass per layer', run.model, run.text), font: { size: 14 }, x: 0.5, xanchor: 'center' }, margin: { ...((el.layout?.['margin'] as object) ?? {}), t: 44 } });
    // In the desktop app: a native save dialog instead of the browser's downloads folder.
    await saveFile(`${filename}.svg`, { text: svg });
  } catch (e) {
    showError(e);
  }
}

/** Wires the lens panel (its DOM is in index.html) to the backend. */
export async function mountLens(rpc: Connection): Promise<void> {
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

