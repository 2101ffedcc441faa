import { findProvider } from './catalog.js';

/**
 * Request-parameter fixes for OpenAI-dialect chat bodies, one declarative table. A rule exists only where a
 * provider is documented or reported to reject (or silently ignore) a parameter that OpenAI clients send;
 * each cites its source. Renames carry the same meaning; drops remove parameters that would fail the
 * request. What cannot be fixed (Groq's n > 1) is left for the provider to refuse.
 */
export type SanitizeRule =
  | { param: string; action: 'rename'; to: string; source: string }
  | { param: string; action: 'drop'; source: string }
  /** Drop a field from every message (`messages[].name`). */
  | { param: string; action: 'drop_message_field'; source: string };

const rename = (param: string, to: string, source: string): SanitizeRule => ({ param, action: 'rename', to, source });
const drop = (param: string, source: string): SanitizeRule => ({ param, action: 'drop', source });

const MISTRAL_422 = 'Mistral forbids extra inputs (422 extra_forbidden): eca#231, openclaude#739';

export const SANITIZE_RULES: Readonly<Record<string, readonly SanitizeRule[]>> = {
  mistral: [
    rename('max_completion_tokens', 'max_tokens', MISTRAL_422),
    // Mistral's name for the sampling seed (docs.mistral.ai/api; LiteLLM's Mistral mapping).
    rename('seed', 'random_seed', 'docs.mistral.ai/api: random_seed'),
    // Mistral streams usage in the last chunk by default (avante.nvim#2347, litellm#8978).
    drop('stream_options', 'Mistral 422 on stream_options.include_usage: avante.nvim#2347'),
    drop('store', MISTRAL_422),
    // OpenAI-platform bookkeeping with no meaning at Mistral; its schema rejects unknown fields.
    drop('metadata', MISTRAL_422),
    drop('service_tier', MISTRAL_422),
    drop('user', MISTRAL_422),
  ],
  nvidia_nim: [
    // NIM model schemas name max_tokens and set additionalProperties: false (can1357/oh-my-pi#2299).
    rename('max_completion_tokens', 'max_tokens', 'NIM schema: max_tokens, additionalProperties false'),
    drop('store', 'NIM schema additionalProperties false; OpenAI-platform only'),
    drop('metadata', 'NIM schema additionalProperties false; OpenAI-platform only'),
    drop('service_tier', 'NIM schema additionalProperties false; OpenAI-platform only'),
  ],
  deepseek: [
    // DeepSeek's API reference documents max_tokens only; an unknown max_completion_tokens would not cap output.
    rename('max_completion_tokens', 'max_tokens', 'api-docs.deepseek.com: max_tokens'),
  ],
  groq: [
    // console.groq.com/docs/openai: "not supported and will result in a 400 error".
    drop('logprobs', 'console.groq.com/docs/openai'),
    drop('top_logprobs', 'console.groq.com/docs/openai'),
    drop('logit_bias', 'console.groq.com/docs/openai'),
    { param: 'name', action: 'drop_message_field', source: 'console.groq.com/docs/openai: messages[].name' },
  ],
  cerebras: [
    // Cerebras OpenAI-compatibility notes list these as 400s. Its penalties are left alone: newer docs accept them.
    drop('logit_bias', 'inference-docs.cerebras.ai/resources/openai'),
    drop('parallel_tool_calls', 'inference-docs.cerebras.ai/resources/openai'),
    drop('service_tier', 'inference-docs.cerebras.ai/resources/openai'),
  ],
};

/** The rules for a provider name or alias (none for unknown providers: their bodies pass through). */
export function rulesFor(provider: string): readonly SanitizeRule[] {
  const name = findProvider(provider)?.name ?? provider;
  return SANITIZE_RULES[name] ?? [];
}

/**
 * A copy of `body` with the provider's rules applied (the input is never mutated), and the names of the
 * parameters that changed (`max_completion_tokens→max_tokens`, `logprobs`, `messages[].name`).
 */
export function sanitizeBody(provider: string, body: Record<string, unknown>): { body: Record<string, unknown>; changed: string[] } {
  const out: Record<string, unknown> = { ...body };
  const changed: string[] = [];
  for (const rule of rulesFor(provider)) {
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
