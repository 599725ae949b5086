/**
 * What an HTML output looks like unless it says otherwise: the workbench's type, tables (what
 * `display(rows)` makes) as compact rows that keep one line each and scroll sideways when wide, and
 * the dark theme when the page shows its frames dark (the iframe's color-scheme, set by style.css).
 */
export const FRAME_STYLE = [
  ':root{color-scheme:light dark}',
  'html{overflow-x:auto}',
  'body{margin:0;font:14px Inter,"Segoe UI",system-ui,sans-serif;color:#1f2430;background:#fff}',
  'table{border-collapse:collapse;font-size:12.5px;font-variant-numeric:tabular-nums}',
  'th,td{padding:2px 8px;border-bottom:1px solid #dde1e8;text-align:left;white-space:nowrap}',
  'th{font-weight:600}',
  '@media (prefers-color-scheme:dark){body{color:#e4e6eb;background:#1e1f24}th,td{border-color:#34363f}}',
].join('');
