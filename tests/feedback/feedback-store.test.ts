import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { OrderDatabase } from '../../src/db/open-database.js';
import { createFeedbackStore, type FeedbackInput, type FeedbackStore } from '../../src/feedback/index.js';
import { closeEngines, ENGINES, makeTempDir, openOrderDb } from '../orders/support.js';

const dirs: string[] = [];
const handles: OrderDatabase[] = [];
afterAll(async () => {
  for (const handle of handles) await handle.close();
  await closeEngines();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const rating = (overrides: Partial<FeedbackInput> = {}): FeedbackInput => ({
  tenantId: 'tenant-a',
  sessionId: 's1',
  turnId: 't1',
  rating: 4,
  requestId: 'req-1',
  actor: { role: 'client', via: 'api_key', id: 'key-1' },
  timestamp: '2026-01-01T10:00:00.000Z',
  ...overrides,
});

async function openStore(
  engine: (typeof ENGINES)[number],
): Promise<{ store: FeedbackStore; handle: OrderDatabase }> {
  const dir = makeTempDir();
  dirs.push(dir);
  const { handle } = await openOrderDb(engine, dir);
  handles.push(handle);
  return { store: createFeedbackStore(handle), handle };
}

describe.each(ENGINES)('feedback store on %s', (engine) => {
  it('keeps one rating per turn and one per session, tenants apart, newest first', async () => {
    const { store } = await openStore(engine);
    const first = await store.upsert(rating({ comment: 'ok' }));
    await store.upsert(rating({ turnId: undefined, rating: 2, timestamp: '2026-01-01T11:00:00.000Z' }));
    // The same session and turn ids in another tenant are another rating.
    await store.upsert(rating({ tenantId: 'tenant-b', rating: 1, timestamp: '2026-01-01T12:00:00.000Z' }));
    const replaced = await store.upsert(
      rating({ rating: 5, requestId: 'req-2', timestamp: '2026-01-01T13:00:00.000Z' }),
    );
    expect(replaced).toEqual({
      id: first.id,
      tenant_id: 'tenant-a',
      session_id: 's1',
      turn_id: 't1',
      rating: 5,
      comment: null,
      request_id: 'req-2',
      actor: { role: 'client', via: 'api_key', id: 'key-1' },
      timestamp: '2026-01-01T13:00:00.000Z',
    });

    const a = await store.query({ tenantId: 'tenant-a', limit: 10, offset: 0 });
    expect(a.total).toBe(2);
    expect(a.items.map((item) => [item.turn_id, item.rating])).toEqual([
      ['t1', 5],
      [null, 2],
    ]);
    const b = await store.query({ tenantId: 'tenant-b', limit: 10, offset: 0 });
    expect(b.items.map((item) => item.rating)).toEqual([1]);
    const since = await store.query({
      tenantId: 'tenant-a',
      since: new Date('2026-01-01T12:00:00.000Z'),
      limit: 10,
      offset: 0,
    });
    expect(since.items.map((item) => item.turn_id)).toEqual(['t1']);
  });

  it('refuses a rating outside 1..5 in the database itself', async () => {
    const { store } = await openStore(engine);
    await expect(store.upsert(rating({ rating: 6 }))).rejects.toThrow();
    expect((await store.query({ tenantId: 'tenant-a', limit: 10, offset: 0 })).total).toBe(0);
  });
});
