/**
 * Abort callbacks, one EventTarget listener per signal. A client connection's signal (sockets.ts clientGone) is
 * shared by the requests it carries, and each upstream call listens to it while it runs: addEventListener and
 * removeEventListener per call cost 6–12 µs at moderate load, on the path before undici writes the call (its
 * onRequestStart). A set per signal costs a WeakMap lookup and a Set add; the signal's one listener calls what the
 * set holds when it aborts.
 */
const CALLBACKS = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `fn` once when `signal` aborts (never if it has already). Returns what stops that: call it when done. */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = CALLBACKS.get(signal);
  if (set === undefined) {
    const made = new Set<() => void>();
    CALLBACKS.set(signal, (set = made));
    signal.addEventListener(
      'abort',
      () => {
        // Taken out first: a callback that registers another (it should not) does not run it now.
        const all = [...made];
        made.clear();
        for (const f of all) {
          try {
            f();
          } catch (err) {
            // As an EventTarget does: the others still run, and the error is the process's, as a listener's is.
            queueMicrotask(() => {
              throw err;
            });
          }
        }
      },
      { once: true },
    );
  }
  const s = set;
  s.add(fn);
  return () => void s.delete(fn);
}
