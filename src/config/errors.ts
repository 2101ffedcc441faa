/** One problem in the configuration. `path` is where in the config (`providers.openai.keys[0]`) or which env variable. */
export interface ConfigIssue {
  file?: string;
  line?: number;
  path: string;
  message: string;
}

export const CONFIG_ERROR_CODE = 'KMX_ERR_CONFIG';

/** `file:line: path: reason`, leaving out the parts an issue does not have. */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.file === undefined ? undefined : issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return [where, issue.path || undefined, issue.message].filter((s): s is string => s !== undefined).join(': ');
}

/** Every problem found while loading the configuration, one per line in `message`. Never carries a secret. */
export class ConfigError extends Error {
  readonly code = CONFIG_ERROR_CODE;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = Object.freeze(issues.map((i) => Object.freeze({ ...i })));
  }
}
