import { describe, expect, it } from 'vitest';
import { CoalescedCommits, type PartitionOffset } from './offset-commits.ts';

describe('CoalescedCommits', () => {
  it('sends the commits of one turn in one request, each caller waiting for it', async () => {
    const sent: PartitionOffset[][] = [];
    const commits = new CoalescedCommits(async (offsets) => void sent.push(offsets));
    await Promise.all([commits.commit(0, '10'), commits.commit(1, '7'), commits.commit(2, '3')]);
    expect(sent).toEqual([
      [
        { partition: 0, offset: '10' },
        { partition: 1, offset: '7' },
        { partition: 2, offset: '3' },
      ],
    ]);
    await commits.commit(0, '12');
    expect(sent).toHaveLength(2);
    expect(sent[1]).toEqual([{ partition: 0, offset: '12' }]);
  });

  it('keeps the furthest offset of a partition asked twice in one turn', async () => {
    const sent: PartitionOffset[][] = [];
    const commits = new CoalescedCommits(async (offsets) => void sent.push(offsets));
    await Promise.all([commits.commit(4, '100'), commits.commit(4, '90')]);
    expect(sent).toEqual([[{ partition: 4, offset: '100' }]]);
  });

  it('fails every caller of a request that failed, so none of their batches counts as committed', async () => {
    const commits = new CoalescedCommits(async () => Promise.reject(new Error('not the coordinator')));
    const results = await Promise.allSettled([commits.commit(0, '1'), commits.commit(1, '1')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
