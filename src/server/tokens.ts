/**
 * A provider-free token estimate: ~4 characters a token over every string in the request's text-bearing
 * fields, plus a few tokens of framing per message. Used where a provider has no counting endpoint.
 */
export function estimateTokens(body: unknown): number {
  let chars = 0;
  let messages = 0;
  const walk = (v: unknown, key: string | undefined): void => {
    if (typeof v === 'string') {
      // Images and other base64 payloads are not text; count them as a fixed small cost.
      if (key === 'data' || key === 'url' || v.startsWith('data:')) chars += 340;
      else if (key !== 'model' && key !== 'role' && key !== 'type') chars += v.length;
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, key);
    } else if (v && typeof v === 'object') {
      if ('role' in v) messages++;
      for (const [k, x] of Object.entries(v)) walk(x, k);
    }
  };
  const b = body as Record<string, unknown>;
  for (const field of ['system', 'messages', 'input', 'prompt', 'contents', 'systemInstruction', 'tools', 'instructions']) {
    if (b && field in b) walk(b[field], field);
  }
  return Math.max(1, Math.ceil(chars / 4) + messages * 4);
}
