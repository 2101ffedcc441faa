/** Small readers for untrusted JSON: provider bodies are `unknown` until proven otherwise. */

export type Json = Record<string, unknown>;

export function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A finite number, also from a numeric string (header values, Mistral's string codes). */
export function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

export function rec(v: unknown): Json | undefined {
  return isRecord(v) ? v : undefined;
}

/**
 * Drops undefined members so outcomes compare cleanly and serialize small. for-in over the object literals it is
 * given (own members only: no prototype but Object's) allocates no [key, value] pair per member as
 * Object.entries did; every attempt's outcome and usage go through here.
 */
export function compact<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  const from = o as Record<string, unknown>;
  for (const k in from) if (from[k] !== undefined) out[k] = from[k];
  return out as T;
}
