import { getEventListeners } from 'node:events';
import { expect, test } from 'vitest';
import { onAbort } from '../../src/server/abort.js';

test('callbacks on one signal share one listener, run once on abort, and a stopped one does not run', () => {
  const ac = new AbortController();
  const ran: string[] = [];
  const stops = ['a', 'b', 'c'].map((n) => onAbort(ac.signal, () => ran.push(n)));
  expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
  stops[1]!();
  ac.abort();
  ac.abort();
  expect(ran).toEqual(['a', 'c']);
  // Stopping after the abort is harmless.
  stops[0]!();
});

test('a connection signal carries many calls one after another: the set empties, the listener stays one', () => {
  const ac = new AbortController();
  for (let i = 0; i < 1000; i++) onAbort(ac.signal, () => {})();
  expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
  let called = 0;
  onAbort(ac.signal, () => called++);
  ac.abort();
  expect(called).toBe(1);
});

test('a throwing callback does not keep the others from running; its error is thrown as a listener error is', async () => {
  const ac = new AbortController();
  const ran: string[] = [];
  onAbort(ac.signal, () => {
    throw new Error('boom');
  });
  onAbort(ac.signal, () => ran.push('after'));
  const caught = new Promise<unknown>((resolve) => {
    const listeners = process.listeners('uncaughtException');
    process.removeAllListeners('uncaughtException');
    process.once('uncaughtException', (e) => {
      for (const l of listeners) process.on('uncaughtException', l);
      resolve(e);
    });
  });
  ac.abort();
  expect(ran).toEqual(['after']);
  expect(((await caught) as Error).message).toBe('boom');
});
