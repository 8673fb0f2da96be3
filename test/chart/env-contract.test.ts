/**
 * The chart's environment and the programs' configuration agree (test/chart/env-contract.ts): a
 * variable renamed in a construct, a manifest or the code alone fails here, before any cluster runs.
 */
import { describe, expect, it } from 'vitest';
import { profiles } from '../../cdk8s/profile.ts';
import { checkEnvContract } from './env-contract.ts';

for (const profile of Object.values(profiles)) {
  describe(`the ${profile.name} chart's env`, () => {
    const checks = checkEnvContract(profile);

    it('has Eventide containers to check', () => expect(checks.length).toBeGreaterThanOrEqual(4));

    for (const check of checks) {
      it(`${check.deployment}: resolves, validates, and sets nothing the program ignores`, () => {
        expect(check.problems).toEqual([]);
      });
    }
  });
}
