/**
 * Reports: statistics (Wilson intervals, quantiles), plots (vega-lite → SVG →
 * resvg PNG, the one way pincer plots) and the panels of a training report.
 */
export { wilsonInterval } from './wilson.js';
export { roundTo, quantile, median, rocAuc } from './stats.js';
export { renderPng, renderSvg, noDataSpec, VEGA_LITE_SCHEMA, type PlotSpec } from './plot.js';
export { reportPanels, type RunData, type EvalResult, type MetricsLine, type ReportPanel } from './run-report.js';
