import { maskKey } from '../pool/index.js';

/**
 * Prefixes of providers' keys (and of tokens people paste beside them). `sk-` covers OpenAI's `sk-proj-`,
 * Anthropic's `sk-ant-`, OpenRouter's `sk-or-`, DeepSeek's and Moonshot's keys.
 */
const KEY_PREFIXES = ['sk-', 'sk_', 'AIza', 'nvapi-', 'gsk_', 'xai-', 'csk-', 'fw_', 'pplx-', 'hf_', 'r8_', 'tgp_', 'ghp_', 'github_pat_', 'AKIA', 'eyJ'];
/** A prefix alone (`sk-a` in an example) is not a key: this many characters must follow it. */
const MIN_AFTER_PREFIX = 8;
/** Below this, an unprefixed token is a name (`claude-3-5-sonnet-20241022` is 26 and still a name: see opaque). */
const MIN_OPAQUE = 20;

/** Letters and digits mixed as random text mixes them, not as names do (`gpt-4o`, `70B`, `int4`). */
function isOpaque(token: string): boolean {
  if (token.length < MIN_OPAQUE || !/[A-Za-z]/.test(token) || !/\d/.test(token)) return false;
  let changes = 0;
  for (const segment of token.split(/[-_]/)) {
    if (segment.length >= 16 && /[A-Za-z]/.test(segment) && /\d/.test(segment)) return true;
    for (let i = 1; i < segment.length; i++) {
      if (/\d/.test(segment[i - 1] ?? '') !== /\d/.test(segment[i] ?? '')) changes++;
    }
  }
  return changes >= 5;
}

/** Whether a token (letters, digits, `-`, `_`) looks like a secret. */
export function looksLikeKey(token: string): boolean {
  return KEY_PREFIXES.some((p) => token.startsWith(p) && token.length >= p.length + MIN_AFTER_PREFIX) || isOpaque(token);
}

/**
 * The text with every key-shaped token masked as the pool masks keys (`sk-…a1b2`). Config messages repeat what
 * the user wrote (field and provider names, variable names, values), and a key typed where a name belongs must
 * not reach a terminal or a log whole. Idempotent: a masked form is not key-shaped.
 */
export function redactKeys(text: string): string {
  return text.replace(/[A-Za-z0-9_-]+/g, (token) => (looksLikeKey(token) ? maskKey(token) : token));
}
