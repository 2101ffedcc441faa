/**
 * Observations that can wait until the event loop's turn ends: metrics and per-key statistics of what a request
 * just did. Counted at the end of the turn, after the answer has been written, they cost the client nothing; at
 * the key's verdict, before the answer is written, the pools' outcome listeners took ~19 µs of a small answer at
 * idle (paired A/B at idle: 6–19 µs a request saved). Everything deferred in a turn runs in one setImmediate, in
 * order. A scrape or an admin call is a later turn, so it always sees what happened before it.
 */
let queue: Array<() => void> = [];
let warned = false;

export function afterTurn(fn: () => void): void {
  if (queue.push(fn) === 1) setImmediate(flush);
}

function flush(): void {
  // Swapped first: what a deferred function defers goes to the next turn.
  const batch = queue;
  queue = [];
  for (const fn of batch) {
    try {
      fn();
    } catch (err) {
      // A failed observation must not take the server down, nor the observations after it (the pools hold their
      // listeners to the same rule: pool/events.ts). Said once: a bug here would repeat on every request.
      if (!warned) process.emitWarning(`an observation deferred to the end of the turn failed: ${String(err)}`, 'KeymuxWarning');
      warned = true;
    }
  }
}
