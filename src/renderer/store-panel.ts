/**
 * The store browser: the workspace's store files, one store's runs, results and tables, and a SQL box
 * whose result shows as a table and, on request, as a chart. The backend opens stores read-only.
 */
import type { StoreOverview, StoreQueryResult } from '../shared/backend-contract.js';
import { errorHint, type Connection } from './connection.js';
import { drawFigure, svgOf, type Trace } from './plotly.js';
import { saveFile } from './shell.js';
import { queryChart } from './store-chart.js';

export interface StorePanelElements {
  stores: HTMLSelectElement;
  refresh: HTMLButtonElement;
  overview: HTMLElement;
  form: HTMLFormElement;
  sql: HTMLTextAreaElement;
  chart: HTMLButtonElement;
  /** Saves the drawn chart as SVG. */
  exportSvg: HTMLButtonElement;
  status: HTMLElement;
  error: HTMLElement;
  table: HTMLElement;
  plot: HTMLElement;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

function table(columns: readonly string[], rows: readonly (readonly unknown[])[], className = 'data-table'): HTMLTableElement {
  return el(
    'table',
    { className },
    el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { textContent: c })))),
    el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((v) => el('td', { textContent: v === null ? 'NULL' : String(v), title: v === null ? '' : String(v), className: typeof v === 'number' ? 'num' : v === null ? 'null' : '' }))))),
  );
}

export class StorePanel {
  private last: StoreQueryResult | null = null;

  constructor(
    private readonly conn: Connection,
    private readonly el: StorePanelElements,
    private readonly showError: (e: unknown) => void,
  ) {
    el.refresh.addEventListener('click', () => void this.refresh());
    el.stores.addEventListener('change', () => void this.open(el.stores.value));
    el.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.query();
    });
    el.sql.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        void this.query();
      }
    });
    el.chart.addEventListener('click', () => void this.chart().catch(showError));
    el.exportSvg.addEventListener('click', () => void this.exportChart().catch(showError));
  }

  /** A store to select at the next refresh (the file browser opened it). */
  private wanted: string | null = null;

  /** Shows `path` (a workspace store) at the next refresh. */
  select(path: string): void {
    this.wanted = path;
  }

  /** Lists the workspace's stores and opens the selected (or newest) one. */
  async refresh(): Promise<void> {
    try {
      const { stores } = await this.conn.call('store.list', {});
      const keep = this.wanted ?? this.el.stores.value;
      // A store deeper than the listing looks (the file browser goes anywhere) is still shown.
      if (this.wanted && !stores.some((s) => s.path === this.wanted)) stores.unshift({ path: this.wanted, sizeBytes: 0, mtimeMs: 0 });
      this.wanted = null;
      this.el.stores.replaceChildren(...stores.map((s) => el('option', { value: s.path, textContent: `${s.path} (${(s.sizeBytes / 1024).toFixed(0)} KiB)` })));
      if (!stores.length) {
        this.el.overview.replaceChildren(el('p', { className: 'muted', textContent: 'No store (*.db) in the workspace yet: a capture writes one, e.g. capture({ model, store: "run.db", corpus: "udhr:eng,fra" }).' }));
        return;
      }
      this.el.stores.value = stores.some((s) => s.path === keep) ? keep : stores[0]!.path;
      await this.open(this.el.stores.value);
    } catch (e) {
      this.showError(e);
    }
  }

  private async open(path: string): Promise<void> {
    try {
      this.render(await this.conn.call('store.overview', { path }));
    } catch (e) {
      this.showError(e);
    }
  }

  private render(o: StoreOverview): void {
    const section = (title: string, count: number, body: Node) => el('details', { open: true, className: `store-section` }, el('summary', { textContent: `${title} (${count})` }), body);
    const tableNames = o.tables.map((t) => {
      const b = el('button', { type: 'button', className: 'link', textContent: t.name, title: `SELECT * FROM ${t.name}` });
      b.addEventListener('click', () => {
        this.el.sql.value = `SELECT * FROM ${t.name} LIMIT 100`;
        void this.query();
      });
      return [b, t.rows] as const;
    });
    this.el.overview.replaceChildren(
      section('Runs', o.runs.length, table(['id', 'name', 'kind', 'status', 'model', 'created', 'finished'], o.runs.map((r) => [r.id, r.name, r.kind, r.status, r.model, r.createdAt, r.finishedAt]), 'data-table runs')),
      section('Results', o.results.length, table(['id', 'run', 'kind', 'partial', 'created', 'params'], o.results.map((r) => [r.id, r.runId, r.kind, r.partial ? 'yes' : '', r.createdAt, r.params]), 'data-table results')),
      section(
        'Tables',
        o.tables.length,
        el('table', { className: 'data-table tables' }, el('tbody', {}, ...tableNames.map(([b, n]) => el('tr', {}, el('td', {}, b), el('td', { className: 'num', textContent: String(n) }))))),
      ),
    );
  }

  private async query(): Promise<void> {
    const path = this.el.stores.value;
    this.el.error.hidden = true;
    this.el.chart.disabled = true;
    this.el.exportSvg.disabled = true;
    this.last = null;
    this.el.plot.hidden = true;
    if (!path) return this.fail('no store is open', 'Put a store (*.db) in the workspace and refresh.');
    this.el.status.textContent = 'running…';
    try {
      const r = await this.conn.call('store.query', { path, sql: this.el.sql.value });
      this.last = r;
      this.el.table.replaceChildren(r.columns.length ? table(r.columns, r.rows) : el('p', { className: 'muted', textContent: 'The statement returned no rows.' }));
      this.el.status.textContent = r.truncated ? `first ${r.limit} rows shown (the result has more: add a LIMIT or a WHERE)` : `${r.rows.length} row${r.rows.length === 1 ? '' : 's'}`;
      this.el.chart.disabled = queryChart(r.columns, r.rows) === null;
    } catch (e) {
      this.el.table.replaceChildren();
      this.fail(e instanceof Error ? e.message : String(e), errorHint(e));
    }
  }

  private fail(message: string, hint?: string): void {
    this.el.status.textContent = '';
    this.el.error.replaceChildren(el('strong', { textContent: message }), ...(hint ? [el('div', { className: 'hint', textContent: hint })] : []));
    this.el.error.hidden = false;
  }

  private async chart(): Promise<void> {
    const figure = this.last && queryChart(this.last.columns, this.last.rows, this.el.stores.value);
    if (!figure) return;
    this.el.plot.hidden = false;
    await drawFigure(this.el.plot, figure.data as unknown as Trace[], figure.layout, { displaylogo: false, responsive: true });
    this.el.exportSvg.disabled = false;
  }

  /** The chart as SVG, named after the store (`runs/udhr.db` → `udhr-query.svg`). */
  private async exportChart(): Promise<void> {
    const store = this.el.stores.value.split('/').pop()?.replace(/\.db$/, '') || 'store';
    await saveFile(`${store}-query.svg`, { text: await svgOf(this.el.plot) });
  }
}
