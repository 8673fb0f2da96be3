export interface Repeating {
  /** No new run starts; resolves once the run in flight (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `work` now and then `intervalMs` after each run ends, so runs never overlap however slow
 * one is. A failed run is ignored: the next one tries again.
 */
export function repeat(work: () => Promise<unknown>, intervalMs: number): Repeating {
  let timer: NodeJS.Timeout | undefined;
  let running = true;
  let inFlight: Promise<void> = Promise.resolve();
  const loop = () => {
    inFlight = work()
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        if (running) timer = setTimeout(loop, intervalMs);
      });
  };
  timer = setTimeout(loop, 0);
  return {
    async stop() {
      running = false;
      clearTimeout(timer);
      await inFlight;
    },
  };
}
