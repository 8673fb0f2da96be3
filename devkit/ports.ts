import { createServer } from 'node:net';

/** A loopback port that was free a moment ago; the server that takes it reports a clash itself. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('could not read the port the OS assigned'));
      });
    });
  });
}

/** A server's start that failed because another process took its port between freePort() and its bind. */
export const portClash = (error: unknown): boolean =>
  /address already in use|EADDRINUSE|failed to bind|BindException|bindToPort/i.test(error instanceof Error ? error.message : String(error));

/**
 * Starts a server that picks its own free ports, again (up to `attempts` times) when one was taken
 * before it could bind: servers started side by side, and every outgoing connection's ephemeral
 * port, draw from the same range.
 */
export async function withFreshPorts<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= attempts || !portClash(error)) throw error;
    }
  }
}
