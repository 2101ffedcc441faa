// keymux's own short-lived memory of Responses, so that previous_response_id works over providers that keep
// none: a response's conversation as chat messages, under its id. Behind a small async interface, so a shared
// store (Redis, for several replicas) can take the place of the in-memory one.
import type { OpenAIMessage } from '../types.js';

export interface StoredResponse {
  /** The whole conversation up to and including the response's own assistant turn; instructions excluded. */
  conversation: OpenAIMessage[];
}

export interface ResponseStore {
  get(id: string): Promise<StoredResponse | undefined>;
  put(id: string, r: StoredResponse): Promise<void>;
}

export interface MemoryResponseStoreOptions {
  /** Most responses kept (default 1000); the oldest go first. */
  maxEntries?: number;
  /** Most bytes of JSON kept in all (default 64 MiB): long conversations are re-stored whole every turn. */
  maxBytes?: number;
  /** How long a response is kept (default one hour). */
  maxAgeMs?: number;
  now?: () => number;
}

interface Entry { r: StoredResponse; bytes: number; at: number }

/** In-memory, bounded in count, bytes and age; a Map keeps insertion order, so the first entry is the oldest. */
export class MemoryResponseStore implements ResponseStore {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(o: MemoryResponseStoreOptions = {}) {
    this.maxEntries = o.maxEntries ?? 1000;
    this.maxBytes = o.maxBytes ?? 64 * 1024 * 1024;
    this.maxAgeMs = o.maxAgeMs ?? 60 * 60 * 1000;
    this.now = o.now ?? Date.now;
  }

  get(id: string): Promise<StoredResponse | undefined> {
    this.expire();
    return Promise.resolve(this.entries.get(id)?.r);
  }

  put(id: string, r: StoredResponse): Promise<void> {
    const bytes = JSON.stringify(r).length;
    this.drop(id);
    // One conversation larger than the whole budget is not kept: it would evict everything else.
    if (bytes <= this.maxBytes) {
      this.entries.set(id, { r, bytes, at: this.now() });
      this.bytes += bytes;
    }
    this.expire();
    return Promise.resolve();
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    this.bytes -= e.bytes;
  }

  private expire(): void {
    const cutoff = this.now() - this.maxAgeMs;
    for (const [id, e] of this.entries) {
      if (e.at > cutoff && this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.drop(id);
    }
  }
}
