import { describe, expect, test } from 'vitest';
import { afterTurn } from '../../src/server/after-turn.js';

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

describe('afterTurn', () => {
  test('runs what a turn deferred when the turn ends, in order, after the turn’s own work', async () => {
    const seen: string[] = [];
    afterTurn(() => seen.push('a'));
    afterTurn(() => seen.push('b'));
    seen.push('turn');
    await Promise.resolve();
    seen.push('microtask');
    expect(seen).toEqual(['turn', 'microtask']);
    await nextTurn();
    expect(seen).toEqual(['turn', 'microtask', 'a', 'b']);
  });

  test('what a deferred function defers runs in a later turn, not in the same batch', async () => {
    const seen: string[] = [];
    afterTurn(() => {
      seen.push('first');
      afterTurn(() => seen.push('second'));
    });
    await nextTurn();
    expect(seen).toEqual(['first']);
    await nextTurn();
    expect(seen).toEqual(['first', 'second']);
  });
});

test('a deferred function that throws neither stops the others nor reaches the event loop', async () => {
  const seen: string[] = [];
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  try {
    afterTurn(() => {
      throw new Error('boom');
    });
    afterTurn(() => seen.push('after'));
    await nextTurn();
    await nextTurn();
    expect(seen).toEqual(['after']);
    expect(warnings.some((m) => m.includes('boom'))).toBe(true);
  } finally {
    process.off('warning', onWarning);
  }
});
