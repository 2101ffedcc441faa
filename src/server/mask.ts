import type { Lease } from '../pool/index.js';
import { containsText } from '../providers/index.js';

/**
 * A provider may echo the key it was sent: in a 401 body, in a 200 (a debug field, a model repeating its
 * prompt), in a header, in a stream's error event. Whatever keymux passes on is masked first.
 */
export interface Secret {
  readonly key: string;
  readonly masked: string;
}

/**
 * Keys shorter than this are placeholders for local servers (`none`, `ollama`), not secrets: masking them would
 * rewrite ordinary words of an answer. Real provider keys are tens of characters.
 */
const MIN_SECRET_LENGTH = 8;

export function secretOf(lease: Lease): Secret | undefined {
  const key = lease.key;
  return key.length >= MIN_SECRET_LENGTH ? { key, masked: lease.masked } : undefined;
}

/**
 * The text with every occurrence of the key masked; the same string when there is none (the common case, found
 * by containsText: includes() took up to 17 µs to find nothing in a 32 KB answer).
 */
export function maskText(text: string, s: Secret | undefined): string {
  return maskedOrNot(text, () => text, s) ?? text;
}

/**
 * The masked text when the answer (its text, or its bytes when they are that text's) holds the key; undefined
 * when it does not, and then `text()` is never called: an answer relayed as it came is not decoded to be masked.
 */
export function maskedOrNot(answer: string | Buffer, text: () => string, s: Secret | undefined): string | undefined {
  return s !== undefined && containsText(answer, s.key) ? text().split(s.key).join(s.masked) : undefined;
}

/** Same, for a header value: visible ASCII only (the masked form's ellipsis is not). */
export function maskHeader(value: string, s: Secret | undefined): string {
  return s !== undefined && value.includes(s.key) ? value.split(s.key).join(s.masked.replace(/…/g, '...')) : value;
}
