// The byte reading of copyToHost/copyFromHost's WinRS stdout on bad input: a
// frame claiming a huge text, an unknown type, and an upload answer that never
// ends its line are typed errors, not memory grown to what was claimed or sent.
import { describe, expect, it } from 'vitest';
import { FrameReader, lines } from '../../../src/session/copy/winrs-frames.js';

const head = (type: string, len: number) => {
  const b = Buffer.alloc(5);
  b[0] = type.charCodeAt(0);
  b.writeInt32LE(len, 1);
  return b;
};

describe('FrameReader', () => {
  it('yields T records whole and B bytes as they come', () => {
    const r = new FrameReader('C:\\x');
    const got = [...r.feed(Buffer.concat([head('T', 3), Buffer.from('F\ta'), head('B', 4), Buffer.from('ab')]))];
    expect(got).toEqual([{ type: 'T', text: 'F\ta' }, { type: 'B', data: Buffer.from('ab'), last: false }]);
    expect([...r.feed(Buffer.from('cd'))]).toEqual([{ type: 'B', data: Buffer.from('cd'), last: true }]);
    expect(r.idle).toBe(true);
  });
  it('refuses a text frame over 16 MiB and an unknown type before reading them', () => {
    expect(() => [...new FrameReader('C:\\x').feed(head('T', 0x7fffffff))]).toThrow(expect.objectContaining({ code: 'PSR_COPY_FAILED', message: expect.stringContaining('C:\\x') }));
    expect(() => [...new FrameReader('C:\\x').feed(head('Q', 1))]).toThrow(expect.objectContaining({ code: 'PSR_COPY_FAILED' }));
  });
});

describe('lines', () => {
  async function* pieces(...p: string[]) {
    for (const s of p) yield Buffer.from(s);
  }
  it('splits answers across pieces', async () => {
    const out: string[] = [];
    for await (const l of lines(pieces('P\ta\r', '\nR\tb\n', 'Z'), 'C:\\t')) out.push(l);
    expect(out).toEqual(['P\ta', 'R\tb', 'Z']);
  });
  it('a line past the limit is a typed error naming the target', async () => {
    const flood = async function* () {
      for (let i = 0; i < 100; i++) yield Buffer.alloc(1024, 0x41);
    };
    const read = async () => {
      for await (const _ of lines(flood(), 'C:\\t', 10_000)) void _;
    };
    await expect(read()).rejects.toMatchObject({ code: 'PSR_COPY_FAILED', message: expect.stringContaining('C:\\t') });
  });
});
