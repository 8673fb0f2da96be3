/**
 * The README and docs/ link to code and to each other by relative paths and `#anchors`; code moves and
 * headings change, so every such link is checked here: the file must exist, and an anchor must be a
 * heading of the target as GitHub slugs it. Links that leave the repository (the shared ARCHITECTURE.md
 * beside the clone) cannot be checked from a clone and are left out; so are URLs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../shared/versions.ts';

const root = repoRoot;
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The lines of a markdown file outside fenced code blocks. */
function prose(text: string): string[] {
  let fence = false;
  return text.split('\n').filter((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fence = !fence;
      return false;
    }
    return !fence;
  });
}

/** GitHub's heading anchor: lowercase, punctuation dropped except '-' and '_', each space a '-'. */
function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor a file's headings give, a repeated heading numbered as GitHub numbers it (-1, -2, …). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(markdown)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1] ?? '');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** The targets of inline links `[text](target)` in prose, inline code spans left out. */
function links(markdown: string): string[] {
  const out: string[] = [];
  for (const line of prose(markdown)) {
    const text = line.replace(/`[^`]*`/g, '``');
    for (const m of text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) out.push(m[1] ?? '');
  }
  return out;
}

/** What is wrong with each relative link of a page (of `pages`), as `target: why`. */
function brokenLinks(page: string): string[] {
  const from = join(root, page);
  const broken: string[] = [];
  for (const target of links(readFileSync(from, 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // a URL
    const [path, anchor] = target.split('#', 2);
    const file = path === '' ? from : resolve(dirname(from), decodeURI(path ?? ''));
    if (relative(root, file).startsWith('..')) continue; // outside the repository
    if (!existsSync(file)) {
      broken.push(`${target}: no such file`);
    } else if (anchor !== undefined && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
      broken.push(`${target}: no heading with that anchor in ${relative(root, file)}`);
    }
  }
  return broken;
}

describe('links in the README and docs/', () => {
  it.each(pages)('%s: every relative link reaches a file, and every anchor a heading', (page) => {
    expect(brokenLinks(page)).toEqual([]);
  });

  it('the README maps every page of docs/', () => {
    const mapped = new Set(links(readFileSync(join(root, 'README.md'), 'utf8')).map((t) => t.split('#')[0]));
    expect(pages.filter((p) => p !== 'README.md' && !mapped.has(p))).toEqual([]);
  });
});

describe('the checker', () => {
  it('slugs headings as GitHub does', () => {
    expect(slug('Who may call what')).toBe('who-may-call-what');
    expect(slug('`make bench-tracing`')).toBe('make-bench-tracing');
    expect(slug('Local mode: `make dev` and `make load`')).toBe('local-mode-make-dev-and-make-load');
    expect(slug('The [chart](x.md) — kind_and production')).toBe('the-chart--kind_and-production');
    expect([...anchors('# A\n\n```\n# not a heading\n```\n## A\n### Ünïcode 1.2')]).toEqual(['a', 'a-1', 'ünïcode-12']);
  });

  it('finds links in prose, not in code', () => {
    const md = 'See [a](a.md#x) and [`b/`](b/) but not `[c](c.md)`.\n```\n[d](d.md)\n```\n| [e](https://e.example) |';
    expect(links(md)).toEqual(['a.md#x', 'b/', 'https://e.example']);
  });
});
