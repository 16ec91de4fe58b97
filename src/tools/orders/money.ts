/** Largest order amount accepted, in currency units. */
export const MAX_ORDER_AMOUNT = 1_000_000;

/**
 * Floats like 19.99 are 1998.9999999999998 once multiplied by 100, so "at most two decimals"
 * means "within a rounding hair of a whole number of cents".
 */
export function hasAtMostTwoDecimals(amount: number): boolean {
  const cents = amount * 100;
  return Number.isFinite(cents) && Math.abs(cents - Math.round(cents)) < 1e-6;
}

export function toCents(amount: number): number {
  return Math.round(amount * 100);
}

export function fromCents(cents: number): number {
  return cents / 100;
}
