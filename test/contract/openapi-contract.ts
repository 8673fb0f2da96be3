/**
 * A contract check for any OpenAPI 3.1 document: it generates requests from the document itself —
 * valid ones from examples, defaults, enums and bounds, and invalid mutations of them (missing
 * required fields, wrong types, out-of-range values, unknown fields, bad ids and headers, bodies
 * that are not JSON) — sends them to the running service, and checks every answer against the
 * document with a real JSON-Schema validator: the status is declared for that operation, the
 * content type is declared for that status, the body matches its schema, required headers are
 * there. Whether a generated value is valid is decided by the same validator against the
 * document's own schema, so the expectations follow the document, not this file:
 * - a request the schema rejects must get a 4xx;
 * - a request the schema accepts must get a 2xx, unless the schema of what was varied has a
 *   `description` (a rule the schema cannot express, e.g. "endsAt after startsAt") — then any
 *   documented answer will do.
 * - a 500 (any 5xx but a 503, a dependency down) is a violation whatever the document says: no
 *   request, however wrong, is a server error.
 * Every string field and parameter is also sent with U+0000 (NUL) and, where the value stays
 * UTF-16 on the wire (JSON bodies), an unpaired surrogate (e.g. "\ud800"); with ~10 kB where the
 * schema sets no maxLength; date-times at and beyond the edges of years 0001–9999. JSON Schema
 * takes NUL and lone surrogates for strings like any other, and no document here says otherwise:
 * where the schema accepts such a value, any documented answer will do (the platform refuses them
 * with a 400, lib/http/read-json.ts readJson, but the document does not promise it) — never a 500.
 * Path parameters and preconditions come from the document's `links` (e.g. a create's
 * `$response.body#/id` and `$response.header.ETag`), fetched afresh for every request, so writes
 * never see each other's state. Every service gets the same check by one call.
 *
 * The valid request carries the required parameters and those optional ones whose Parameter
 * Object has an `example`, and a body made of the required fields. A value the document offers
 * (an example, default, const or enum) is one it vouches for; a value made up here (an e-mail
 * address, a string of the right length) where the schema has a `description` may break the rule
 * described (e.g. "a live activation token"): every request built on it may then get any
 * documented 4xx instead of its 2xx. A request invalid by the document must still get a 4xx.
 *
 * Bodies are JSON, or, where an operation takes no JSON, `application/x-www-form-urlencoded`
 * (e.g. an OAuth 2.0 token request): the same mutations where they make sense for a form (a field
 * missing, a value the schema refuses, an unknown field), each value validated as the service
 * reads it, and the body sent as JSON instead, which must be a 4xx.
 *
 * Operations the document secures (an operation's or the document's `security` with a scheme) are
 * sent with the caller's credentials for that operation — `credentials` is told the names of its
 * schemes, so a bearer token and a client's HTTP Basic credentials can each go where they belong
 * — and once more without any: that one must be a documented 401.
 */
import { randomUUID } from 'node:crypto';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';

type Schema = Record<string, unknown>;
type Location = 'path' | 'query' | 'header';
interface Parameter {
  name: string;
  in: Location | 'cookie';
  required?: boolean;
  description?: string;
  /** The parameter's value in the document's example request: the valid request carries it. */
  example?: unknown;
  schema?: Schema;
}
interface Operation {
  method: string;
  path: string;
  id?: string;
  /** JSON pointer of the operation object in the document. */
  pointer: string;
  parameters: { param: Parameter; pointer: string }[];
  /** form: application/x-www-form-urlencoded, taken where the operation accepts no JSON. */
  body?: { required: boolean; mediaType: string; pointer: string; mediaTypes: string[]; form: boolean };
  responses: Record<string, { pointer: string }>;
  /** The security schemes of the operation's requirements; none: not secured. */
  schemes: string[];
}
interface Link {
  from: Operation;
  status: string;
  parameters: Record<string, unknown>;
}
interface Request {
  /** Sent without the operation's credentials. */
  anonymous?: boolean;
  path: Record<string, string>;
  query: Record<string, string>;
  header: Record<string, string>;
  body?: { type: string; text: string };
}
/** success: a 2xx (or, with `rule`, any documented 4xx); rejected: a 4xx; documented: any declared status; unauthorized: a 401. */
type Expectation = 'success' | 'rejected' | 'documented' | 'unauthorized';
interface Variant {
  label: string;
  apply: (request: Request) => Request;
  expect: Expectation;
  rule: boolean;
}

export interface ContractReport {
  requests: number;
  violations: string[];
}

const jsonTypes = /^application\/(?:[\w.+-]+\+)?json$/;
const formType = 'application/x-www-form-urlencoded';
const segment = (name: string) => name.replaceAll('~', '~0').replaceAll('/', '~1');
/** Walks a JSON pointer (RFC 6901) into a value. */
const walk = (root: unknown, pointer: string): unknown =>
  pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((node, part) => (node as Schema | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')], root);
const typesOf = (schema: Schema): string[] => [schema.type ?? []].flat() as string[];

/**
 * Valid and invalid RFC 3339 date-times: offsets, leap days, fractions, impossible days, and the
 * edges of the years 0001–9999 (what JavaScript, PostgreSQL and Elasticsearch all hold): at them,
 * beyond them by an offset, year 0000 (valid RFC 3339; PostgreSQL has no year 0) and year 10000.
 */
const dateTimes = [
  '2027-03-01T19:00:00Z',
  '2028-02-29T12:00:00Z',
  '2027-03-01T19:00:00.123456789Z',
  '2027-03-01T19:00:00+14:00',
  '2027-03-01T19:00:00-14:00',
  '2027-03-01T19:00:00+23:59',
  '0001-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '9999-12-31T23:59:59.999Z',
  '0001-01-01T00:00:00+14:00',
  '9999-12-31T23:59:59-14:00',
  '0000-01-01T00:00:00Z',
  '0000-12-31T23:59:59.999Z',
  '10000-01-01T00:00:00Z',
  '2027-02-30T10:00:00Z',
  '2027-03-01T19:00:00+24:00',
  '2027-03-01T19:00:00',
  'yesterday',
];

/** A string far longer than any field needs, for schemas that set no maxLength (~10 kB). */
const veryLong = 10_240;
/** U+0000, which PostgreSQL text cannot hold, and unpaired surrogates, which are not Unicode: valid JSON-Schema strings all. */
const untextualCharacters = ['\u0000', '\ud800', '\udc00'];
/** Whether a value is a string that is not text a service can keep as it came. */
const untextual = (value: unknown) => typeof value === 'string' && (value.includes('\u0000') || !value.isWellFormed());

export interface ContractOptions {
  /**
   * The headers that authorize an operation (e.g. a bearer token of a role that may call it), by
   * the names of the security schemes it accepts (e.g. `['bearer']`, `['clientBasic']`).
   */
  credentials?: (method: string, path: string, schemes: string[]) => Record<string, string>;
}

/** The schemes of a `security` list in which every requirement names one; none when any may be met without. */
const schemesOf = (requirements: unknown): string[] =>
  Array.isArray(requirements) && requirements.length > 0 && requirements.every((r) => Object.keys(r as object).length > 0)
    ? [...new Set(requirements.flatMap((r) => Object.keys(r as object)))]
    : [];

export async function checkContract(document: object, baseUrl: string, options: ContractOptions = {}): Promise<ContractReport> {
  const doc = document as Schema;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormatsPlugin.default(ajv);
  ajv.addSchema(doc, 'openapi.json');
  const validators = new Map<string, ValidateFunction>();
  const validator = (pointer: string) => {
    let validate = validators.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `openapi.json#${pointer}` });
      validators.set(pointer, validate);
    }
    return validate;
  };
  const at = (pointer: string) => walk(doc, pointer) as Schema;
  /** Follows local $refs; returns the node and the pointer where it really is. */
  const resolve = (pointer: string): { node: Schema; pointer: string } => {
    const node = at(pointer);
    const ref = node?.$ref;
    return typeof ref === 'string' && ref.startsWith('#/') ? resolve(ref.slice(1)) : { node, pointer };
  };
  /** The schema with allOf merged, for generating values (validation always uses the real schema). */
  const flatten = (pointer: string): Schema => {
    const { node, pointer: real } = resolve(pointer);
    if (!Array.isArray(node.allOf)) return node;
    const merged: Schema = { ...node, allOf: undefined, properties: {}, required: [] };
    node.allOf.forEach((_, i) => {
      const part = flatten(`${real}/allOf/${i}`);
      Object.assign(merged, { ...part, properties: { ...(merged.properties as object), ...(part.properties as object) } });
      merged.required = [...(merged.required as string[]), ...((part.required as string[]) ?? [])];
    });
    return merged;
  };

  const operations: Operation[] = [];
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Schema>)) {
    const itemPointer = `/paths/${segment(path)}`;
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']) {
      const op = item[method] as Schema | undefined;
      if (!op) continue;
      const pointer = `${itemPointer}/${method}`;
      const parameters = [
        ...((item.parameters as unknown[]) ?? []).map((_, i) => resolve(`${itemPointer}/parameters/${i}`)),
        ...((op.parameters as unknown[]) ?? []).map((_, i) => resolve(`${pointer}/parameters/${i}`)),
      ].map(({ node, pointer }) => ({ param: node as unknown as Parameter, pointer }));
      let body: Operation['body'];
      if (op.requestBody) {
        const { node, pointer: bodyPointer } = resolve(`${pointer}/requestBody`);
        const mediaTypes = Object.keys((node.content ?? {}) as object);
        const mediaType = mediaTypes.find((t) => jsonTypes.test(t)) ?? mediaTypes.find((t) => t === formType);
        if (mediaType)
          body = {
            required: node.required === true,
            mediaType,
            mediaTypes,
            pointer: `${bodyPointer}/content/${segment(mediaType)}`,
            form: mediaType === formType,
          };
      }
      const responses = Object.fromEntries(
        Object.keys((op.responses ?? {}) as object).map((status) => [status, resolve(`${pointer}/responses/${status}`)]),
      );
      const schemes = schemesOf(op.security ?? doc.security);
      operations.push({ method, path, id: op.operationId as string | undefined, pointer, parameters, body, responses, schemes });
    }
  }
  const links = new Map<string, Link[]>();
  for (const from of operations) {
    for (const [status, { pointer }] of Object.entries(from.responses)) {
      for (const link of Object.values((at(pointer).links ?? {}) as Record<string, Schema>)) {
        const target = link.operationId as string;
        links.set(target, [...(links.get(target) ?? []), { from, status, parameters: (link.parameters ?? {}) as Record<string, unknown> }]);
      }
    }
  }

  let counter = 0;
  /** The value the document itself offers for a schema, if any. */
  const offered = (schema: Schema): unknown =>
    [...((schema.examples as unknown[]) ?? []), schema.example, schema.default, schema.const, (schema.enum as unknown[])?.[0]].find(
      (v) => v !== undefined,
    );
  const uniqueString = (length: number) => `${(counter++).toString(36)}${'x'.repeat(length)}`.slice(0, length);
  /**
   * One valid value for a schema, preferring what the document itself offers; `guess.ruled` is set
   * when a value is made up where the schema describes a rule it cannot express.
   */
  const synthesize = (pointer: string, guess: { ruled: boolean } = { ruled: false }): unknown => {
    const schema = flatten(pointer);
    const given = offered(schema);
    if (given !== undefined) return given;
    const type = typesOf(schema)[0];
    if (type === 'object') {
      const { pointer: real } = resolve(pointer);
      return Object.fromEntries(
        ((schema.required as string[]) ?? []).map((name) => [name, synthesize(`${real}/properties/${segment(name)}`, guess)]),
      );
    }
    if (schema.description) guess.ruled = true;
    if (type === 'integer' || type === 'number') return (schema.minimum as number) ?? 0;
    if (type === 'boolean') return true;
    if (type === 'array') return [];
    if (schema.format === 'uuid') return randomUUID();
    if (schema.format === 'date-time') return dateTimes[0];
    if (schema.format === 'email') {
      const address = `${uniqueString(8)}@example.com`;
      if (validator(pointer)(address)) return address;
    }
    if (schema.pattern) throw new Error(`${pointer}: a pattern and no example; add \`examples\` so valid values can be generated`);
    return uniqueString(Math.max(1, (schema.minLength as number) ?? 1));
  };
  /**
   * A string like a valid one for this schema with one character in its middle replaced: its length
   * stays, so only what the character is decides whether the schema takes it.
   */
  const withCharacter = (pointer: string, character: string): string => {
    const schema = flatten(pointer);
    let base: string;
    try {
      const value = synthesize(pointer);
      base = typeof value === 'string' ? value : uniqueString(3);
    } catch {
      base = uniqueString(3);
    }
    // Inside some text where free text may be that long, not alone.
    const plain = !schema.pattern && !schema.format && !schema.enum && schema.const === undefined;
    if (plain && base.length < 3 && ((schema.maxLength as number | undefined) ?? 3) >= 3) base = base.padEnd(3, 'x');
    const at = Math.floor(base.length / 2);
    return `${base.slice(0, at)}${character}${base.slice(at + 1)}`;
  };
  /**
   * Values around a schema's edges, valid and not; the validator decides which is which. `wire`:
   * the value travels as text in a URL, a header or a form, where an unpaired surrogate cannot (it
   * would arrive as U+FFFD, testing nothing); `header`: nor can NUL.
   */
  const candidates = (pointer: string, wire: boolean, header = false): unknown[] => {
    const schema = flatten(pointer);
    const values: unknown[] = [...((schema.examples as unknown[]) ?? []), schema.default, ...((schema.enum as unknown[]) ?? [])];
    if (schema.enum) values.push('not-one-of-these');
    const types = typesOf(schema);
    if (types.includes('string')) {
      const max = schema.maxLength as number | undefined;
      if (schema.format === 'uuid') values.push(randomUUID(), 'not-a-uuid');
      else if (schema.format === 'date-time') values.push(...dateTimes);
      else if (schema.pattern) values.push('', '%not matching%');
      else if (!schema.enum) {
        const min = (schema.minLength as number) ?? 0;
        values.push(uniqueString(Math.max(1, min)), '');
        if (min > 1) values.push(uniqueString(min - 1));
        if (max !== undefined) values.push(uniqueString(max), uniqueString(max + 1));
      }
      if (max === undefined && !schema.enum && !['uuid', 'date-time'].includes(schema.format as string))
        values.push(uniqueString(veryLong));
      for (const character of untextualCharacters.slice(0, header ? 0 : wire ? 1 : undefined))
        values.push(withCharacter(pointer, character));
      if (!wire) values.push(12345, true);
    }
    if (types.includes('integer') || types.includes('number')) {
      const { minimum, maximum } = schema as { minimum?: number; maximum?: number };
      if (minimum !== undefined) values.push(minimum, minimum - 1);
      if (maximum !== undefined && Number.isSafeInteger(maximum)) values.push(maximum, maximum + 1);
      if (minimum === undefined && maximum === undefined) values.push(0, 1);
      if (types.includes('integer')) values.push((minimum ?? 0) + 0.5);
      values.push(wire ? 'abc' : '12');
    }
    if (types.includes('boolean')) values.push(true, false, wire ? 'yes' : 'true');
    if (!wire) values.push(null);
    const seen = new Set<string>();
    return values
      .filter((v) => v !== undefined)
      .map((v) => (wire ? String(v) : v))
      .filter((v) => {
        const key = JSON.stringify(v);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
  };
  /** A parameter's text as the service would read it, for validating against a non-string schema. */
  const fromWire = (text: string, schema: Schema): unknown => {
    const types = typesOf(schema);
    if ((types.includes('integer') || types.includes('number')) && /^-?\d+(?:\.\d+)?$/.test(text)) return Number(text);
    if (types.includes('boolean') && (text === 'true' || text === 'false')) return text === 'true';
    return text;
  };

  const linkKey = (param: Parameter) => `${param.in}.${param.name}`;
  const linkedKeys = (op: Operation) => {
    const link = op.id ? links.get(op.id)?.[0] : undefined;
    return new Set(
      op.parameters
        .filter(({ param }) => link && (linkKey(param) in link.parameters || param.name in link.parameters))
        .map(({ param }) => linkKey(param)),
    );
  };

  const violations: string[] = [];
  let requests = 0;
  const describe = (op: Operation, label: string) => `${op.method.toUpperCase()} ${op.path} [${label}]`;

  async function send(op: Operation, request: Request): Promise<{ response: Response; text: string; url: string }> {
    const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(request.path[name] ?? ''));
    const query = new URLSearchParams(request.query).toString();
    const url = `${baseUrl}${path}${query ? `?${query}` : ''}`;
    const secured = op.schemes.length > 0 && !request.anonymous;
    const credentials = secured ? (options.credentials?.(op.method, op.path, op.schemes) ?? {}) : {};
    const headers = { ...credentials, ...request.header, ...(request.body ? { 'content-type': request.body.type } : {}) };
    const response = await fetch(url, { method: op.method.toUpperCase(), headers, body: request.body?.text });
    requests++;
    return { response, text: await response.text(), url };
  }

  /** Everything the document says about this answer, as a list of what does not hold. */
  function check(op: Operation, label: string, response: Response, text: string, expectation: Expectation, rule: boolean): void {
    const where = `${describe(op, label)} → ${response.status}`;
    const status = String(response.status);
    const declared = op.responses[status] ?? op.responses[`${status[0]}XX`] ?? op.responses.default;
    const fail = (what: string) => violations.push(`${where}: ${what}${text ? ` — ${text.slice(0, 300)}` : ''}`);
    if (response.status >= 500 && response.status !== 503)
      return void fail('a server error: no request, however wrong, may cause one, documented or not');
    if (!declared) return void fail(`status not documented (documented: ${Object.keys(op.responses).join(', ')})`);
    const success = response.status >= 200 && response.status < 300;
    const clientError = response.status >= 400 && response.status < 500;
    if (expectation === 'success' && !success && !(rule && clientError)) fail('a request valid by the document was not accepted');
    if (expectation === 'rejected' && !clientError) fail('a request invalid by the document was not answered with a 4xx');
    if (expectation === 'unauthorized' && response.status !== 401) fail('a secured operation without credentials was not answered 401');
    const spec = at(declared.pointer);
    for (const [name, header] of Object.entries((spec.headers ?? {}) as Record<string, Schema>)) {
      const value = response.headers.get(name);
      if (value === null) {
        if (header.required === true) fail(`required header ${name} missing`);
        continue;
      }
      const headerPointer = `${declared.pointer}/headers/${segment(name)}/schema`;
      if (header.schema && !validator(headerPointer)(fromWire(value, flatten(headerPointer))))
        fail(`header ${name}: ${ajv.errorsText(validator(headerPointer).errors)}`);
    }
    const content = (spec.content ?? {}) as Record<string, Schema>;
    if (Object.keys(content).length === 0) {
      if (text.length > 0) fail('a body where the document declares none');
      return;
    }
    const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!(type in content))
      return void fail(`content type ${type || '(none)'} not documented (documented: ${Object.keys(content).join(', ')})`);
    if (!jsonTypes.test(type) || !content[type]?.schema) return;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return void fail('the body is not JSON');
    }
    const validate = validator(`${declared.pointer}/content/${segment(type)}/schema`);
    if (!validate(body)) fail(`body does not match the schema: ${ajv.errorsText(validate.errors)}`);
    if (type === 'application/problem+json' && (body as { status?: unknown }).status !== response.status)
      fail('the problem status differs from the HTTP status');
  }

  /** Values from the first link to this operation, from a fresh call of the operation it starts at. */
  async function linkValues(op: Operation, depth: number): Promise<Map<string, string> | undefined> {
    const link = op.id ? links.get(op.id)?.[0] : undefined;
    const values = new Map<string, string>();
    if (!link) return values;
    if (depth > 3) throw new Error(`links to ${op.id} nest too deep`);
    const request = await baseRequest(link.from, depth + 1);
    if (!request) return undefined;
    const { response, text } = await send(link.from, request);
    check(link.from, `link source of ${op.id}`, response, text, 'success', guessed(link.from));
    if (String(response.status) !== link.status) return undefined;
    const body = jsonTypes.test((response.headers.get('content-type') ?? '').split(';')[0] ?? '') ? JSON.parse(text) : undefined;
    for (const { param } of op.parameters) {
      const expression = link.parameters[linkKey(param)] ?? link.parameters[param.name];
      if (expression === undefined) continue;
      let value: unknown = expression;
      if (typeof expression === 'string' && expression.startsWith('$response.body#'))
        value = walk(body, expression.slice('$response.body#'.length));
      else if (typeof expression === 'string' && expression.startsWith('$response.header.'))
        value = response.headers.get(expression.slice('$response.header.'.length)) ?? undefined;
      if (value === undefined) {
        violations.push(`${describe(link.from, `link to ${op.id}`)}: ${String(expression)} is not in the answer — ${text.slice(0, 300)}`);
        return undefined;
      }
      values.set(linkKey(param), String(value));
    }
    return values;
  }

  /** A body's text in the operation's media type: JSON, or a form of the object's fields. */
  const encode = (op: Operation, value: unknown): string => {
    if (!op.body?.form) return JSON.stringify(value);
    if (typeof value !== 'object' || value === null) return String(value);
    const fields = Object.entries(value).map(([name, field]): [string, string] => [
      name,
      typeof field === 'object' ? JSON.stringify(field) : String(field),
    ]);
    return new URLSearchParams(fields).toString();
  };
  /** A form as the service reads it, for validating against the body's schema: each field by its property's type. */
  const decodeForm = (text: string, schemaPointer: string): Record<string, unknown> => {
    const { pointer: real } = resolve(schemaPointer);
    const properties = (flatten(schemaPointer).properties ?? {}) as Record<string, unknown>;
    return Object.fromEntries(
      [...new URLSearchParams(text)].map(([name, value]) => [
        name,
        name in properties ? fromWire(value, flatten(`${real}/properties/${segment(name)}`)) : value,
      ]),
    );
  };

  /** A parameter's value in the valid request: linked, the document's example, or made up if required. */
  const parameterValue = (param: Parameter, pointer: string, linked: Map<string, string>): string | undefined =>
    linked.get(linkKey(param)) ??
    (param.example !== undefined ? String(param.example) : param.required ? String(synthesize(`${pointer}/schema`)) : undefined);

  /**
   * Whether the valid request of this operation carries a value made up where the document states a
   * rule the schema cannot (a description): then no 2xx can be asked of it. Path parameters are not
   * counted: a made-up id already asks only for a documented answer.
   */
  const guessedRules = new Map<Operation, boolean>();
  function guessed(op: Operation): boolean {
    const known = guessedRules.get(op);
    if (known !== undefined) return known;
    const guess = { ruled: false };
    const linked = linkedKeys(op);
    for (const { param, pointer } of op.parameters) {
      if (param.in === 'cookie' || param.in === 'path' || !param.required || param.example !== undefined) continue;
      if (linked.has(linkKey(param))) continue;
      synthesize(`${pointer}/schema`, guess);
      if (param.description && offered(flatten(`${pointer}/schema`)) === undefined) guess.ruled = true;
    }
    if (op.body) synthesize(`${op.body.pointer}/schema`, guess);
    guessedRules.set(op, guess.ruled);
    return guess.ruled;
  }

  /** The operation's valid request: linked values, then required parameters and examples, then the example body. */
  async function baseRequest(op: Operation, depth = 0): Promise<Request | undefined> {
    const linked = await linkValues(op, depth);
    if (!linked) return undefined;
    const request: Request = { path: {}, query: {}, header: {} };
    for (const { param, pointer } of op.parameters) {
      if (param.in === 'cookie') continue;
      const value = parameterValue(param, pointer, linked);
      if (value !== undefined) request[param.in][param.name] = value;
    }
    if (op.body) request.body = { type: op.body.mediaType, text: encode(op, synthesize(`${op.body.pointer}/schema`)) };
    return request;
  }

  function variants(op: Operation): Variant[] {
    const linked = linkedKeys(op);
    // A made-up id names nothing that exists: without a link, only a documented answer can be asked for.
    const success: Expectation = op.parameters.some(({ param }) => param.in === 'path' && !linked.has(linkKey(param)))
      ? 'documented'
      : 'success';
    const list: Variant[] = [{ label: 'valid', apply: (r) => r, expect: success, rule: false }];
    if (op.schemes.length > 0)
      list.push({ label: 'no credentials', apply: (r) => ({ ...r, anonymous: true }), expect: 'unauthorized', rule: false });
    for (const { param, pointer } of op.parameters) {
      if (param.in === 'cookie') continue;
      const location = param.in;
      const schemaPointer = `${pointer}/schema`;
      const schema = flatten(schemaPointer);
      const rule = Boolean(param.description || schema.description);
      const set = (value: string | undefined) => (r: Request) => {
        const values = { ...r[location] };
        if (value === undefined) delete values[param.name];
        else values[param.name] = value;
        return { ...r, [location]: values };
      };
      if (!param.required && location !== 'path')
        list.push({ label: `${location} ${param.name} absent`, apply: set(undefined), expect: success, rule });
      const values = candidates(schemaPointer, true, location === 'header') as string[];
      if (param.example !== undefined && !values.includes(String(param.example))) values.unshift(String(param.example));
      for (const value of values) {
        const valid = validator(schemaPointer)(fromWire(value, schema));
        // Another valid id or precondition than the linked one names a state the document cannot
        // predict (absent, stale): only a documented answer can be asked for; so does a string the
        // schema takes that is not text (the document says nothing of NUL).
        const expect: Expectation = !valid ? 'rejected' : linked.has(linkKey(param)) || untextual(value) ? 'documented' : success;
        list.push({ label: `${location} ${param.name}=${JSON.stringify(value).slice(0, 40)}`, apply: set(value), expect, rule });
      }
    }
    // Built on a made-up value the document ties to a rule: no 2xx can be asked for.
    const ruled = guessed(op);
    const finish = () => list.map((variant) => ({ ...variant, rule: variant.rule || ruled }));
    if (!op.body) return finish();
    const { mediaType, pointer, form, mediaTypes } = op.body;
    const schemaPointer = `${pointer}/schema`;
    const schema = flatten(schemaPointer);
    const validBody = validator(schemaPointer);
    const withBody = (label: string, type: string, text: string, expect: Expectation, rule: boolean) =>
      list.push({ label, apply: (r) => ({ ...r, body: { type, text } }), expect, rule });
    /** A body of this value in the operation's media type, expected as the document judges it once the service has read it. */
    const body = (label: string, value: unknown, rule: boolean, unstated = false) => {
      const text = encode(op, value);
      const valid = validBody(form ? decodeForm(text, schemaPointer) : value);
      withBody(label, mediaType, text, !valid ? 'rejected' : unstated ? 'documented' : success, rule);
    };
    const example = synthesize(schemaPointer);
    const rootRule = Boolean(schema.description);
    if (typesOf(schema).includes('object') && typeof example === 'object' && example !== null) {
      const base = example as Record<string, unknown>;
      const { pointer: real } = resolve(schemaPointer);
      for (const name of Object.keys((schema.properties ?? {}) as object)) {
        const propertyPointer = `${real}/properties/${segment(name)}`;
        const rule = Boolean(flatten(propertyPointer).description);
        if (name in base) {
          const { [name]: _, ...rest } = base;
          body(`body without ${name}`, rest, rootRule);
        }
        for (const value of candidates(propertyPointer, form))
          body(`body ${name}=${JSON.stringify(value).slice(0, 40)}`, { ...base, [name]: value }, rule, untextual(value));
      }
      body('body with an unknown field', { ...base, unexpectedField: 1 }, rootRule);
    }
    if (form) {
      // Any text reads as a form; a form's fields sent as JSON must not be taken for one.
      withBody('JSON body', 'application/json', JSON.stringify(example), 'rejected', false);
    } else {
      for (const value of [null, [], 'text', 42]) body(`body ${JSON.stringify(value)}`, value, false);
      withBody('malformed JSON', mediaType, '{"unterminated', 'rejected', false);
    }
    if (!mediaTypes.includes('text/plain')) withBody('text/plain body', 'text/plain', encode(op, example), 'rejected', false);
    if (op.body.required) list.push({ label: 'no body', apply: (r) => ({ ...r, body: undefined }), expect: 'rejected', rule: false });
    return finish();
  }

  for (const op of operations) {
    for (const variant of variants(op)) {
      const base = await baseRequest(op);
      if (!base) {
        violations.push(`${describe(op, variant.label)}: no request could be made (its link failed)`);
        continue;
      }
      const { response, text } = await send(op, variant.apply(base));
      check(op, variant.label, response, text, variant.expect, variant.rule);
    }
  }
  return { requests, violations };
}
