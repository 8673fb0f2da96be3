import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes one JSON object per line with name, level, ISO time and pod', () => {
    const before = process.env.POD_NAME;
    process.env.POD_NAME = 'pod-7';
    try {
      const { lines, stream } = capture();
      createLogger('svc', 'info', stream).child({ key: 'ns/a' }).info({ n: 1 }, 'hello');
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0] as string);
      expect(line).toMatchObject({ name: 'svc', level: 30, pod: 'pod-7', key: 'ns/a', n: 1, msg: 'hello' });
      expect(new Date(line.time).toISOString()).toBe(line.time);
    } finally {
      if (before === undefined) delete process.env.POD_NAME;
      else process.env.POD_NAME = before;
    }
  });

  it('drops lines below its level', () => {
    const { lines, stream } = capture();
    const log = createLogger('svc', 'warn', stream);
    log.info('quiet');
    log.warn('loud');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['loud']);
  });
});
