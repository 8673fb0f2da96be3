import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Chart, Testing } from 'cdk8s';
import { afterAll, describe, expect, it } from 'vitest';
import { ElasticsearchUsers } from './elasticsearch-users.ts';

const run = promisify(execFile);

interface Job {
  kind: string;
  spec: {
    template: {
      spec: {
        containers: { command: string[]; env: { name: string; value?: string; valueFrom?: { secretKeyRef: { name: string } } }[] }[];
      };
    };
  };
}
const chart = new Chart(Testing.app(), 'test');
new ElasticsearchUsers(chart, 'users', {
  grants: [
    { workload: 'search-indexer', indices: [{ names: ['events-*', 'events'], privileges: ['write', 'manage'] }] },
    { workload: 'search-api', cluster: ['monitor'], indices: [{ names: ['events'], privileges: ['read'] }] },
  ],
});
const job = (Testing.synth(chart) as Job[]).find((o) => o.kind === 'Job');
const container = job?.spec.template.spec.containers[0];
const script = container?.command[2] ?? '';

// A curl that records what it was asked (method, URL, body) and answers 200.
const dir = mkdtempSync(join(tmpdir(), 'eventide-es-users-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = join(dir, 'calls');
writeFileSync(
  join(dir, 'curl'),
  `#!/bin/sh
method=GET; url=; data=; out=/dev/null; code=
while [ $# -gt 0 ]; do
  case "$1" in
    -X) method=$2; shift ;;
    -o) out=$2; shift ;;
    -w) code=200; shift ;;
    -u | -H | --cacert | --max-time) shift ;;
    --data-binary) data=$(cat); shift ;;
    -*) ;;
    *) url=$1 ;;
  esac
  shift
done
printf '%s %s %s\\n' "$method" "$url" "$data" >> "${log}"
echo '{}' > "$out"
printf '%s' "$code"
`,
);
chmodSync(join(dir, 'curl'), 0o755);
const runScript = (env: Record<string, string>) =>
  run('sh', ['-c', script], {
    env: { PATH: `${dir}:${process.env.PATH}`, ELASTICSEARCH_URL: 'https://elasticsearch:9200', ELASTIC_PASSWORD: 'superuser', ...env },
  });

describe('ElasticsearchUsers', () => {
  it("reads the elastic superuser's Secret and each workload's own", () => {
    expect(container?.env.map((e) => [e.name, e.value ?? e.valueFrom?.secretKeyRef.name])).toEqual([
      ['ELASTICSEARCH_URL', 'https://elasticsearch:9200'],
      ['ELASTIC_PASSWORD', 'elasticsearch-credentials'],
      ['SEARCH_INDEXER_USERNAME', 'elasticsearch-search-indexer-credentials'],
      ['SEARCH_INDEXER_PASSWORD', 'elasticsearch-search-indexer-credentials'],
      ['SEARCH_API_USERNAME', 'elasticsearch-search-api-credentials'],
      ['SEARCH_API_PASSWORD', 'elasticsearch-search-api-credentials'],
    ]);
  });

  it('waits for the cluster, then writes each role and user; a password with quotes and backslashes stays valid JSON', async () => {
    const password = 'p"a\\ss %s $HOME';
    await runScript({
      SEARCH_INDEXER_USERNAME: 'search-indexer',
      SEARCH_INDEXER_PASSWORD: password,
      SEARCH_API_USERNAME: 'search-api',
      SEARCH_API_PASSWORD: 'plain',
    });
    const calls = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [method, url, ...rest] = line.split(' ');
        const body = rest.join(' ');
        return { method, path: new URL(url ?? '').pathname, body: body ? JSON.parse(body) : undefined };
      });
    expect(calls).toEqual([
      { method: 'GET', path: '/_cluster/health', body: undefined },
      {
        method: 'PUT',
        path: '/_security/role/eventide-search-indexer',
        body: { cluster: [], indices: [{ names: ['events-*', 'events'], privileges: ['write', 'manage'] }] },
      },
      { method: 'PUT', path: '/_security/user/search-indexer', body: { password, roles: ['eventide-search-indexer'] } },
      {
        method: 'PUT',
        path: '/_security/role/eventide-search-api',
        body: { cluster: ['monitor'], indices: [{ names: ['events'], privileges: ['read'] }] },
      },
      { method: 'PUT', path: '/_security/user/search-api', body: { password: 'plain', roles: ['eventide-search-api'] } },
    ]);
  });

  it('refuses a username that is not a plain name (it goes into a URL path)', async () => {
    const failed = await runScript({
      SEARCH_INDEXER_USERNAME: '../elastic',
      SEARCH_INDEXER_PASSWORD: 'x',
      SEARCH_API_USERNAME: 'search-api',
      SEARCH_API_PASSWORD: 'x',
    }).catch((error: { stderr: string }) => error);
    expect((failed as { stderr?: string }).stderr).toContain("username '../elastic' must be letters");
  });
});
