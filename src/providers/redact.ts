/**
 * Outcome reasons end up in logs, snapshots and the dashboard, and some error bodies echo part of the key
 * (OpenAI "Incorrect API key provided: sk-abc***xyz", Gemini "Consumer 'api_key:AIza…' has been suspended",
 * xAI "xai-…"). Everything that looks like a credential is masked before it leaves the adapter.
 */

/** Known key shapes: prefixes the providers use, plus the masked forms they echo (`sk-abc***xyz`). */
const KEY_PATTERNS: readonly RegExp[] = [
  /\b(?:sk|pk|rk)-[A-Za-z0-9_*\-]{3,}/g, // OpenAI, Anthropic (sk-ant-), OpenRouter (sk-or-v1-), DeepSeek
  /\bAIza[A-Za-z0-9_*\-]{6,}/g, // Google API keys
  /\bapi_key:[^\s'",)]+/g, // Google "Consumer 'api_key:…'"
  /\b(?:nvapi|xai|csk|gsk|fw|tgp)[-_][A-Za-z0-9_*\-]{4,}/g, // NVIDIA, xAI, Cerebras, Groq, Fireworks, Together
  /\bBearer\s+[^\s'",]+/gi,
  /[A-Za-z0-9]{2,}\*{2,}[A-Za-z0-9]*/g, // any other masked echo: "ab****yz"
];

/** Long opaque tokens that mix letters and digits (Mistral and Azure keys have no prefix). */
const OPAQUE = /\b[A-Za-z0-9_\-]{24,}\b/g;

export function redactSecrets(text: string): string {
  let out = text;
  for (const re of KEY_PATTERNS) out = out.replace(re, '[redacted]');
  return out.replace(OPAQUE, (tok) => (/[0-9]/.test(tok) && /[A-Za-z]/.test(tok) ? '[redacted]' : tok));
}

/** A reason built from a provider message: redacted, one line, short. */
export function messageReason(text: string | undefined, max = 160): string | undefined {
  if (!text) return undefined;
  const one = redactSecrets(text).replace(/\s+/g, ' ').trim();
  if (one === '') return undefined;
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
