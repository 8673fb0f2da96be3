import { z } from 'zod';
import { amountMinor, currency } from './money.ts';

export const merchantInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(254),
  currency,
});

/** An amount within the configured per-movement limit. */
export const limitedAmount = (maxMinor: number) => amountMinor.max(maxMinor, `at most ${maxMinor} minor units per movement`);

export const paymentInput = (maxMinor: number) => z.strictObject({ amountMinor: limitedAmount(maxMinor), currency });
export const withdrawalInput = (maxMinor: number) => z.strictObject({ amountMinor: limitedAmount(maxMinor) });

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.uuid().optional(),
});
