/** A problem found in the data, located precisely enough that a person can open the file and fix it. */
export interface DataIssue {
  /** Name of the check that found it (e.g. `unknown-region`), stable for tests and for filtering. */
  readonly check: string;
  readonly severity: 'error' | 'warning';
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly field?: string;
  readonly message: string;
  /** What to do about it. */
  readonly fix?: string;
}

export function formatIssue(issue: DataIssue): string {
  const where = issue.file
    ? `${issue.file}${issue.line !== undefined ? `:${issue.line}` : ''}${issue.column !== undefined ? `:${issue.column}` : ''}`
    : '(dataset)';
  const field = issue.field ? ` ${issue.field}:` : '';
  const fix = issue.fix ? ` — fix: ${issue.fix}` : '';
  return `${where}: ${issue.severity} [${issue.check}]${field} ${issue.message}${fix}`;
}

/** Thrown when data cannot be used at all; carries every issue found so the caller can print them. */
export class DataError extends Error {
  constructor(readonly issues: readonly DataIssue[]) {
    const errors = issues.filter((i) => i.severity === 'error');
    super(
      `the data has ${errors.length} error${errors.length === 1 ? '' : 's'}:\n` +
        errors
          .slice(0, 50)
          .map((i) => `  ${formatIssue(i)}`)
          .join('\n') +
        (errors.length > 50 ? `\n  ... and ${errors.length - 50} more` : ''),
    );
    this.name = 'DataError';
  }
}
