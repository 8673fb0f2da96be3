import { describe, expect, it } from 'vitest';
import { compareDesigns, cpuFigures } from './compare.ts';

const lines = (text: string) => text.split('\n').map((l) => l.split(/\s{2,}/));

describe('compareDesigns', () => {
  const results = new Map<string, { rate: number; cpu: Record<string, number> }[]>([
    [
      'eventide',
      [
        { rate: 300, cpu: { catalog: 2, kafka: 1, total: 3 } },
        { rate: 100, cpu: { catalog: 4, kafka: 1, total: 5 } },
        { rate: 200, cpu: { catalog: 3, kafka: 1, total: 4 } },
      ],
    ],
    [
      'original',
      [
        { rate: 90, cpu: { seed: 1, total: 1 } },
        { rate: 110, cpu: { seed: 3, total: 3 } },
        { rate: 100, cpu: { seed: 2, total: 2 } },
      ],
    ],
  ]);

  it('shows each design median (min–max) and the ratio of the medians', () => {
    const [header, , row] = lines(compareDesigns(results, [{ name: 'events/s', of: (r) => r.rate }]));
    expect(header).toEqual(['', 'eventide', 'original', 'eventide ÷ original']);
    expect(row).toEqual(['events/s', '200 (100–300)', '100 (90–110)', '2.00×']);
  });

  it('marks a figure a design does not have, and gives it no ratio', () => {
    const rows = lines(compareDesigns(results, cpuFigures(results))).slice(2);
    expect(rows).toEqual([
      ['CPU ms/event: catalog', '3.00 (2.00–4.00)', '—', '—'],
      ['CPU ms/event: kafka', '1.00 (1.00–1.00)', '—', '—'],
      ['CPU ms/event: seed', '—', '2.00 (1.00–3.00)', '—'],
      ['CPU ms/event: total', '4.00 (3.00–5.00)', '2.00 (1.00–3.00)', '2.00×'],
    ]);
  });
});
