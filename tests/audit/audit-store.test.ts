import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AuditEntry,
  type AuditStore,
  createAuditRecorder,
  createAuditStore,
} from '../../src/audit/index.js';
import type { OrderDatabase } from '../../src/db/open-database.js';
import { captureLogger } from '../helpers/build-test-app.js';
import { closeEngines, ENGINES, makeTempDir, openOrderDb } from '../orders/support.js';

const dirs: string[] = [];
const handles: OrderDatabase[] = [];
afterAll(async () => {
  for (const handle of handles) await handle.close();
  await closeEngines();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const entry = (overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  tenant_id: 'tenant-a',
  session_id: 's1',
  turn_id: 'req-1',
  request_id: 'req-1',
  actor: { role: 'client', via: 'api_key', id: 'key-1' },
  tool: 'get_order',
  arguments: { order_id: 1 },
  status: 'ok',
  duration_ms: 3,
  timestamp: '2026-01-01T10:00:00.000Z',
  ...overrides,
});

async function openStore(engine: (typeof ENGINES)[number]): Promise<AuditStore> {
  const dir = makeTempDir();
  dirs.push(dir);
  const { handle } = await openOrderDb(engine, dir);
  handles.push(handle);
  return createAuditStore(handle);
}

describe.each(ENGINES)('audit store on %s', (engine) => {
  it('keeps every field, lists newest first, filters and paginates within one tenant', async () => {
    const store = await openStore(engine);
    await store.insert([
      entry(),
      entry({
        session_id: 's2',
        tool: 'send_order_confirmation',
        status: 'error',
        error: 'Order 9 not found',
        actor: { role: 'service', via: 'jwt', id: 'svc', customer_ref: 'c_abc' },
        timestamp: '2026-01-01T11:00:00.000Z',
      }),
      entry({ tool: 'list_orders', timestamp: '2026-01-01T12:00:00.000Z', arguments: { limit: 5 } }),
      entry({ tenant_id: 'tenant-b', timestamp: '2026-01-01T13:00:00.000Z' }),
    ]);

    const all = await store.query({ tenantId: 'tenant-a', limit: 10, offset: 0 });
    expect(all.total).toBe(3);
    expect(all.entries.map((e) => e.tool)).toEqual(['list_orders', 'send_order_confirmation', 'get_order']);
    expect(all.entries[1]).toMatchObject({
      tenant_id: 'tenant-a',
      session_id: 's2',
      turn_id: 'req-1',
      request_id: 'req-1',
      actor: { role: 'service', via: 'jwt', id: 'svc', customer_ref: 'c_abc' },
      status: 'error',
      error: 'Order 9 not found',
      duration_ms: 3,
      timestamp: '2026-01-01T11:00:00.000Z',
    });
    expect(all.entries[0]!.arguments).toEqual({ limit: 5 });

    const page = await store.query({ tenantId: 'tenant-a', limit: 1, offset: 1 });
    expect(page.total).toBe(3);
    expect(page.entries.map((e) => e.tool)).toEqual(['send_order_confirmation']);

    expect((await store.query({ tenantId: 'tenant-a', sessionId: 's2', limit: 10, offset: 0 })).total).toBe(
      1,
    );
    expect((await store.query({ tenantId: 'tenant-a', tool: 'get_order', limit: 10, offset: 0 })).total).toBe(
      1,
    );
    const since = await store.query({
      tenantId: 'tenant-a',
      since: new Date('2026-01-01T11:00:00.000Z'),
      limit: 10,
      offset: 0,
    });
    expect(since.entries.map((e) => e.tool)).toEqual(['list_orders', 'send_order_confirmation']);
    expect((await store.query({ tenantId: 'tenant-b', limit: 10, offset: 0 })).total).toBe(1);
    expect((await store.query({ tenantId: 'tenant-c', limit: 10, offset: 0 })).total).toBe(0);
  });

  it('retention deletes only entries older than the cut-off', async () => {
    const store = await openStore(engine);
    await store.insert([
      entry({ timestamp: '2025-01-01T00:00:00.000Z' }),
      entry({ timestamp: '2026-06-01T00:00:00.000Z' }),
    ]);
    const recorder = createAuditRecorder({
      store,
      logger: captureLogger().logger,
      retentionDays: 90,
      now: () => Date.parse('2026-07-01T00:00:00.000Z'),
    });
    expect(await recorder.sweep()).toBe(1);
    const left = await store.query({ tenantId: 'tenant-a', limit: 10, offset: 0 });
    expect(left.entries.map((e) => e.timestamp)).toEqual(['2026-06-01T00:00:00.000Z']);
    await recorder.close();
  });

  it('the recorder writes off the hot path and close() flushes what is queued', async () => {
    const store = await openStore(engine);
    const recorder = createAuditRecorder({ store, logger: captureLogger().logger, retentionDays: 90 });
    for (let i = 0; i < 450; i++) recorder.record(entry({ request_id: `r${i}`, turn_id: `r${i}` }));
    // Nothing was written synchronously: record() only queues.
    expect(recorder.stats().written).toBe(0);
    await recorder.close();
    expect(recorder.stats()).toMatchObject({ written: 450, queued: 0, failed: 0, dropped: 0 });
    expect((await store.query({ tenantId: 'tenant-a', limit: 1, offset: 0 })).total).toBe(450);
  });
});

describe('audit recorder failures are never silent', () => {
  it('logs a write failure and a full queue with their counts', async () => {
    const capture = captureLogger();
    const failing: AuditStore = {
      insert: async () => {
        throw new Error('disk full');
      },
      query: async () => ({ total: 0, entries: [] }),
      deleteOlderThan: async () => 0,
    };
    const recorder = createAuditRecorder({
      store: failing,
      logger: capture.logger,
      retentionDays: 90,
      maxQueue: 2,
    });
    recorder.record(entry());
    recorder.record(entry());
    recorder.record(entry()); // over the bound
    await recorder.close();
    recorder.record(entry()); // after close
    const messages = capture.lines().map((l) => [l.msg, l.entries ?? l.reason]);
    expect(messages).toEqual([
      ['audit entry dropped', 'queue_full'],
      ['audit entries could not be written', 2],
      ['audit entry dropped', 'closed'],
    ]);
    expect(recorder.stats()).toMatchObject({ failed: 2, dropped: 2 });
  });
});

describe('audit writes are grouped', () => {
  /** A store that only counts its writes (one write is one transaction on a real engine). */
  function countingStore() {
    const writes: number[] = [];
    const store: AuditStore = {
      insert: async (entries) => {
        writes.push(entries.length);
      },
      query: async () => ({ total: 0, entries: [] }),
      deleteOlderThan: async () => 0,
    };
    return { store, writes };
  }

  it('calls recorded over several event-loop turns within the delay share one write', async () => {
    const { store, writes } = countingStore();
    // Long enough that the test's own awaits never outlast it.
    const recorder = createAuditRecorder({
      store,
      logger: captureLogger().logger,
      retentionDays: 90,
      flushDelayMs: 60_000,
    });
    for (let i = 0; i < 5; i++) {
      recorder.record(entry({ request_id: `r${i}` }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(writes).toEqual([]);
    // flush() does not wait out the delay.
    await recorder.flush();
    expect(writes).toEqual([5]);
    recorder.record(entry());
    await recorder.close();
    expect(writes).toEqual([5, 1]);
    expect(recorder.stats()).toMatchObject({ written: 6, queued: 0 });
  });

  it('a full batch is written without waiting for the delay', async () => {
    const { store, writes } = countingStore();
    const recorder = createAuditRecorder({
      store,
      logger: captureLogger().logger,
      retentionDays: 90,
      batchSize: 3,
      flushDelayMs: 60_000,
    });
    for (let i = 0; i < 3; i++) recorder.record(entry({ request_id: `r${i}` }));
    await expect.poll(() => writes).toEqual([3]);
    await recorder.close();
  });
});
