import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFrames, Spool, type SpoolFrame } from './spool.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function spoolDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'spool-'));
  dirs.push(d);
  return path.join(d, 'spool');
}
const payload = (s: string) => Buffer.from(s, 'utf8');
const brief = (f: SpoolFrame) => ({ seq: f.seq, kind: f.kind, body: f.body.toString('utf8') });

describe('Spool', () => {
  it('frames are durable before append resolves, seqs have no gaps, and reopening recovers those after the checkpoint', async () => {
    const dir = spoolDir();
    const durable: number[] = [];
    const { spool, recovered } = await Spool.open<string>(dir, { afterSeq: 0, onDurable: (fs_) => durable.push(...fs_.map((f) => f.seq)) });
    expect(recovered).toEqual({ frames: [], segments: 0, droppedBytes: 0 });
    // Concurrent appends: group-committed, seqs in call order.
    const seqs = await Promise.all(['a', 'bb', 'ccc'].map((s, i) => spool.append(i + 1, payload(s), s)));
    expect(seqs).toEqual([1, 2, 3]);
    expect(durable).toEqual([1, 2, 3]);
    await spool.close();

    const again = await Spool.open(dir, { afterSeq: 1, onDurable: () => {} });
    expect(again.recovered.frames.map(brief)).toEqual([
      { seq: 2, kind: 2, body: 'bb' },
      { seq: 3, kind: 3, body: 'ccc' },
    ]);
    expect(await again.spool.append(1, payload('d'), null)).toBe(4);
    await again.spool.close();
  });

  it('a torn frame at the end of a segment (a write cut by a kill) is dropped and truncated; seqs continue after the last whole frame', async () => {
    const dir = spoolDir();
    const { spool } = await Spool.open(dir, { afterSeq: 0, onDurable: () => {} });
    await spool.append(1, payload('whole'), null);
    await spool.append(1, payload('also whole'), null);
    await spool.close();
    const [segment] = fs.readdirSync(dir);
    const file = path.join(dir, segment!);
    const intact = fs.statSync(file).size;
    // Part of a third frame: a whole header (declaring 10 payload bytes) and 3 of them.
    const second = 24 + 'whole'.length;
    const torn = fs.readFileSync(file).subarray(second, second + 24 + 3);
    fs.appendFileSync(file, torn);

    const r = await Spool.open(dir, { afterSeq: 0, onDurable: () => {} });
    expect(r.recovered.frames.map(brief)).toEqual([
      { seq: 1, kind: 1, body: 'whole' },
      { seq: 2, kind: 1, body: 'also whole' },
    ]);
    expect(r.recovered.droppedBytes).toBe(27);
    expect(fs.statSync(file).size).toBe(intact);
    expect(await r.spool.append(1, payload('next'), null)).toBe(3);
    await r.spool.close();
    // A flipped payload byte fails the CRC: the frame and what follows it in that segment are not trusted.
    const buf = fs.readFileSync(file);
    buf[24 + 2] = buf[24 + 2]! ^ 0xff;
    expect(readFrames(buf)).toEqual({ frames: [], validBytes: 0 });
  });

  it('rotates segments and deletes those wholly at or below the committed seq', async () => {
    const dir = spoolDir();
    const { spool } = await Spool.open(dir, { afterSeq: 0, segmentBytes: 40, onDurable: () => {} });
    for (const s of ['one', 'two', 'three', 'four']) await spool.append(1, payload(s.repeat(10)), null);
    expect(fs.readdirSync(dir).sort()).toEqual(['spool-0000000000000001.log', 'spool-0000000000000002.log', 'spool-0000000000000003.log', 'spool-0000000000000004.log']);
    expect(await spool.release(2)).toBe(2);
    expect(fs.readdirSync(dir).sort()).toEqual(['spool-0000000000000003.log', 'spool-0000000000000004.log']);
    expect(await spool.release(4)).toBe(1); // never the segment being written
    await spool.close();
    const r = await Spool.open(dir, { afterSeq: 4, onDurable: () => {} });
    expect(r.recovered.frames).toEqual([]);
    expect(r.spool.next).toBe(5);
    await r.spool.close();
  });
});
