import { describe, expect, it } from 'vitest';
import { getOrderArgs, quickOrderIdArgs } from '../../src/tools/orders/arguments.js';

describe('get_order arguments without a zod parse', () => {
  it('accepts only what the schema accepts, with the same value; zod answers everything else', () => {
    const calls: unknown[] = [
      { order_id: 42 },
      { order_id: 1 },
      { order_id: Number.MAX_SAFE_INTEGER },
      { order_id: Number.MAX_SAFE_INTEGER + 1 },
      { order_id: 0 },
      { order_id: -3 },
      { order_id: 4.5 },
      { order_id: '42' },
      { order_id: null },
      { order_id: 42, extra: true },
      {},
      [],
      null,
      'order 42',
    ];
    for (const call of calls) {
      const quick = quickOrderIdArgs(call);
      const zod = getOrderArgs.safeParse(call);
      if (quick) expect(zod, JSON.stringify(call)).toMatchObject({ success: true, data: quick.data });
      else if (zod.success) expect(typeof (call as { order_id: unknown }).order_id).toBe('string');
    }
    expect(quickOrderIdArgs({ order_id: 42 })).toEqual({ success: true, data: { order_id: 42 } });
  });
});
