/**
 * The console's pages: one URL per concern (/topics, /topics/<name>, /groups, /groups/<name>),
 * refreshed every two seconds with the time of the last answer shown, so a stale page says so.
 * Any 401 leads to /login, which comes back to the page asked for.
 */
import uPlotCss from 'uplot/dist/uPlot.min.css';
import type { RedriveReport } from '../../../lib/dlq-redrive.ts';
import type { DeadLetterList } from '../dead-letters.ts';
import type { TimelineMark, TimelinePoint } from '../group-timeline.ts';
import type { TraceView } from '../traces.ts';
import type { GroupView, RecordView, TopicView } from '../views.ts';
import { LagChart } from './chart.ts';
import { ago, h, table } from './dom.ts';
import consoleCss from './style.css';

const refreshMs = 2_000;

class Unauthorized extends Error {}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  if (response.status === 401) throw new Unauthorized();
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { detail?: string; title?: string };
    throw new Error(problem.detail ?? problem.title ?? `${response.status}`);
  }
  return (await response.json()) as T;
}

const toLogin = () => location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);

function shell(current: 'topics' | 'groups' | undefined, main: HTMLElement): HTMLElement {
  const link = (href: string, label: string, here: boolean) => h('a', { href, 'aria-current': here ? 'page' : undefined }, label);
  return h(
    'div',
    { class: 'shell' },
    h(
      'header',
      {},
      h('span', { class: 'brand' }, 'Eventide console'),
      h(
        'nav',
        { 'aria-label': 'Pages' },
        link('/topics', 'Topics', current === 'topics'),
        link('/groups', 'Consumer groups', current === 'groups'),
      ),
      h('span', { class: 'freshness', id: 'freshness', role: 'status', 'aria-live': 'polite' }, 'loading…'),
      h('button', { type: 'button', id: 'logout' }, 'Log out'),
    ),
    main,
  );
}

/** Polls `render` every refreshMs; the header says when the last answer came, or why none did. */
function live(render: () => Promise<void>): void {
  let last = 0;
  const freshness = () => document.getElementById('freshness');
  const tick = async () => {
    try {
      await render();
      last = Date.now();
      freshness()?.classList.remove('stale');
    } catch (error) {
      if (error instanceof Unauthorized) return toLogin();
      freshness()?.classList.add('stale');
      const label = freshness();
      if (label) label.textContent = `not updated: ${(error as Error).message}`;
    }
    setTimeout(tick, refreshMs);
  };
  setInterval(() => {
    const label = freshness();
    if (label && last > 0 && !label.classList.contains('stale'))
      label.textContent = `updated ${Math.round((Date.now() - last) / 1000)} s ago`;
  }, 1_000);
  void tick();
}

const problemsList = (problems: string[]) =>
  problems.length === 0 ? h('span', { class: 'ok' }, 'in sync') : h('ul', { class: 'problems' }, ...problems.map((p) => h('li', {}, p)));

function topicsPage(main: HTMLElement): void {
  main.append(h('h1', {}, 'Topics'), h('div', { id: 'content' }));
  live(async () => {
    const { items } = await getJson<{ items: TopicView[] }>('/api/v1/topics');
    const rows = items.map((t) => [
      h('a', { href: `/topics/${encodeURIComponent(t.name)}` }, t.name),
      t.topicName,
      h('span', { class: t.ready ? 'ok' : 'bad' }, t.ready ? 'Ready' : 'not Ready'),
      `${t.partitions.kafka ?? '?'} / ${t.partitions.spec}`,
      t.kafka ? String(t.kafka.messages) : 'Kafka did not answer',
      problemsList(t.problems),
    ]);
    document.getElementById('content')?.replaceChildren(
      table(
        'Every Topic resource and its topic in Kafka',
        ['Resource', 'Kafka topic', 'Status', 'Partitions (Kafka / spec)', 'Messages kept', 'Drift and conditions'],
        rows,
        {
          id: 'topics',
        },
      ),
    );
  });
}

function topicPage(main: HTMLElement, name: string): void {
  const latest = h('div', { id: 'latest' });
  const read = h('button', { type: 'button', id: 'read-latest' }, 'Read the latest records');
  // A read joins a consumer group: on demand, not every refresh.
  const readLatest = async () => {
    latest.replaceChildren(h('p', {}, 'reading…'));
    try {
      const { items } = await getJson<{ items: RecordView[] }>(`/api/v1/topics/${encodeURIComponent(name)}/records`);
      latest.replaceChildren(
        table(
          'The latest records of each partition (not their values)',
          ['Offset', 'Time', 'Type', 'Key', 'Trace'],
          items.map((r) => [
            `${r.partition}/${r.offset}`,
            r.time ?? '',
            r.type ?? '',
            r.key,
            r.traceId ? h('a', { href: `/traces/${r.traceId}` }, 'trace') : '—',
          ]),
          { id: 'latest-records' },
        ),
      );
    } catch (error) {
      if (error instanceof Unauthorized) return toLogin();
      latest.replaceChildren(h('p', { class: 'bad', role: 'alert' }, `not read: ${(error as Error).message}`));
    }
  };
  read.addEventListener('click', () => void readLatest());
  main.append(h('h1', {}, `Topic ${name}`), h('div', { id: 'content' }), h('h2', {}, 'Latest records'), read, latest);
  live(async () => {
    const t = await getJson<TopicView>(`/api/v1/topics/${encodeURIComponent(name)}`);
    document.getElementById('content')?.replaceChildren(
      h('p', {}, `Kafka topic ${t.topicName}; ${t.ready ? 'Ready' : 'not Ready'}; replication ${t.replicationFactor.kafka ?? '?'}`),
      problemsList(t.problems),
      table(
        'Partitions as Kafka has them',
        ['Partition', 'Leader', 'Replicas', 'In sync', 'Earliest offset', 'End offset'],
        (t.kafka?.partitions ?? []).map((p) => [p.partition, p.leader, p.replicas.join(', '), p.isr.join(', '), p.earliest, p.latest]),
      ),
      table(
        'Configuration',
        ['Key', 'Value'],
        Object.entries(t.config).map(([k, v]) => [k, v]),
      ),
      conditionsTable(t.conditions),
    );
  });
}

const conditionsTable = (conditions: TopicView['conditions']) =>
  table(
    'Conditions',
    ['Type', 'Status', 'Reason', 'Message'],
    conditions.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']),
  );

function groupsPage(main: HTMLElement): void {
  main.append(h('h1', {}, 'Consumer groups'), h('div', { id: 'content' }));
  live(async () => {
    const { items } = await getJson<{ items: GroupView[] }>('/api/v1/groups');
    document.getElementById('content')?.replaceChildren(
      table(
        'Every ConsumerGroup, its lag and its replicas',
        ['Group', 'Scales', 'Replicas (now / wanted)', 'Lag', 'Lag read', 'Conditions'],
        items.map((g) => [
          h('a', { href: `/groups/${encodeURIComponent(g.name)}` }, g.name),
          g.target,
          `${g.replicas.current ?? '?'} / ${g.replicas.desired ?? '?'}`,
          String(g.totalLag ?? '?'),
          ago(g.lastLagReadTime),
          problemsList(g.problems),
        ]),
        { id: 'groups' },
      ),
    );
  });
}

function groupPage(main: HTMLElement, name: string): void {
  const chartBox = h('figure', { id: 'chart', 'aria-label': 'Lag and replicas over the last hour' });
  const marks = h('ol', { id: 'marks', 'aria-label': 'Scaling decisions and condition changes' });
  main.append(
    h('h1', {}, `Consumer group ${name}`),
    h('p', {}, h('a', { href: `/groups/${encodeURIComponent(name)}/dead-letters` }, 'Dead letters of this group')),
    h('div', { id: 'summary' }),
    chartBox,
    h('h2', {}, 'Decisions'),
    marks,
    h('div', { id: 'content' }),
  );
  const chart = new LagChart(chartBox, Math.min(960, main.clientWidth || 800));
  addEventListener('resize', () => chart.resize(Math.min(960, main.clientWidth || 800)));
  live(async () => {
    const g = await getJson<GroupView & { timeline: { points: TimelinePoint[]; marks: TimelineMark[] } }>(
      `/api/v1/groups/${encodeURIComponent(name)}`,
    );
    const { points } = g.timeline;
    chart.update(points, g.timeline.marks);
    chartBox.dataset.points = String(points.length);
    chartBox.dataset.replicas = String(points.at(-1)?.replicas ?? '');
    chartBox.dataset.maxReplicas = String(Math.max(0, ...points.map((p) => p.replicas)));
    marks.replaceChildren(
      ...g.timeline.marks
        .slice()
        .reverse()
        .map((m) =>
          h(
            'li',
            { class: m.kind },
            h('time', { datetime: new Date(m.at).toISOString() }, new Date(m.at).toLocaleTimeString()),
            ` ${m.title}: ${m.detail}`,
          ),
        ),
    );
    document
      .getElementById('summary')
      ?.replaceChildren(
        h(
          'p',
          {},
          `Kafka group ${g.groupId} on ${g.topics.join(', ')}; scales ${g.target} between ${g.replicas.min ?? '?'} and ${g.replicas.max ?? '?'} replicas at ${g.lagThreshold ?? '?'} messages of lag each. `,
          h('strong', { id: 'replicas' }, `${g.replicas.current ?? '?'} replica${g.replicas.current === 1 ? '' : 's'}`),
          `, lag ${g.totalLag ?? '?'} (read ${ago(g.lastLagReadTime)}).`,
        ),
        problemsList(g.problems),
      );
    document.getElementById('content')?.replaceChildren(
      table(
        'Lag per partition',
        ['Topic', 'Partition', 'Lag', 'End offset', 'Committed', 'Stalled since'],
        g.partitions.map((p) => [p.topic, p.partition, p.lag, p.endOffset ?? '', p.committedOffset ?? '—', p.stalledSince ?? '']),
      ),
      g.members
        ? table(
            'Members in Kafka',
            ['Member', 'Client', 'Host'],
            g.members.map((m) => [m.memberId, m.clientId, m.host]),
          )
        : h('p', {}, 'Kafka did not answer: members unknown'),
      conditionsTable(g.conditions),
    );
  });
}

async function send<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (response.status === 401) throw new Unauthorized();
  const answer = (await response.json().catch(() => ({}))) as T & { detail?: string; title?: string };
  if (!response.ok) throw new Error(answer.detail ?? answer.title ?? `${response.status}`);
  return answer;
}

const labelled = (id: string, label: string, input: HTMLInputElement) =>
  h('span', { class: 'field' }, h('label', { for: id }, label), input);

/**
 * A group's dead letters, read on demand (a read scans the topic: no polling), and a redrive that
 * needs a dry run of the same filters first.
 */
function deadLettersPage(main: HTMLElement, name: string): void {
  const status = () => document.getElementById('freshness');
  const reasonFilter = h('input', { id: 'filter-reason', type: 'search', placeholder: 'substring or /regex/i' });
  const list = h('div', { id: 'dead-letters' });
  const show = async () => {
    const label = status();
    if (label) label.textContent = 'reading the dead-letter topic…';
    try {
      const query = reasonFilter.value ? `?reason=${encodeURIComponent(reasonFilter.value)}` : '';
      const answer = await getJson<DeadLetterList>(`/api/v1/groups/${encodeURIComponent(name)}/dead-letters${query}`);
      list.replaceChildren(
        h('p', {}, `${answer.matched} of ${answer.read} records in ${answer.dlqTopic} match; newest first.`),
        table(
          `Dead letters of ${name}`,
          ['Offset', 'Dead-lettered', 'Reason', 'Read from', 'Type', 'Trace', 'Value'],
          answer.records.map((r) => [
            `${r.partition}/${r.offset}`,
            r.time ?? '',
            h('span', { class: 'bad' }, r.reason),
            r.from,
            r.type ?? '',
            r.traceId ? h('a', { href: `/traces/${r.traceId}` }, 'trace') : '—',
            h('code', {}, r.preview),
          ]),
          { id: 'dead-letter-table' },
        ),
      );
      status()?.classList.remove('stale');
      if (label) label.textContent = `read at ${new Date().toLocaleTimeString()}`;
    } catch (error) {
      if (error instanceof Unauthorized) return toLogin();
      status()?.classList.add('stale');
      if (label) label.textContent = `not read: ${(error as Error).message}`;
    }
  };
  const filterForm = h(
    'form',
    { id: 'filter', 'aria-label': 'Filter dead letters' },
    labelled('filter-reason', 'Reason', reasonFilter),
    h('button', { type: 'submit' }, 'Show'),
  );
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void show();
  });

  const reason = h('input', { id: 'redrive-reason', type: 'text', placeholder: 'every record' });
  const offsets = h('input', { id: 'redrive-offsets', type: 'text', placeholder: 'e.g. 0:10-20' });
  const dryRun = h('button', { type: 'button', id: 'dry-run' }, 'Dry run');
  const run = h('button', { type: 'button', id: 'redrive', disabled: true }, 'Redrive');
  const report = h('pre', { id: 'redrive-report', role: 'status', 'aria-live': 'polite' });
  let checked: string | undefined;
  const filters = () => ({ reason: reason.value || undefined, offsets: offsets.value || undefined });
  const key = () => JSON.stringify(filters());
  for (const input of [reason, offsets])
    input.addEventListener('input', () => {
      run.disabled = key() !== checked;
    });
  const redrive = async (dry: boolean) => {
    report.textContent = dry ? 'dry run…' : 'redriving…';
    try {
      const r = await send<RedriveReport>(`/api/v1/groups/${encodeURIComponent(name)}/redrive`, { ...filters(), dryRun: dry });
      const moved = Object.entries(r.moved).map(([topic, n]) => `${n} → ${topic}`);
      const skipped = Object.entries(r.skipped).map(([why, s]) => `${s.count} skipped: ${why}`);
      report.textContent = [
        `${dry ? 'Dry run: would move' : 'Moved'} ${Object.values(r.moved).reduce((a, b) => a + b, 0)} of ${r.read} read (filter: ${r.filter})`,
        ...moved,
        ...skipped,
        'Redriving again is harmless: consumers apply a record once.',
      ].join('\n');
      checked = dry ? key() : undefined;
      run.disabled = !dry;
      if (!dry) await show();
    } catch (error) {
      if (error instanceof Unauthorized) return toLogin();
      report.textContent = `refused: ${(error as Error).message}`;
    }
  };
  dryRun.addEventListener('click', () => void redrive(true));
  run.addEventListener('click', () => void redrive(false));

  main.append(
    h('h1', {}, `Dead letters of ${name}`),
    h('p', {}, h('a', { href: `/groups/${encodeURIComponent(name)}` }, `Back to ${name}`)),
    filterForm,
    list,
    h('h2', {}, 'Redrive'),
    h(
      'p',
      {},
      'Once the cause is fixed: the selected records go back to the topic they came from. A dry run of the same filters comes first.',
    ),
    h(
      'div',
      { class: 'redrive' },
      labelled('redrive-reason', 'Reason', reason),
      labelled('redrive-offsets', 'Offsets', offsets),
      dryRun,
      run,
    ),
    report,
  );
  void show();
}

/** One trace as a waterfall: a row per span, its bar placed on the trace's time line. */
function tracePage(main: HTMLElement, id: string): void {
  main.append(h('h1', {}, `Trace ${id}`), h('div', { id: 'content' }));
  getJson<TraceView>(`/api/v1/traces/${encodeURIComponent(id)}`)
    .then((trace) => {
      const total = Math.max(1, trace.durationUs);
      const label = document.getElementById('freshness');
      if (label) label.textContent = `${trace.spans.length} spans`;
      document.getElementById('content')?.replaceChildren(
        h('p', {}, `${(trace.durationUs / 1000).toFixed(1)} ms across ${trace.services.join(', ')}`),
        h(
          'ol',
          { id: 'waterfall', 'aria-label': 'Spans in start order' },
          ...trace.spans.map((s) =>
            h(
              'li',
              { class: s.error ? 'span error' : 'span' },
              h('span', { class: 'span-name', style: `padding-left:${s.depth}rem` }, `${s.service}: ${s.operation}`),
              h(
                'span',
                { class: 'span-track' },
                h('span', {
                  class: 'span-bar',
                  style: `margin-left:${((s.offsetUs / total) * 100).toFixed(2)}%;width:${Math.max(0.5, (s.durationUs / total) * 100).toFixed(2)}%`,
                }),
              ),
              h('span', { class: 'span-duration' }, `${(s.durationUs / 1000).toFixed(2)} ms`),
            ),
          ),
        ),
      );
    })
    .catch((error: unknown) => {
      if (error instanceof Unauthorized) return toLogin();
      document.getElementById('content')?.replaceChildren(h('p', { class: 'bad', role: 'alert' }, (error as Error).message));
    });
}

function loginPage(main: HTMLElement): void {
  const error = h('p', { id: 'login-error', role: 'alert' });
  const form = h(
    'form',
    { id: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Log in as a platform administrator'),
    h('label', { for: 'email' }, 'Email'),
    h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true }),
    h('label', { for: 'password' }, 'Password'),
    h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { type: 'submit' }, 'Log in'),
    error,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const response = await fetch('/api/v1/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: data.get('email'), password: data.get('password') }),
    });
    if (response.ok) {
      const next = new URLSearchParams(location.search).get('next') ?? '/topics';
      // Only a path of this site: the login page must not send anyone elsewhere.
      return location.assign(next.startsWith('/') && !next.startsWith('//') ? next : '/topics');
    }
    const problem = (await response.json().catch(() => ({}))) as { detail?: string };
    error.textContent = problem.detail ?? `login failed (${response.status})`;
  });
  main.append(form);
}

function start(): void {
  document.head.append(h('style', {}, uPlotCss), h('style', {}, consoleCss));
  const path = location.pathname.replace(/\/+$/, '') || '/topics';
  const main = h('main', { id: 'main' });
  if (path === '/login') {
    document.body.replaceChildren(h('div', { class: 'shell' }, main));
    loginPage(main);
    return;
  }
  const [, section, name] = path.split('/').map(decodeURIComponent);
  document.body.replaceChildren(shell(section === 'groups' ? 'groups' : section === 'topics' ? 'topics' : undefined, main));
  document.getElementById('logout')?.addEventListener('click', async () => {
    await fetch('/api/v1/session', { method: 'DELETE' });
    location.assign('/login');
  });
  const view = path.split('/')[3];
  if (section === 'traces' && name) tracePage(main, name);
  else if (section === 'groups') {
    if (name && view === 'dead-letters') deadLettersPage(main, name);
    else if (name) groupPage(main, name);
    else groupsPage(main);
  } else if (name) topicPage(main, name);
  else topicsPage(main);
}

start();
