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
