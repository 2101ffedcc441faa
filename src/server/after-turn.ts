/**
 * Observations that can wait until the event loop's turn ends: metrics and per-key statistics of what a request
 * just did. Counted at the end of the turn, after the answer has been written, they cost the client nothing; in
 * the middle of a request (at the key's verdict, before the answer is written) they were ~20 µs of a small
 * answer's latency at idle (bench:proxy). Everything deferred in a turn runs in one setImmediate, in order. A
 * scrape or an admin call is a later turn, so it always sees what happened before it.
 */
let queue: Array<() => void> = [];

export function afterTurn(fn: () => void): void {
  if (queue.push(fn) === 1) setImmediate(flush);
}

function flush(): void {
  // Swapped first: what a deferred function defers goes to the next turn, and a throw cannot strand the rest.
  const batch = queue;
  queue = [];
  for (const fn of batch) fn();
}
