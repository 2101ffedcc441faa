import { redactKeys } from './redact.js';

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

/** The issue with every key-shaped token in its text masked (redactKeys). */
export function redactIssue(issue: ConfigIssue): ConfigIssue {
  const out: ConfigIssue = { ...issue, path: redactKeys(issue.path), message: redactKeys(issue.message) };
  if (issue.file !== undefined) out.file = redactKeys(issue.file);
  return out;
}

/**
 * Every problem found while loading the configuration, one per line in `message`. Never carries a secret: a
 * key-shaped token in any issue (a key typed where a name belongs) is masked, whoever built the issue.
 */
export class ConfigError extends Error {
  readonly code = CONFIG_ERROR_CODE;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const redacted = issues.map(redactIssue);
    super(redacted.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = Object.freeze(redacted.map((i) => Object.freeze(i)));
  }
}
