/**
 * A group's dead letters for the console: listed and redriven through the library's dead-letter
 * code, the same that `make dlq-redrive` runs. A scan reads `<group>.dlq` to the end offsets it had
 * when it began; two pages asking at once share one scan.
 */
import { redrive, scanDeadLetters } from '../../lib/dead-letter-topic.ts';
import { parseFilter, parseReason, type RedriveReport } from '../../lib/dlq-redrive.ts';
import { HttpProblem, withHeaders } from '../../lib/http/problem.ts';
import type { KafkaSecurity } from '../../lib/kafka.ts';
import type { Logger } from '../../lib/log.ts';
import { type DeadLetterView, deadLetterView } from './views.ts';

export interface DeadLetterList {
  dlqTopic: string;
  /** Per partition, the end offset the list was read up to. */
  endOffsets: Record<number, string>;
  /** Records in the topic up to those offsets, and how many the reason filter kept. */
  read: number;
  matched: number;
  /** The newest `limit` of those that matched, newest first. */
  records: DeadLetterView[];
}

export class DeadLetters {
  private readonly options: { brokers: string[]; security: KafkaSecurity; log: Logger };
  private readonly scans = new Map<string, Promise<{ dlqTopic: string; endOffsets: Record<number, string>; records: DeadLetterView[] }>>();

  constructor(options: { brokers: string[]; security: KafkaSecurity; log: Logger }) {
    this.options = options;
  }

  async list(group: string, { reason, limit }: { reason?: string; limit: number }): Promise<DeadLetterList> {
    const filter = reason ? parseReason(reason) : undefined;
    if (filter && !filter.ok) throw new HttpProblem(400, 'Invalid request', filter.error);
    const scan = await this.scan(group);
    const matched = scan.records.filter((r) => !filter?.ok || filter.value.matches(r.reason));
    return {
      dlqTopic: scan.dlqTopic,
      endOffsets: scan.endOffsets,
      read: scan.records.length,
      matched: matched.length,
      records: matched.slice(-limit).reverse(),
    };
  }

  /** A redrive (or its dry run) of the records the filters select; a redrive twice is harmless (consumers are idempotent). */
  async redrive(group: string, input: { reason?: string; offsets?: string; dryRun: boolean }): Promise<RedriveReport> {
    const filter = parseFilter(input);
    if (!filter.ok) throw new HttpProblem(400, 'Invalid request', filter.error);
    const { readerGroup: _, ...report } = await redrive({
      ...this.options,
      group,
      filter: filter.value,
      dryRun: input.dryRun,
      idleTimeoutMs: 10_000,
    }).catch(asProblem);
    return report;
  }

  private scan(group: string) {
    const running = this.scans.get(group);
    if (running) return running;
    const records: DeadLetterView[] = [];
    const scan = scanDeadLetters({ ...this.options, group, idleTimeoutMs: 10_000 }, async (batch) => {
      for (const record of batch) records.push(deadLetterView(record));
    })
      .then(({ dlqTopic, endOffsets }) => ({
        dlqTopic,
        endOffsets,
        records: records.sort(
          (a, b) => (a.time ?? '').localeCompare(b.time ?? '') || a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)),
        ),
      }))
      .catch(asProblem)
      .finally(() => this.scans.delete(group));
    this.scans.set(group, scan);
    return scan;
  }
}

/** A missing dead-letter topic is the page's 404; anything else from Kafka is "not now, retry". */
function asProblem(error: unknown): never {
  const message = error instanceof Error ? error.message : String(error);
  if (/^topic .* does not exist/.test(message)) throw new HttpProblem(404, 'Not found', message);
  throw withHeaders(new HttpProblem(503, 'Service unavailable', `Kafka did not answer: ${message}`), { 'Retry-After': '5' });
}
