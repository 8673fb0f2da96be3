/**
 * Who calls Kafka and the API server, from the servers' own logs: the broker's request log (one
 * "Completed request:{…}" line per request, with its client id) and the API server's audit log (one
 * JSON event per request, with its user and user agent). A benchmark reads the lines written in a
 * window and counts them per caller.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The complete lines appended to `file` since byte `from`, and where the next read starts. */
export function linesSince(file: string, from: number): { lines: string[]; next: number } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.max(0, size - from));
    readSync(fd, buffer, 0, buffer.length, from);
    const text = buffer.toString('utf8');
    // A line still being written is left for the next read.
    const end = text.lastIndexOf('\n') + 1;
    return { lines: text.slice(0, end).split('\n').filter(Boolean), next: from + Buffer.byteLength(text.slice(0, end)) };
  } finally {
    closeSync(fd);
  }
}

/** Requests per client id in lines of Kafka's request log. */
export function kafkaRequestsByClient(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    if (!line.startsWith('Completed request:')) continue;
    const client = /"clientId":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
    if (client !== undefined) counts.set(client, (counts.get(client) ?? 0) + 1);
  }
  return counts;
}

export interface AuditEvent {
  user?: { username?: string };
  userAgent?: string;
  verb?: string;
  requestURI?: string;
}

/** API requests per caller in audit-log lines; `who` names an event's caller, or undefined to skip it. */
export function apiRequestsBy(lines: readonly string[], who: (event: AuditEvent) => string | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    let event: AuditEvent;
    try {
      event = JSON.parse(line) as AuditEvent;
    } catch {
      continue;
    }
    const caller = who(event);
    if (caller !== undefined) counts.set(caller, (counts.get(caller) ?? 0) + 1);
  }
  return counts;
}
