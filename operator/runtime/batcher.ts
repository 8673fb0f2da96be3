import { batchTraces, inSpan, traceparentOf } from '../../lib/tracing.ts';

export interface BatcherOptions<In> {
  /** How long the first call of a batch waits for others to join it. Default 10 ms. */
  lingerMs?: number;
  /** A batch runs at once when it holds this many distinct inputs. Default 100 (Strimzi's batch size). */
  maxBatch?: number;
  /** Inputs with one key share one slot and one answer (e.g. two groups reading one topic's offsets). */
  key?: (input: In) => string;
  /** The span each batch runs in (e.g. "kafka CreateTopics"), linked to its callers' spans. Default: none. */
  spanName?: string;
}

/** What one batch returns for one of its inputs: a value, or the error that input alone met. */
export type Outcome<Out> = { ok: true; value: Out } | { ok: false; error: unknown };

interface Slot<In, Out> {
  input: In;
  /** The caller's span when tracing is on: the batch span links it. */
  traceparent?: string;
  waiters: { resolve: (value: Out) => void; reject: (error: unknown) => void }[];
}

/**
 * Turns many single calls made close together into one call of `run` with all their inputs, so a
 * caller keeps its one-key view while the server sees one request per batch. `run` answers per
 * input; when it throws, every caller of that batch gets the error.
 */
export class Batcher<In, Out> {
  private readonly run: (inputs: In[]) => Promise<Outcome<Out>[]>;
  private readonly lingerMs: number;
  private readonly maxBatch: number;
  private readonly key: (input: In) => string;
  private readonly spanName?: string;
  private pending = new Map<string, Slot<In, Out>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(run: (inputs: In[]) => Promise<Outcome<Out>[]>, options: BatcherOptions<In> = {}) {
    this.run = run;
    this.lingerMs = options.lingerMs ?? 10;
    this.maxBatch = options.maxBatch ?? 100;
    this.spanName = options.spanName;
    let unique = 0;
    this.key = options.key ?? (() => String(unique++));
  }

  call(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      const key = this.key(input);
      const slot = this.pending.get(key);
      if (slot) slot.waiters.push({ resolve, reject });
      else this.pending.set(key, { input, traceparent: traceparentOf(), waiters: [{ resolve, reject }] });
      if (this.pending.size >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const slots = [...this.pending.values()];
    this.pending = new Map();
    if (slots.length === 0) return;
    const inputs = slots.map((s) => s.input);
    // A batch serves many reconciles: its span sits under the first and links them all.
    const batch = this.spanName
      ? inSpan(
          this.spanName,
          { ...batchTraces(slots.map((s) => s.traceparent)), attributes: { 'eventide.batch.size': inputs.length } },
          () => this.run(inputs),
        )
      : this.run(inputs);
    batch.then(
      (outcomes) =>
        slots.forEach((slot, i) => {
          const outcome = outcomes[i] ?? { ok: false, error: new Error('the batch returned no answer for this input') };
          for (const w of slot.waiters) outcome.ok ? w.resolve(outcome.value) : w.reject(outcome.error);
        }),
      (error: unknown) => {
        for (const slot of slots) for (const w of slot.waiters) w.reject(error);
      },
    );
  }
}

/**
 * Runs `many` over all inputs; if Kafka refuses the batch, runs `one` per input so that a bad input
 * (an invalid config, say) fails alone and the others still land. `one` must be idempotent with
 * what the failed batch may already have done.
 */
export async function eachOrAlone<In, Out>(
  inputs: In[],
  many: (inputs: In[]) => Promise<Out[]>,
  one: (input: In) => Promise<Out>,
): Promise<Outcome<Out>[]> {
  try {
    return (await many(inputs)).map((value) => ({ ok: true as const, value }));
  } catch (error) {
    if (inputs.length === 1) return [{ ok: false, error }];
    return Promise.all(
      inputs.map((input) =>
        one(input).then(
          (value) => ({ ok: true as const, value }),
          (e: unknown) => ({ ok: false as const, error: e }),
        ),
      ),
    );
  }
}
