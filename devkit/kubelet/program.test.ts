import { describe, expect, it } from 'vitest';
import { eventideImage, localProgram } from './program.ts';

describe('localProgram', () => {
  it("maps an Eventide image's bundle to the entry point it is built from", () => {
    expect(localProgram({ name: 'search-indexer', image: 'eventide/search:0.1.0', command: ['node', 'search-indexer.js'] })).toEqual({
      program: { entry: 'services/search/indexer-main.ts', args: [] },
    });
    expect(
      localProgram({ name: 'op', image: 'registry.example/eventide/operator:1', command: ['node'], args: ['operator.js', '--x'] }),
    ).toEqual({
      program: { entry: 'operator/main.ts', args: ['--x'] },
    });
  });

  it('says why anything else cannot run here', () => {
    expect(localProgram({ name: 'ui', image: 'ghcr.io/kafbat/kafka-ui:v1.5.0' })).toMatchObject({
      unrunnable: expect.stringMatching(/not an Eventide image/),
    });
    expect(localProgram({ name: 'c', image: 'eventide/catalog:0.1.0', command: ['node', 'nope.js'] })).toMatchObject({
      unrunnable: expect.stringMatching(/has no bundle nope.js \(it has catalog.js\)/),
    });
    expect(localProgram({ name: 'c', image: 'eventide/catalog:0.1.0', command: ['sh', '-c', 'x'] })).toMatchObject({
      unrunnable: expect.stringMatching(/must be "node/),
    });
    expect(
      localProgram({
        name: 'c',
        image: 'eventide/catalog:0.1.0',
        command: ['node', 'catalog.js'],
        livenessProbe: { exec: { command: ['true'] } },
      }),
    ).toMatchObject({ unrunnable: expect.stringMatching(/httpGet and tcpSocket/) });
  });

  it('reads the image name', () => {
    expect(eventideImage('eventide/catalog:0.1.0')).toBe('catalog');
    expect(eventideImage('eventide/catalog@sha256:abc')).toBe('catalog');
    expect(eventideImage('noteventide/catalog:1')).toBeUndefined();
    expect(eventideImage(undefined)).toBeUndefined();
  });
});
