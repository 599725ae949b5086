/**
 * Babelscope's figures: `import { … } from "babelscope/plots"`. Plotly figure specs for the analyses'
 * results (pure functions: data in, `{ data, layout }` out), shown in a notebook with `display(figure)`
 * or written by `babelscope run --figures`, with the style they share (colours, dashes, font, size).
 *
 * @example
 *   import { lape } from 'babelscope';
 *   import { neuronCountsChart } from 'babelscope/plots';
 *   display(neuronCountsChart({ perLayer: lape({ store: 'run.db' }).perLayer }));
 *
 * @packageDocumentation
 */
export * from '../../shared/plots/index.js';
