import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PeekIterator } from '../../src/loader/readers/peek-iterator.js';
import type { PeekSource } from '../../src/loader/readers/peek-iterator.js';
import type { WaitOutcome } from '../../src/loader/readers/wait.js';

type Wake = { add: number } | 'abort' | 'stop-ready' | 'fail';
type Op = 'next' | 'return' | 'throw' | 'pair' | 'return-while-waiting' | { push: number };

/** A scripted reader: records are numbers; every call is logged. */
function fakeSource(wakes: readonly Wake[], enterThrows: boolean) {
  const log: string[] = [];
  const queue: number[] = [];
  let seq = 0;
  let stopped = false;
  let w = 0;
  let busy = false;
  const source: PeekSource<number> = {
    enter() {
      log.push('enter');
      if (enterThrows) throw new Error('busy');
      if (busy) throw new Error('already');
      busy = true;
    },
    leave() { log.push('leave'); busy = false; },
    stopped() { return stopped; },
    peek() { const r = queue[0]; log.push(`peek:${r}`); return r; },
    advance() { log.push(`advance:${queue.shift()}`); },
    async waitMore(got: number): Promise<WaitOutcome> {
      log.push(`wait:${got}`);
      await new Promise((r) => setTimeout(r, 0));
      const e = wakes[w++];
      if (e === undefined || e === 'abort') {
        stopped = e === 'abort';
        return 'aborted';
      }
      if (e === 'fail') throw new Error('epoll');
      if (e === 'stop-ready') {
        stopped = true;
        return 'ready';
      }
      for (let i = 0; i < e.add; i++) queue.push(seq++);
      return 'ready';
    },
  };
  return { log, source, push(n: number) { for (let i = 0; i < n; i++) queue.push(seq++); } };
}

/** The async generator PeekIterator replaces, verbatim from the module comment. */
async function* reference<T>(source: PeekSource<T>): AsyncGenerator<T, void, undefined> {
  source.enter();
  try {
    for (;;) {
      if (source.stopped()) return;
      let got = 0;
      for (let r = source.peek(); r !== undefined; r = source.peek()) {
        got++;
        try {
          yield r;
        } finally {
          source.advance();
        }
        if (source.stopped()) return;
      }
      if (await source.waitMore(got) === 'aborted') return;
    }
  } finally {
    source.leave();
  }
}

const show = (p: Promise<IteratorResult<number, void>>): Promise<string> =>
  p.then((r) => (r.done ? 'done' : `value:${r.value}`), (e: Error) => `error:${e.message}`);

async function drive(make: (s: PeekSource<number>) => AsyncGenerator<number, void, undefined>,
  initial: number, wakes: readonly Wake[], ops: readonly Op[], enterThrows: boolean): Promise<string[]> {
  const f = fakeSource(wakes, enterThrows);
  f.push(initial);
  const it = make(f.source);
  const out: string[] = [];
  for (const op of ops) {
    if (typeof op === 'object') {
      f.push(op.push);
      continue;
    }
    if (op === 'next') out.push(await show(it.next()));
    else if (op === 'return') out.push(await show(it.return()));
    else if (op === 'throw') out.push(await show(it.throw(new Error('thrown'))));
    else if (op === 'pair') out.push((await Promise.all([show(it.next()), show(it.next())])).join('+'));
    else out.push((await Promise.all([show(it.next()), show(it.return())])).join('+'));
    out.push(f.log.splice(0).join(' '));
  }
  return out;
}

describe('PeekIterator behaves as the async generator it replaces', () => {
  it('a plain loop: records, a wait, more records, abort', async () => {
    const ops: Op[] = ['next', 'next', 'next', 'next', 'next', 'next'];
    const wakes: Wake[] = [{ add: 2 }, 'abort'];
    const mine = await drive((s) => new PeekIterator(s), 2, wakes, ops, false);
    expect(mine).toEqual(await drive(reference, 2, wakes, ops, false));
    expect(mine.filter((_, i) => i % 2 === 0)).toEqual(['value:0', 'value:1', 'value:2', 'value:3', 'done', 'done']);
  });

  it('same results and the same calls on the source, for any sequence of steps (property)', async () => {
    const wake = fc.oneof(
      fc.integer({ min: 0, max: 3 }).map((add): Wake => ({ add })),
      fc.constantFrom<Wake>('abort', 'stop-ready', 'fail'),
    );
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.constant<Op>('next') },
      { weight: 1, arbitrary: fc.constantFrom<Op>('return', 'throw', 'pair', 'return-while-waiting') },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((push): Op => ({ push })) },
    );
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 3 }), fc.array(wake, { maxLength: 6 }), fc.array(op, { maxLength: 14 }), fc.boolean(),
      async (initial, wakes, ops, enterThrows) => {
        const mine = await drive((s) => new PeekIterator(s), initial, wakes, ops, enterThrows && ops.length % 5 === 0);
        const ref = await drive(reference, initial, wakes, ops, enterThrows && ops.length % 5 === 0);
        expect(mine).toEqual(ref);
      },
    ), { numRuns: 300 });
  });
});
