import type { ServerResponse } from 'node:http';
import { HttpError } from '../errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** A percent-encoded path segment, decoded; a broken encoding is the client's mistake (400), not ours. */
export function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError('KMX_ERR_BAD_REQUEST', `The path has an invalid percent-encoding: ${s.slice(0, 100)}`);
  }
}
