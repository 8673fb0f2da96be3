import { describe, expect, it } from 'vitest';
import { portClash, withFreshPorts } from './ports.ts';

describe('withFreshPorts', () => {
  it('starts again when the port was taken before the server bound it', async () => {
    let calls = 0;
    const started = await withFreshPorts(async () => {
      calls++;
      if (calls < 3) throw new Error('Kafka exited (1): Socket server failed to bind to 127.0.0.1:45153: Address already in use.');
      return 'up';
    });
    expect({ started, calls }).toEqual({ started: 'up', calls: 3 });
  });

  it('gives up after its attempts, and never retries another failure', async () => {
    let calls = 0;
    const clash = withFreshPorts(async () => {
      calls++;
      throw new Error('listen EADDRINUSE: address already in use 127.0.0.1:9200');
    }, 2);
    await expect(clash).rejects.toThrow(/EADDRINUSE/);
    expect(calls).toBe(2);
    calls = 0;
    await expect(
      withFreshPorts(async () => {
        calls++;
        throw new Error("'javac' is needed");
      }),
    ).rejects.toThrow(/javac/);
    expect(calls).toBe(1);
  });

  it('knows a clash by the words servers use for it', () => {
    expect(portClash(new Error('bind: Address already in use'))).toBe(true);
    // Elasticsearch's log tail may end before the cause's message, with only the bind in the trace.
    expect(portClash(new Error('at org.elasticsearch.transport.TcpTransport.bindToPort(TcpTransport.java:499)'))).toBe(true);
    expect(portClash(new Error('connect ECONNREFUSED'))).toBe(false);
  });
});
