import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who holds a database file. The WASM SQLite's file locking is a directory (`keymux.db.lock`) made by mkdir
 * and removed on close: a killed process leaves it behind, and every later open fails with "database is
 * locked". So the holder also writes its pid beside it (`keymux.db.pid`), and an opener that finds the lock of
 * a process that is gone removes it. A live holder is another keymux on the same data directory: refused.
 */

/** Files held by this process (a pid check cannot tell two stores of one process apart). */
const held = new Set<string>();
/** A lock without a pid file is someone's open in progress until it is this old. */
const ORPHAN_MS = 10_000;

export class FileInUseError extends Error {
  override readonly name = 'FileInUseError';
  readonly code = 'KMX_ERR_STORE_IN_USE';
}

/** Clears a stale lock left by a dead process, or throws FileInUseError. Call before opening. */
export function claim(file: string): void {
  const lock = `${file}.lock`;
  const pidFile = `${file}.pid`;
  if (held.has(file)) throw new FileInUseError(`${file} is already open in this process`);
  let lockAt: number;
  try {
    lockAt = statSync(lock).mtimeMs;
  } catch {
    return; // no lock: free
  }
  const owner = readOwner(pidFile);
  if (owner) {
    if (owner.host === hostname() && owner.pid !== process.pid && alive(owner.pid)) {
      throw new FileInUseError(
        `${file} is in use by another keymux (pid ${owner.pid}); give each its own KEYMUX_DATA_DIR, or if none runs, remove ${lock}`,
      );
    }
  } else if (Date.now() - lockAt < ORPHAN_MS) {
    throw new FileInUseError(`${file} is being opened by another process; if none runs, remove ${lock}`);
  }
  rmSync(lock, { recursive: true, force: true });
}

/** Marks the file held by this process, once the database took its lock. */
export function hold(file: string): void {
  held.add(file);
  writeFileSync(`${file}.pid`, JSON.stringify({ pid: process.pid, host: hostname() }));
}

export function release(file: string): void {
  held.delete(file);
  rmSync(`${file}.pid`, { force: true });
}

function readOwner(pidFile: string): { pid: number; host: string } | undefined {
  try {
    const o = JSON.parse(readFileSync(pidFile, 'utf8')) as { pid?: unknown; host?: unknown };
    return typeof o.pid === 'number' && typeof o.host === 'string' ? { pid: o.pid, host: o.host } : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
