/** The parts of Plotly's figure JSON the helpers write (a figure is `{ data, layout }`, as `Plotly.newPlot` takes it). */

/** One trace; keys as in Plotly's JSON schema. */
export type PlotTrace = { type: string; name?: string } & Record<string, unknown>;

/** A Plotly layout object. */
export type PlotLayout = Record<string, unknown>;

/** A Plotly figure: what `Plotly.newPlot(div, data, layout)` draws and what the kernel sends as `application/vnd.plotly.v1+json`. */
export interface PlotFigure {
  data: PlotTrace[];
  layout: PlotLayout;
}
