/**
 * A real server the tests or local mode use. `start`/`stop`/`kill` work on the same port and data,
 * so chaos tests can crash a server and bring it back; `dispose` also removes its temp dirs.
 */
export interface LocalServer {
  readonly name: string;
  /** What clients connect to: a broker list, a URL, a connection string. */
  readonly endpoint: string;
  /** False when the endpoint came from an environment variable: that server is not ours to stop. */
  readonly managed: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  dispose(): Promise<void>;
}

/** A server someone else runs, named by an override variable; lifecycle calls are refused. */
export function externalServer(name: string, endpoint: string): LocalServer {
  const refuse = async () => {
    throw new Error(`${name} at ${endpoint} comes from the environment; this run does not manage it`);
  };
  return {
    name,
    endpoint,
    managed: false,
    start: refuse,
    stop: refuse,
    kill: refuse,
    dispose: async () => {},
  };
}
