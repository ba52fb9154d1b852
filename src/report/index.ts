/**
 * The report of a comparison of two simulation runs: a self-contained offline HTML page with charts, the results
 * as JSON and as CSV (long and wide), written to a folder atomically.
 */
export {
  COMMODITY_METRICS,
  comparisonCsv,
  LONG_HEADER,
  REGION_WELFARE_PARTS,
  SUPPLY_PREFIX,
  TOTAL_COMMODITY,
  TOTAL_METRICS,
  WELFARE_PREFIX,
} from './csv.ts';
export { echartsBundle, type ReportOptions, type ReportSection, renderReport } from './html.ts';
export { assertFinite } from './validate.ts';
export { defaultFocus, FOCUS_PRICE_MOVE, ReportError } from './view.ts';
export { REPORT_FILES, resultsJson, writeReport } from './write.ts';
