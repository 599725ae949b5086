/** Figure specs: shapes follow the data, every axis names its quantity, colours come from the colour-blind-safe palette. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  categoryBars,
  checkpointEvolution,
  colorRange,
  deactivationMatrix,
  layerLanguageHeatmap,
  layerLines,
  LEGEND_ROW,
  neuronCountsChart,
  OKABE_ITO,
  seriesStyle,
  similarityMatrix,
  type PlotFigure,
} from '../../../src/shared/plots/index.js';

const axisTitle = (f: PlotFigure, axis: 'xaxis' | 'yaxis') => ((f.layout[axis] as { title: { text: string } }).title.text);

/** What every figure shares: JSON-clean, the house font, titled axes, a white background. */
function assertHouseStyle(f: PlotFigure): void {
  assert.deepEqual(JSON.parse(JSON.stringify(f)), f, 'a figure is plain JSON (no undefined, no functions)');
  assert.match((f.layout['font'] as { family: string }).family, /Helvetica, Arial/);
  assert.equal(f.layout['plot_bgcolor'], '#FFFFFF');
  assert.ok(axisTitle(f, 'xaxis').length > 0);
  assert.ok(axisTitle(f, 'yaxis').length > 0);
}

describe('plot specs', () => {
  it('layer × language heatmap: rows are languages, columns layers, nulls kept as gaps', () => {
    const f = layerLanguageHeatmap({ languages: ['eng', 'rus'], values: [[0.1, 0.5, null], [0.9, 0.2, 0.3]], valueTitle: 'share of logit-lens top-1 tokens', title: 'Working language' });
    assertHouseStyle(f);
    const t = f.data[0]!;
    assert.equal(t.type, 'heatmap');
    assert.deepEqual(t['x'], [0, 1, 2]);
    assert.deepEqual(t['y'], ['eng', 'rus']);
    assert.equal((t['z'] as unknown[][])[0]![2], null);
    assert.equal(t['colorscale'], 'Viridis');
    assert.equal(axisTitle(f, 'xaxis'), 'layer (block index)');
    assert.equal((t['colorbar'] as { title: { text: string } }).title.text, 'share of logit-lens top-1 tokens');
  });

  it('per-layer lines: a band is two invisible edges filled between, drawn under its line; chance is a dashed level', () => {
    const f = layerLines({
      series: [
        { name: 'eng', values: [1, 2, 3], lower: [0.5, 1.5, 2.5], upper: [1.5, 2.5, 3.5] },
        { name: 'rus', values: [3, 2, 1] },
      ],
      yTitle: 'retrieval accuracy (share of texts)',
      chance: { value: 0.25, label: 'chance (1/4)' },
    });
    assertHouseStyle(f);
    assert.deepEqual(f.data.map((t) => t.name), ['eng (lower)', 'eng (upper)', 'eng', 'rus', 'chance (1/4)']);
    assert.equal(f.data[1]!['fill'], 'tonexty');
    assert.match(f.data[1]!['fillcolor'] as string, /^rgba\(0, 114, 178, 0\.2\)$/); // OKABE_ITO[0] = #0072B2
    assert.equal((f.data[2]!['line'] as { color: string }).color, OKABE_ITO[0]);
    assert.equal((f.data[3]!['line'] as { color: string }).color, OKABE_ITO[1]);
    const chance = f.data[4]!;
    assert.deepEqual(chance['y'], [0.25, 0.25]);
    assert.deepEqual(chance['x'], [0, 2]);
    assert.equal((chance['line'] as { dash: string }).dash, 'dash');
  });

  it('series past the palette repeat its colours with another dash', () => {
    assert.deepEqual(seriesStyle(0), { color: OKABE_ITO[0], dash: 'solid' });
    assert.deepEqual(seriesStyle(OKABE_ITO.length), { color: OKABE_ITO[0], dash: 'dash' });
    const f = layerLines({ series: [...Array(11).keys()].map((i) => ({ name: `l${i}`, values: [i] })), yTitle: 'y (unit)' });
    const styles = f.data.map((t) => JSON.stringify(t['line']));
    assert.equal(new Set(styles).size, 11, 'eleven languages, eleven distinct line styles');
  });

  it('neuron counts: one bar trace per language over the layers', () => {
    const f = neuronCountsChart({ perLayer: { eng: [3, 0, 1], rus: [0, 2, 5] }, title: 'LAPE neurons' });
    assertHouseStyle(f);
    assert.deepEqual(f.data.map((t) => [t.type, t.name, t['y']]), [['bar', 'eng', [3, 0, 1]], ['bar', 'rus', [0, 2, 5]]]);
    assert.deepEqual(f.data[0]!['x'], [0, 1, 2]);
    assert.equal(axisTitle(f, 'yaxis'), 'language-specific neurons (count)');
    assert.equal(f.layout['barmode'], 'group');
  });

  it('similarity matrix: square, labelled both ways, default the data range, or a fixed range', () => {
    const m = [[1, 0.4], [0.4, 1]];
    const f = similarityMatrix({ labels: ['eng', 'rus'], matrix: m });
    assertHouseStyle(f);
    assert.deepEqual([f.data[0]!['zmin'], f.data[0]!['zmax']], [0.4, 1]);
    assert.equal((f.layout['yaxis'] as { scaleanchor: string }).scaleanchor, 'x');
    const g = similarityMatrix({ labels: ['eng', 'rus'], matrix: m, range: [-1, 1] });
    assert.deepEqual([g.data[0]!['zmin'], g.data[0]!['zmax']], [-1, 1]);
  });

  it('heatmap colour range: by default the data\'s own (0.03–0.14 spans the scale), a fixed range on request', () => {
    const values = [[0.03, 0.05, 0.14], [0.08, null, 0.11]];
    const auto = layerLanguageHeatmap({ languages: ['eng', 'rus'], values, valueTitle: 'share' }).data[0]!;
    assert.deepEqual([auto['zmin'], auto['zmax']], [0.03, 0.14]);
    // Where 0.03 and 0.14 fall on the colour scale: far apart with the data range, both in the bottom 15 % of 0–1.
    const at = (v: number, t: Record<string, unknown>) => (v - (t['zmin'] as number)) / ((t['zmax'] as number) - (t['zmin'] as number));
    assert.equal(at(0.14, auto) - at(0.03, auto), 1);
    const fixed = layerLanguageHeatmap({ languages: ['eng', 'rus'], values, valueTitle: 'share', range: [0, 1] }).data[0]!;
    assert.deepEqual([fixed['zmin'], fixed['zmax']], [0, 1]);
    assert.ok(at(0.14, fixed) - at(0.03, fixed) < 0.15);
    assert.deepEqual(colorRange([0.5, 0.5, null]), [0, 1], 'one value: a unit-wide range around it');
    assert.deepEqual(colorRange([null]), [0, 1]);
  });

  it('a legend with many entries gets the room to show all of them (exports have no legend scrollbar)', () => {
    const series = [...Array(16).keys()].map((i) => ({ name: `l${i}`, values: [i, i + 1] }));
    const f = layerLines({ series, yTitle: 'y (unit)', title: 'sixteen' });
    const m = f.layout['margin'] as { t: number; b: number };
    assert.ok((f.layout['height'] as number) >= m.t + m.b + 16 * LEGEND_ROW, `height ${String(f.layout['height'])}`);
    // Bands' edges are not legend entries; a few series keep the house size.
    const few = layerLines({ series: series.slice(0, 3).map((s) => ({ ...s, lower: s.values, upper: s.values })), yTitle: 'y (unit)' });
    assert.equal(few.layout['height'], 400);
    assert.ok((categoryBars({ categories: ['a'], series: series.map((s) => ({ name: s.name, values: [1] })), yTitle: 'y (unit)' }).layout['height'] as number) > 400);
    assert.ok((neuronCountsChart({ perLayer: Object.fromEntries(series.map((s) => [s.name, [1, 2]])) }).layout['height'] as number) > 400);
  });

  it('deactivation matrix: diverging colours symmetric around zero, signed cell text, NLL unit', () => {
    const f = deactivationMatrix({ deactivated: ['eng', 'rus'], evaluated: ['eng', 'rus', 'cmn'], delta: [[0.8, 0.1, null], [-0.2, 1.5, 0]] });
    assertHouseStyle(f);
    const t = f.data[0]!;
    assert.deepEqual([t['zmin'], t['zmid'], t['zmax']], [-1.5, 0, 1.5]);
    assert.equal(t['texttemplate'], '%{z:+.2f}');
    assert.match((t['colorbar'] as { title: { text: string } }).title.text, /nats\/token/);
    assert.deepEqual(t['y'], ['eng', 'rus']);
    assert.deepEqual(t['x'], ['eng', 'rus', 'cmn']);
  });

  it('deactivation matrix: each cell\'s interval on hover, diagonal cells marked against the random band', () => {
    const f = deactivationMatrix({
      deactivated: ['eng', 'rus'],
      evaluated: ['eng', 'rus'],
      delta: [[0.8, 0.1], [-0.2, 0.05]],
      deltaInterval: [[{ low: 0.7, high: 0.9 }, null], [null, { low: 0, high: 0.1 }]],
      diagonal: { eng: { delta: 0.8, randomBand: { low: 0, high: 0.2 }, outsideRandomBand: true }, rus: { delta: 0.05, randomBand: { low: 0, high: 0.2 }, outsideRandomBand: false } },
      randomDraws: 20,
    });
    assertHouseStyle(f);
    assert.equal((f.data[0]!['customdata'] as string[][])[0]![0], '95 % CI [+0.700, +0.900]');
    assert.match(f.data[0]!['hovertemplate'] as string, /%\{customdata\}/);
    const [above, within] = [f.data[1]!, f.data[2]!];
    assert.deepEqual([above['x'], above['y']], [['eng'], ['eng']]);
    assert.match(above['name'] as string, /above the random band \(2\.5–97\.5 % of 20 draws\)/);
    assert.deepEqual([within['x'], (within['marker'] as { symbol: string }).symbol], [['rus'], 'diamond-open']);
    assert.equal(deactivationMatrix({ deactivated: ['eng'], evaluated: ['eng'], delta: [[1]] }).data.length, 1, 'no band, no marks');
  });

  it('unlearned languages: neuron-count bars faded and labelled meaningless, flagged checkpoints crossed', () => {
    const f = neuronCountsChart({ perLayer: { eng: [1, 2], rus: [3, 4] }, unlearned: ['rus'] });
    assert.deepEqual(f.data.map((t) => t['name']), ['eng', 'rus (not learned: meaningless)']);
    assert.equal((f.data[1]!['marker'] as { opacity: number }).opacity, 0.35);
    const g = checkpointEvolution({ checkpoints: ['01', '02', '03'], series: [{ name: 'rus', values: [29, 10, 12], flagged: [true, false, false] }], yTitle: 'neurons (count)' });
    const flag = g.data.find((t) => t['name'] === 'rus: not learned: meaningless')!;
    assert.deepEqual([flag['x'], flag['y']], [['01'], [29]]);
  });

  it('checkpoint evolution: checkpoints as categories in training order', () => {
    const f = checkpointEvolution({ checkpoints: ['01-english', '02-mid', '03-final'], series: [{ name: 'rus', values: [6.1, 4.2, 3.3] }], yTitle: 'mean NLL (nats/token)' });
    assertHouseStyle(f);
    assert.deepEqual(f.data[0]!['x'], ['01-english', '02-mid', '03-final']);
    assert.equal((f.layout['xaxis'] as { type: string }).type, 'category');
    assert.equal(axisTitle(f, 'xaxis'), 'training checkpoint');
  });

  it('category bars: one grouped bar trace per series over the categories, optional chance level', () => {
    const f = categoryBars({ categories: ['eng', 'rus'], series: [{ name: 'baseline', values: [1, 0.8] }, { name: 'rus neurons off', values: [1, 0.2] }], yTitle: 'line pass rate (share of responses)', chance: { value: 0.5 } });
    assertHouseStyle(f);
    assert.deepEqual(f.data.map((t) => [t.type, t.name]), [['bar', 'baseline'], ['bar', 'rus neurons off'], ['scatter', 'chance']]);
    assert.deepEqual(f.data[1]!['y'], [1, 0.2]);
    assert.equal((f.data[1]!['marker'] as { color: string }).color, OKABE_ITO[1]);
    assert.equal(f.layout['barmode'], 'group');
    assert.equal(axisTitle(f, 'xaxis'), 'language');
    assert.equal(f.data[0]!['error_y'], undefined, 'no intervals, no error bars');
  });

  it('category bars draw intervals as asymmetric error bars', () => {
    const f = categoryBars({ categories: ['eng', 'rus', 'cmn'], series: [{ name: 'LPR', values: [0.9, null, 0.5], intervals: [{ low: 0.7, high: 0.95 }, { low: 0, high: 1 }, null] }], yTitle: 'line pass rate' });
    const e = f.data[0]!['error_y'] as { symmetric: boolean; array: (number | null)[]; arrayminus: (number | null)[] };
    assert.equal(e.symmetric, false);
    assert.deepEqual(e.array.map((x) => (x === null ? null : Math.round(x * 1e9) / 1e9)), [0.05, null, null]);
    assert.deepEqual(e.arrayminus.map((x) => (x === null ? null : Math.round(x * 1e9) / 1e9)), [0.2, null, null]);
  });
});
