/**
 * What `kubectl port-forward svc/<name>` gives on a cluster: a fixed local port that reaches a
 * ready Pod of the Service, whichever Pod that is after restarts and rollouts. Connections go
 * round-robin over the ready Pods, as kube-proxy spreads them.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface ProxyTarget {
  /** Local ports of the ready Pods behind the Service, now. */
  ready(): number[];
}

export class ServiceProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private next = 0;

  constructor(target: ProxyTarget) {
    this.server = createServer((client) => {
      const ports = target.ready();
      if (ports.length === 0) {
        client.destroy();
        return;
      }
      const port = ports[this.next++ % ports.length] as number;
      const upstream = connect({ host: '127.0.0.1', port });
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  /** Listens on 127.0.0.1:port (0 = any free port); returns the port. */
  listen(port: number): Promise<number> {
    return new Promise((resolveListen, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        const address = this.server.address();
        resolveListen(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolveClose) => this.server.close(() => resolveClose()));
  }
}
