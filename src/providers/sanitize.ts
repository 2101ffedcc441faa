/**
 * Request-parameter fixes for OpenAI-dialect chat bodies: the rules are declared in each provider's profile
 * row (profile.ts); this applies them. Renames carry the same meaning; drops remove parameters that would
 * fail the request.
 */
export type SanitizeRule =
  | { param: string; action: 'rename'; to: string; source: string }
  | { param: string; action: 'drop'; source: string }
  /** Drop a field from every message (`messages[].name`). */
  | { param: string; action: 'drop_message_field'; source: string };

export const rename = (param: string, to: string, source: string): SanitizeRule => ({ param, action: 'rename', to, source });
export const drop = (param: string, source: string): SanitizeRule => ({ param, action: 'drop', source });
export const dropMessageField = (param: string, source: string): SanitizeRule => ({ param, action: 'drop_message_field', source });

/**
 * A copy of `body` with the provider's rules applied (the input is never mutated), and the names of the
 * parameters that changed (`max_completion_tokens→max_tokens`, `logprobs`, `messages[].name`).
 */
export function sanitizeBody(rules: readonly SanitizeRule[], body: object): { body: object; changed: string[] } {
  const changed: string[] = [];
  if (rules.length === 0) return { body, changed };
  const out: Record<string, unknown> = { ...body };
  for (const rule of rules) {
    if (rule.action === 'drop_message_field') {
      const msgs = out['messages'];
      if (!Array.isArray(msgs)) continue;
      const has = (m: unknown): m is Record<string, unknown> => typeof m === 'object' && m !== null && rule.param in m;
      if (!msgs.some(has)) continue;
      out['messages'] = msgs.map((m: unknown) => {
        if (!has(m)) return m;
        const copy = { ...m };
        delete copy[rule.param];
        return copy;
      });
      changed.push(`messages[].${rule.param}`);
      continue;
    }
    if (!(rule.param in out)) continue;
    const value = out[rule.param];
    delete out[rule.param];
    if (rule.action === 'rename') {
      // An explicit value under the target name wins over the renamed one.
      if (!(rule.to in out) && value !== undefined && value !== null) out[rule.to] = value;
      changed.push(`${rule.param}→${rule.to}`);
    } else {
      changed.push(rule.param);
    }
  }
  return { body: out, changed };
}
