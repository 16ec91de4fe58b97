/**
 * Loopback benchmark of the whole service: probes, JSON chat and SSE chat. The service runs as its own
 * process (the real entry point), its openai SDK talking to the scripted fake OpenAI server in this
 * process, so the numbers measure this service, not a provider. The load generator shares this process
 * with the fake: on a 2-core machine, compare runs with each other rather than with other machines.
 *
 *   npm run bench                 # 5 s per scenario, 16 concurrent clients
 *   BENCH_SECONDS=10 BENCH_CONCURRENCY=32 npm run bench
 *   BENCH_SESSION_STORES=sqlite npm run bench   # the JSON chat once per store (default: all three)
 *
 * The JSON chat runs once per session store, each in a fresh service process (redis against a
 * redis-server started here), and reports the service's CPU time per turn (plus Redis's own).
 *
 * Every loop is bounded in time and count and talks to 127.0.0.1 only.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeOpenAI, step } from '../tests/helpers/fake-openai-server.js';
import { redisServerAvailable, startRedis, type TestRedis } from '../tests/helpers/redis-server.js';
import { freePort, spawnServer, waitForHttp } from '../tests/helpers/server-process.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const MAX_REQUESTS = 200_000;
const STORES = (process.env.BENCH_SESSION_STORES ?? 'memory,sqlite,redis')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s === 'memory' || s === 'sqlite' || s === 'redis');

/** CPU milliseconds a process has used so far (Linux /proc; undefined elsewhere). */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime, in clock ticks of 10 ms on Linux.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

interface Result {
  name: string;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  firstTokenP50?: number;
  /** Service (and Redis) CPU ms per request. */
  cpuPerRequest?: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function scenario(
  name: string,
  once: (i: number) => Promise<{ ok: boolean; firstTokenMs?: number }>,
): Promise<Result> {
  const latencies: number[] = [];
  const firstTokens: number[] = [];
  let errors = 0;
  let issued = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline && issued < MAX_REQUESTS) {
        const i = issued++;
        const t0 = performance.now();
        try {
          const r = await once(i);
          if (!r.ok) errors++;
          if (r.firstTokenMs !== undefined) firstTokens.push(r.firstTokenMs);
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  firstTokens.sort((a, b) => a - b);
  return {
    name,
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    ...(firstTokens.length > 0 ? { firstTokenP50: percentile(firstTokens, 50) } : {}),
  };
}

async function main(): Promise<void> {
  // Every request gets the same short streamed answer, however many the scenarios send.
  const fake = await startFakeOpenAI({
    fallback: step.text('Your order 42 shipped yesterday and arrives tomorrow.'),
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const startService = async (store: string, redis?: TestRedis) => {
    const proc = spawnServer({
      SERVER_HOST: '127.0.0.1',
      SERVER_PORT: String(await freePort()),
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: 'bench-key',
      LLM_MAX_RETRIES: '0',
      MAX_SESSIONS: '100000',
      MCP_SERVER_URL: '',
      LOG_LEVEL: 'warn',
      LOG_TO_FILE: 'false',
      ORDER_DB_PATH: path.join(dir, 'orders.db'),
      EMAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
      SESSION_STORE: store,
      SESSION_DB_PATH: path.join(dir, `sessions-${store}.db`),
      ...(redis ? { REDIS_URL: redis.url } : {}),
    });
    await waitForHttp(`${proc.baseUrl}/health`, proc);
    return proc;
  };
  let service = await startService('memory');
  let current = 'memory';
  let base = service.baseUrl;
  const results: Result[] = [];
  let redis: TestRedis | undefined;
  try {
    results.push(
      await scenario('GET /health', async () => {
        const r = await fetch(`${base}/health`);
        await r.arrayBuffer();
        return { ok: r.ok };
      }),
    );

    const chatOnce = async (i: number) => {
      const r = await fetch(`${base}/api/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: `bench-${i % 500}`, message: 'Where is order 42?' }),
      });
      await r.arrayBuffer();
      return { ok: r.ok };
    };
    for (const store of STORES) {
      if (store === 'redis') {
        if (!redisServerAvailable()) {
          console.log('redis-server not installed: the redis store is skipped');
          continue;
        }
        redis = await startRedis();
      }
      if (store !== current) {
        await service.stop('SIGTERM');
        service = await startService(store, redis);
        current = store;
        base = service.baseUrl;
      }
      const redisPid = store === 'redis' ? redis?.pid : undefined;
      const serviceBefore = cpuMs(service.child.pid);
      const redisBefore = cpuMs(redisPid);
      const result = await scenario(`POST /api/v1/chat [${store}]`, chatOnce);
      const serviceAfter = cpuMs(service.child.pid);
      const redisCpu = (cpuMs(redisPid) ?? 0) - (redisBefore ?? 0);
      if (serviceBefore !== undefined && serviceAfter !== undefined && result.requests > 0) {
        result.cpuPerRequest = (serviceAfter - serviceBefore + redisCpu) / result.requests;
      }
      results.push(result);
    }
    if (current !== 'memory') {
      await service.stop('SIGTERM');
      service = await startService('memory');
      current = 'memory';
      base = service.baseUrl;
    }

    results.push(
      await scenario('POST /api/v1/chat/stream', async (i) => {
        const t0 = performance.now();
        const r = await fetch(`${base}/api/v1/chat/stream`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ session_id: `stream-${i % 500}`, message: 'Where is order 42?' }),
        });
        const reader = r.body!.getReader();
        const decoder = new TextDecoder();
        let firstTokenMs: number | undefined;
        let text = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          text += decoder.decode(value, { stream: true });
          if (firstTokenMs === undefined && text.includes('"type":"token"'))
            firstTokenMs = performance.now() - t0;
        }
        return {
          ok: r.ok && text.includes('"type":"done"'),
          ...(firstTokenMs === undefined ? {} : { firstTokenMs }),
        };
      }),
    );
  } finally {
    await service.stop('SIGTERM');
    await redis?.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const f = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '-' : n.toFixed(1));
  console.log(`\n${SECONDS}s per scenario, ${CONCURRENCY} concurrent clients, Node ${process.version}\n`);
  console.log(
    'scenario                           req/s    p50 ms   p95 ms   p99 ms   1st token p50   errors   CPU ms/req',
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(33)}${f(r.rps).padStart(7)}${f(r.p50).padStart(10)}${f(r.p95).padStart(9)}${f(r.p99).padStart(9)}${f(r.firstTokenP50).padStart(16)}${String(r.errors).padStart(9)}${(r.cpuPerRequest === undefined ? '-' : r.cpuPerRequest.toFixed(2)).padStart(13)}`,
    );
  }
}

await main();
