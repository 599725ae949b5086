/** The store browser's chart: a query result's numeric columns in the shared figure style. */
import type { SqlValue } from '../shared/backend-contract.js';
import { categoryBars, type PlotFigure } from '../shared/plots/index.js';
import { axis, baseLayout, seriesStyle } from '../shared/plots/style.js';

/**
 * Bars of the numeric columns over the first non-numeric column (e.g. `lang`, `n`); when every column
 * is numeric, lines of the others over the first; one numeric column alone is drawn over row numbers.
 * Null when no column is numeric. Titled "<values> by <x>", followed by `source` (the store) when given.
 */
export function queryChart(columns: readonly string[], rows: readonly SqlValue[][], source?: string): PlotFigure | null {
  const numeric = columns.map((_, j) => rows.length > 0 && rows.every((r) => r[j] === null || typeof r[j] === 'number') && rows.some((r) => r[j] !== null));
  const ys = columns.map((_, j) => j).filter((j) => numeric[j]);
  if (!ys.length) return null;
  const label = columns.findIndex((_, j) => !numeric[j]);
  const column = (j: number) => rows.map((r) => r[j] as number | null);
  const titled = (values: string, by: string) => `${values} by ${by}${source ? ` (${source})` : ''}`;
  if (label >= 0 || ys.length === 1) {
    const xTitle = label >= 0 ? columns[label]! : 'row';
    const categories = label >= 0 ? rows.map((r) => String(r[label])) : rows.map((_, i) => String(i + 1));
    return categoryBars({
      categories,
      series: ys.map((j) => ({ name: columns[j]!, values: column(j) })),
      yTitle: ys.length === 1 ? columns[ys[0]!]! : 'value',
      xTitle,
      title: titled(ys.map((j) => columns[j]!).join(', '), xTitle),
    });
  }
  const [x, ...rest] = ys;
  return {
    data: rest.map((j, i) => ({ type: 'scatter', mode: 'lines+markers', name: columns[j]!, x: column(x!), y: column(j), line: { color: seriesStyle(i).color, dash: seriesStyle(i).dash, width: 2 } })),
    layout: baseLayout(titled(rest.map((j) => columns[j]!).join(', '), columns[x!]!), { xaxis: axis(columns[x!]!), yaxis: axis(rest.length === 1 ? columns[rest[0]!]! : 'value') }),
  };
}
