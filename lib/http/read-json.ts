import { type FieldError, HttpProblem } from './problem.ts';

const jsonTypes = ['application/json', 'application/merge-patch+json'];
const utf8 = new TextDecoder('utf-8', { fatal: true });
const maxTextErrors = 20;

/** Why a string cannot be taken as text: U+0000, which PostgreSQL text cannot hold, or a surrogate without its pair, which is not Unicode. */
function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'holds U+0000 (NUL), which text here cannot hold';
  if (!text.isWellFormed()) return 'holds an unpaired UTF-16 surrogate (such as \\ud800 alone), which is not Unicode text';
  return undefined;
}

/** A place in a JSON value: its name (a property, an index) under its parent, the root none. */
interface Place {
  name?: string;
  parent?: Place;
}

/** A field's path as problem errors name it (a.b.0.c), a name that is not text itself escaped as JSON would. */
function pathOf(place: Place): string {
  const parts: string[] = [];
  for (let at: Place | undefined = place; at?.name !== undefined; at = at.parent)
    parts.push(textProblem(at.name) ? JSON.stringify(at.name).slice(1, -1) : at.name);
  return parts.length === 0 ? '(body)' : parts.reverse().join('.');
}

/**
 * Every string of a JSON value, names included, that is not text a service can keep: each by its
 * path (at most 20). Iterative and linear, so no nesting a body limit allows can exhaust the stack.
 */
export function untextualStrings(value: unknown): FieldError[] {
  const found: FieldError[] = [];
  const pending: { value: unknown; place: Place }[] = [{ value, place: {} }];
  while (pending.length > 0 && found.length < maxTextErrors) {
    const { value: node, place } = pending.pop() as { value: unknown; place: Place };
    if (typeof node === 'string') {
      const problem = textProblem(node);
      if (problem) found.push({ path: pathOf(place), message: problem });
    } else if (typeof node === 'object' && node !== null) {
      const entries = Array.isArray(node) ? node.map((item, i) => [String(i), item] as const) : Object.entries(node);
      for (const [name, item] of entries.reverse()) {
        const child = { name, parent: place };
        const problem = Array.isArray(node) ? undefined : textProblem(name);
        if (problem) found.push({ path: pathOf(child), message: `its name ${problem}` });
        pending.push({ value: item, place: child });
      }
    }
  }
  return found.slice(0, maxTextErrors);
}

/**
 * The body as JSON: another content type is 415; bytes that are not UTF-8, malformed JSON, or a
 * string (value or name) with U+0000 or an unpaired surrogate are 400 — the last naming every such
 * field by its path, never its value. PostgreSQL's text cannot hold U+0000 at all, and a lone
 * surrogate would be stored as U+FFFD without a word: refused here, once, for every service.
 */
export async function readJson(c: {
  req: { header: (n: string) => string | undefined; arrayBuffer: () => Promise<ArrayBuffer> };
}): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!jsonTypes.includes(type))
    throw new HttpProblem(415, 'Unsupported media type', `send application/json, not ${type || 'a body without a content type'}`);
  const bytes = await c.req.arrayBuffer();
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpProblem(400, 'Malformed JSON', 'the body is not UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new HttpProblem(400, 'Malformed JSON', (error as Error).message);
  }
  const errors = untextualStrings(value);
  if (errors.length > 0)
    throw new HttpProblem(
      400,
      'Invalid request',
      `the request body has ${errors.length === 1 ? 'a string' : 'strings'} that cannot be taken as text`,
      { errors },
    );
  return value;
}
