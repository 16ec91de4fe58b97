/**
 * Loopback benchmark of the whole service, printed as one table. Three processes besides this one:
 * the service (the real entry point from the shared compiled build), the zero-latency fake model
 * (bench/fake-llm.ts: a turn = 1 tool call + 2 streamed model calls) and, one after the other, the
 * references: a bare Fastify app of the same version for /health (bench/bare-fastify.ts) and the same
 * chat turn on bare node:http + fetch (bench/bare-node-turn.ts), which sends the service's own system
 * prompt and tool definitions. This process is only the load generator (node:http with keep-alive
 * sockets, one per connection). CPU figures are the service process's own CPU time from
 * /proc/<pid>/stat, divided by the turns it served in that window.
 *
 *   npm run bench                                # about 2–3 minutes
 *   BENCH_SECONDS=10 npm run bench               # every timed scenario 10 s (default 5)
 *   BENCH_SESSION_STORES=sqlite npm run bench    # JSON chat at 16 connections per store (default all three)
 *   BENCH_CPU_PROF=/tmp/prof npm run bench       # only chat at 50 connections, the service under --cpu-prof
 *   BENCH_ONLY=chat,reference npm run bench      # some scenarios only (health, chat, reference, sse,
 *                                                # streams, history, memory, stores)
 *
 * On a shared machine compare runs taken in the same minute; every loop is bounded in time and
 * count and talks to 127.0.0.1 only.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { redisServerAvailable, startRedis, type TestRedis } from '../tests/helpers/redis-server.js';
import { freePort, REPO_ROOT, spawnServer, waitForHttp } from '../tests/helpers/server-process.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const SESSIONS = 1000;
const MAX_REQUESTS = 1_000_000;
const STREAMS = Number(process.env.BENCH_STREAMS ?? 1000);
const IDLE_SESSIONS = Number(process.env.BENCH_IDLE_SESSIONS ?? 2000);
/** Conversation lengths (user + assistant messages) compared with an empty history. */
const HISTORIES = [50, 150];
const HISTORY_CONNECTIONS = 16;
const CPU_PROF = process.env.BENCH_CPU_PROF;
const STORES = (process.env.BENCH_SESSION_STORES ?? 'memory,sqlite,redis')
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s === 'memory' || s === 'sqlite' || s === 'redis');
/** Stores other than memory exist only where the configuration knows SESSION_STORE. */
const STORES_SUPPORTED = readFileSync(path.join(REPO_ROOT, 'src/config/schema.ts'), 'utf8').includes(
  'SESSION_STORE:',
);
const HEALTH_ROUNDS = 5;
/** Alternating rounds of the chat turn against its bare node:http reference. */
const REFERENCE_ROUNDS = 5;
/** Scenarios to run (comma list; default all): health, chat, reference, sse, streams, history, memory, stores. */
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const wants = (scenario: string) => ONLY === undefined || ONLY.includes(scenario);
const CLOCK_TICK_MS = 10;
const PAGE_BYTES = 4096;

// ---- processes -------------------------------------------------------------------------------

function procStat(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ');
  } catch {
    return undefined;
  }
}

/** CPU milliseconds the process has used so far (utime + stime). */
function cpuMs(pid: number): number {
  const f = procStat(pid);
  return f ? (Number(f[11]) + Number(f[12])) * CLOCK_TICK_MS : Number.NaN;
}

/** Resident set size in bytes. */
function rssBytes(pid: number): number {
  const f = procStat(pid);
  return f ? Number(f[21]) * PAGE_BYTES : Number.NaN;
}

/** A bench entry (TypeScript, run by the same loader as this file) that reports `{ port }`. */
async function startChild(
  file: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(path.join(import.meta.dirname, file), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { child, port: message.port };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

/** A preload for the idle-memory service: a full collection every 200 ms. */
const GC_PRELOAD = 'data:text/javascript,setInterval(()=>globalThis.gc(),200).unref()';

// ---- client ----------------------------------------------------------------------------------

interface Reply {
  status: number;
  body: string;
  /** hrtime (ns) when the first `token` event arrived, for streams. */
  firstTokenAt?: bigint;
}

function send(
  agent: Agent,
  port: number,
  method: string,
  url: string,
  body?: unknown,
  stream = false,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method,
        path: url,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let text = '';
        let firstTokenAt: bigint | undefined;
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
          if (stream && firstTokenAt === undefined && text.includes('"type":"token"'))
            firstTokenAt = process.hrtime.bigint();
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, ...(firstTokenAt ? { firstTokenAt } : {}) }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(60_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The model's `[t:<ns>]` stamp in a stream's first token, and the client's delay after it, in ms. */
function passThroughMs(reply: Reply): number | undefined {
  const m = /\[t:(\d+)\]/.exec(reply.body);
  if (!m || reply.firstTokenAt === undefined) return undefined;
  return Number(reply.firstTokenAt - BigInt(m[1]!)) / 1e6;
}

/** V8's used heap from the service's Prometheus metrics (METRICS_ENABLED is on by default). */
async function heapUsed(port: number): Promise<number> {
  const r = await send(new Agent(), port, 'GET', '/metrics');
  const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(r.body);
  return m ? Number(m[1]) : Number.NaN;
}

// ---- scenarios -------------------------------------------------------------------------------

interface Run {
  count: number;
  errors: number;
  perSecond: number;
  p50: number;
  p99: number;
  cpuPerOp: number;
  samples: number[];
}

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * `connections` clients in closed loops for SECONDS (or `limit` operations). `op` returns whether it
 * succeeded and optionally a sample (e.g. a pass-through delay). CPU is the `cpuPid` process's.
 */
async function closedLoop(
  connections: number,
  cpuPid: number,
  op: (i: number, agent: Agent, worker: number) => Promise<{ ok: boolean; sample?: number }>,
  limit = MAX_REQUESTS,
  seconds = SECONDS,
): Promise<Run> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const samples: number[] = [];
  let errors = 0;
  let issued = 0;
  const cpu0 = cpuMs(cpuPid);
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async (_, worker) => {
      while (performance.now() < deadline && issued < limit) {
        const i = issued++;
        const t0 = performance.now();
        try {
          const r = await op(i, agent, worker);
          if (!r.ok) errors++;
          if (r.sample !== undefined) samples.push(r.sample);
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuMs(cpuPid) - cpu0;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  samples.sort((a, b) => a - b);
  return {
    count: latencies.length,
    errors,
    perSecond: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPerOp: cpu / Math.max(1, latencies.length),
    samples,
  };
}

const QUESTION = 'Where is order 42?';

function chatBody(session: number, message = QUESTION) {
  // MAX_SESSIONS_PER_TENANT defaults to 1,000: sessions are spread over tenants of 500.
  return { session_id: `s-${session}`, tenant_id: `bench-${Math.floor(session / 500)}`, message };
}

function jsonTurn(port: number, session: (i: number, worker: number) => number) {
  return async (i: number, agent: Agent, worker: number) => {
    const r = await send(agent, port, 'POST', '/api/v1/chat', chatBody(session(i, worker)));
    return { ok: r.status === 200 };
  };
}

function streamTurn(port: number, session: (i: number) => number) {
  return async (i: number, agent: Agent) => {
    const r = await send(agent, port, 'POST', '/api/v1/chat/stream', chatBody(session(i)), true);
    const sample = passThroughMs(r);
    return {
      ok: r.status === 200 && r.body.includes('"type":"done"'),
      ...(sample === undefined ? {} : { sample }),
    };
  };
}

// ---- main ------------------------------------------------------------------------------------

interface Row {
  figure: string;
  value: string;
  reference?: string;
  note?: string;
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');

async function main(): Promise<void> {
  const fake = await startChild('fake-llm.ts');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  let redis: TestRedis | undefined;
  const services: Array<{ stop: () => Promise<unknown> }> = [];
  const children: ChildProcess[] = [fake.child];

  const startService = async (
    store = 'memory',
    nodeArgs: string[] = [],
    env: Record<string, string> = {},
  ) => {
    const proc = spawnServer(
      {
        SERVER_HOST: '127.0.0.1',
        SERVER_PORT: String(await freePort()),
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: `http://127.0.0.1:${fake.port}/v1`,
        OPENAI_API_KEY: 'bench-key',
        LLM_MAX_RETRIES: '0',
        MAX_SESSIONS: '1000000',
        MCP_SERVER_URL: '',
        LOG_LEVEL: 'warn',
        LOG_TO_FILE: 'false',
        ORDER_DB_PATH: path.join(dir, `orders-${store}.db`),
        EMAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
        SESSION_STORE: store,
        SESSION_DB_PATH: path.join(dir, `sessions-${store}.db`),
        ...(redis ? { REDIS_URL: redis.url } : {}),
        ...env,
      },
      'src/server.ts',
      nodeArgs,
    );
    services.push(proc);
    await waitForHttp(`${proc.baseUrl}/health`, proc);
    return { proc, port: Number(new URL(proc.baseUrl).port), pid: proc.child.pid! };
  };

  const rows: Row[] = [];
  const progress = (row: Row) => {
    rows.push(row);
    process.stderr.write(`  ${row.figure}: ${row.value} ${row.reference ?? ''} ${row.note ?? ''}\n`);
  };
  try {
    if (CPU_PROF) {
      mkdirSync(CPU_PROF, { recursive: true });
      const svc = await startService('memory', ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`]);
      const run = await closedLoop(
        50,
        svc.pid,
        jsonTurn(svc.port, (i) => i % SESSIONS),
      );
      progress({
        figure: 'chat turns/s, 50 connections (profiled)',
        value: f0(run.perSecond),
        note: `${f2(run.cpuPerOp)} CPU ms/turn, errors ${run.errors}`,
      });
      await svc.proc.stop('SIGTERM');
      console.log(`profile written to ${CPU_PROF} (summarise: npx tsx bench/profile-top.ts ${CPU_PROF})`);
      return;
    }

    const svc = await startService();

    // Warm-up (not measured): JIT and lazy initialisation of a turn.
    await closedLoop(
      16,
      svc.pid,
      jsonTurn(svc.port, (i) => i % SESSIONS),
      300,
      2,
    );

    if (wants('health')) {
      const bare = await startChild('bare-fastify.ts');
      children.push(bare.child);

      // /health against bare Fastify, 16 connections each, back to back.
      const health = (port: number) => async (_i: number, agent: Agent) => {
        const r = await send(agent, port, 'GET', '/health');
        return { ok: r.status === 200 };
      };
      // Warm-up (not measured): JIT and lazy initialisation of both servers and of a turn.
      await closedLoop(16, svc.pid, health(svc.port), 3000, 2);
      await closedLoop(16, bare.child.pid!, health(bare.port), 3000, 2);
      // Alternating short rounds, so that the machine's load changes both sides alike; medians.
      const ours: number[] = [];
      const theirs: number[] = [];
      let healthErrors = 0;
      for (let round = 0; round < HEALTH_ROUNDS; round++) {
        const a = await closedLoop(16, svc.pid, health(svc.port), MAX_REQUESTS, SECONDS / HEALTH_ROUNDS);
        const b = await closedLoop(
          16,
          bare.child.pid!,
          health(bare.port),
          MAX_REQUESTS,
          SECONDS / HEALTH_ROUNDS,
        );
        ours.push(a.perSecond);
        theirs.push(b.perSecond);
        healthErrors += a.errors + b.errors;
      }
      await stopChild(bare.child);
      const ratios = ours.map((o, k) => o / theirs[k]!);
      progress({
        figure: 'GET /health req/s (16 conns)',
        value: f0(median(ours)),
        reference: `bare Fastify ${f0(median(theirs))}`,
        note: `ratio ${f2(median(ratios))} (median of ${HEALTH_ROUNDS} alternating rounds), errors ${healthErrors}`,
      });
    }

    // JSON turns over 1,000 sessions.
    for (const connections of wants('chat') ? [1, 16, 50] : []) {
      const run = await closedLoop(
        connections,
        svc.pid,
        jsonTurn(svc.port, (i) => i % SESSIONS),
      );
      progress({
        figure: `chat turns/s, ${connections} conn${connections > 1 ? 's' : ''}`,
        value: f0(run.perSecond),
        note: `${f2(run.cpuPerOp)} CPU ms/turn, p50 ${f1(run.p50)} ms, p99 ${f1(run.p99)} ms, errors ${run.errors}`,
      });
    }

    // The same turn on bare node:http + fetch (no framework, SDK, validation or store), 16
    // connections each, alternating short rounds as for /health; CPU is each server's own.
    if (wants('reference')) {
      // The service's own system prompt and tools, as the fake saw them, so both send the same requests.
      const shape = await send(new Agent(), fake.port, 'GET', '/first-request');
      const ref = await startChild('bare-node-turn.ts', {
        BENCH_MODEL_URL: `http://127.0.0.1:${fake.port}/v1`,
        ...(shape.status === 200 ? { BENCH_REFERENCE_REQUEST: shape.body } : {}),
      });
      children.push(ref.child);
      const refTurn = async (i: number, agent: Agent) => {
        const r = await send(agent, ref.port, 'POST', '/', chatBody(i % SESSIONS));
        return { ok: r.status === 200 && r.body.includes('arrives tomorrow') };
      };
      await closedLoop(16, ref.child.pid!, refTurn, 300, 2);
      // Two ways to run the service's side: a new session every turn, so that it sends the model
      // exactly what the reference sends (system prompt, tools, the question); and the 1,000
      // sessions of the other rows, whose histories (up to HISTORY_MAX_MESSAGES) go with every call
      // and which the reference, having no store, never sends.
      let freshSession = 1_000_000;
      const sides = {
        fresh: [] as Run[],
        history: [] as Run[],
        bare: [] as Run[],
      };
      for (let round = 0; round < REFERENCE_ROUNDS; round++) {
        const window = SECONDS / 2;
        sides.fresh.push(
          await closedLoop(
            16,
            svc.pid,
            jsonTurn(svc.port, () => freshSession++),
            MAX_REQUESTS,
            window,
          ),
        );
        sides.bare.push(await closedLoop(16, ref.child.pid!, refTurn, MAX_REQUESTS, window));
        sides.history.push(
          await closedLoop(
            16,
            svc.pid,
            jsonTurn(svc.port, (i) => i % SESSIONS),
            MAX_REQUESTS,
            window,
          ),
        );
      }
      await stopChild(ref.child);
      const cpu = (runs: Run[]) => median(runs.map((r) => r.cpuPerOp));
      const bareRate = f0(median(sides.bare.map((r) => r.perSecond)));
      for (const [side, label] of [
        [sides.fresh, 'same model requests'],
        [sides.history, `${SESSIONS} sessions, history sent`],
      ] as const) {
        const ratios = side.map((o, k) => o.perSecond / sides.bare[k]!.perSecond);
        const errors = [...side, ...sides.bare].reduce((sum, r) => sum + r.errors, 0);
        progress({
          figure: `chat turns/s vs bare node:http (16 conns, ${label})`,
          value: f0(median(side.map((r) => r.perSecond))),
          reference: `bare node:http + fetch ${bareRate}`,
          note: `ratio ${f2(median(ratios))} (median of ${REFERENCE_ROUNDS} alternating rounds); CPU ms/turn ${f2(cpu(side))} vs ${f2(cpu(sides.bare))}, errors ${errors}`,
        });
      }
    }

    // SSE pass-through: the client's clock at the first token minus the model's stamp.
    for (const connections of wants('sse') ? [1, 16] : []) {
      const run = await closedLoop(
        connections,
        svc.pid,
        streamTurn(svc.port, (i) => i % SESSIONS),
      );
      progress({
        figure: `SSE pass-through ms, ${connections} conn${connections > 1 ? 's' : ''}`,
        value: `p50 ${f2(percentile(run.samples, 50))}`,
        note: `p99 ${f2(percentile(run.samples, 99))}; ${f0(run.perSecond)} turns/s, ${f2(run.cpuPerOp)} CPU ms/turn, errors ${run.errors}`,
      });
    }

    // 1,000 streams held open at once: every stream gets its first token, then the model finishes them.
    if (wants('streams')) {
      const agent = new Agent({ keepAlive: false, maxSockets: STREAMS });
      const rss0 = rssBytes(svc.pid);
      let opened = 0;
      let peakRss = rss0;
      const all = Array.from({ length: STREAMS }, (_, i) =>
        send(
          agent,
          svc.port,
          'POST',
          '/api/v1/chat/stream',
          {
            session_id: `held-${i}`,
            tenant_id: `held-${Math.floor(i / 500)}`,
            message: `${QUESTION} [hold]`,
          },
          true,
        ).then(
          (r) => r.status === 200 && r.body.includes('"type":"done"'),
          () => false,
        ),
      );
      // The fake holds each stream after its first chunk; poll until all are held (bounded).
      const deadline = Date.now() + 60_000;
      const releaseAgent = new Agent({ keepAlive: false });
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        peakRss = Math.max(peakRss, rssBytes(svc.pid));
        const probe = await send(releaseAgent, fake.port, 'GET', '/held');
        opened = Number(probe.body) || 0;
        if (opened >= STREAMS) break;
      }
      peakRss = Math.max(peakRss, rssBytes(svc.pid));
      await send(releaseAgent, fake.port, 'POST', '/release');
      const done = await Promise.all(all);
      agent.destroy();
      const errors = done.filter((ok) => !ok).length;
      progress({
        figure: `${STREAMS} concurrent SSE streams`,
        value: `errors ${errors}`,
        note: `${opened} open at once; service RSS ${f0(peakRss / 2 ** 20)} MB (+${f0((peakRss - rss0) / 2 ** 20)} MB)`,
      });
    }

    // Turn cost with empty histories vs 50- and 150-message ones (HISTORY_MAX_MESSAGES is 50), one
    // long session per connection.
    if (wants('history')) {
      const fresh = await closedLoop(
        HISTORY_CONNECTIONS,
        svc.pid,
        jsonTurn(svc.port, (i) => 100_000 + i),
      );
      progress({
        figure: 'turn CPU ms, empty history',
        value: f2(fresh.cpuPerOp),
        note: `${f0(fresh.perSecond)} turns/s, ${HISTORY_CONNECTIONS} conns, new session every turn, errors ${fresh.errors}`,
      });
      const fill = new Agent({ keepAlive: true, maxSockets: HISTORY_CONNECTIONS });
      const counts = Array.from({ length: HISTORY_CONNECTIONS }, () => 0);
      for (const target of HISTORIES) {
        // Bounded: at most `target` turns per session to reach `target` messages.
        await Promise.all(
          counts.map(async (_, s) => {
            for (let turn = 0; turn < target && counts[s]! < target; turn++) {
              const r = await send(fill, svc.port, 'POST', '/api/v1/chat', chatBody(200_000 + s));
              counts[s] = (JSON.parse(r.body) as { message_count?: number }).message_count ?? target;
            }
          }),
        );
        const long = await closedLoop(
          HISTORY_CONNECTIONS,
          svc.pid,
          jsonTurn(svc.port, (_i, worker) => 200_000 + worker),
        );
        progress({
          figure: `turn CPU ms, ${target}-message history`,
          value: f2(long.cpuPerOp),
          note: `${f0(long.perSecond)} turns/s, ratio ${f2(long.cpuPerOp / fresh.cpuPerOp)} to empty (histories ≥ ${Math.min(...counts)} messages), errors ${long.errors}`,
        });
      }
      fill.destroy();
    }
    await svc.proc.stop('SIGTERM');

    // Memory per idle session: a fresh service, N sessions of one JSON turn each, heap delta minus the
    // messages' bytes. "Idle" means what the memory store means by it: no read or write of the session
    // for SESSION_PACK_IDLE_SECONDS (60 s by default, 2 s here so the scenario stays short), after which
    // its sweep (every max(1 s, a quarter of that)) has packed the session's messages. Both figures are
    // read only after that window and one more sweep have passed, so every session is packed. The
    // finished turns are still in the replay store (TURN_REPLAY_TTL_SECONDS, 600 s), as they are for
    // ten minutes after a turn: counted here. The warm-up is as long as the measured run, so that code
    // V8 compiles and optimizes on first use is not counted as session memory.
    if (wants('memory')) {
      const packIdleSeconds = 2;
      const packed = () => new Promise((r) => setTimeout(r, (packIdleSeconds + 1) * 1000 + 1500));
      // Collected every 200 ms (bench only), so the heap figure counts live memory, not garbage.
      const idle = await startService('memory', ['--expose-gc', `--import=${GC_PRELOAD}`], {
        SESSION_PACK_IDLE_SECONDS: String(packIdleSeconds),
      });
      const warm = await closedLoop(
        16,
        idle.pid,
        jsonTurn(idle.port, (i) => 300_000 + i),
        IDLE_SESSIONS,
        120,
      );
      await packed();
      const rss0 = rssBytes(idle.pid);
      const heap0 = await heapUsed(idle.port);
      const run = await closedLoop(
        16,
        idle.pid,
        jsonTurn(idle.port, (i) => i),
        IDLE_SESSIONS,
        120,
      );
      await packed();
      const rss1 = rssBytes(idle.pid);
      const heap1 = await heapUsed(idle.port);
      const probe = await send(
        new Agent(),
        idle.port,
        'GET',
        '/api/v1/sessions/s-0/history?tenant_id=bench-0',
      );
      const history = (JSON.parse(probe.body) as { messages?: Array<{ content?: string }> }).messages ?? [];
      const messageBytes = history.reduce((sum, m) => sum + Buffer.byteLength(m.content ?? ''), 0);
      const sessions = Math.max(1, run.count - run.errors);
      const perSession = (rss1 - rss0) / sessions;
      const heapPerSession = (heap1 - heap0) / sessions;
      progress({
        figure: 'memory per idle session',
        value: `${f2((heapPerSession - messageBytes) / 1024)} KB heap`,
        note: `beyond its ${messageBytes} B of messages; RSS delta ${f2(perSession / 1024)} KB each; ${run.count} sessions, errors ${run.errors + warm.errors}`,
      });
      await idle.proc.stop('SIGTERM');
    }

    // The JSON chat per session store (16 connections), each in a fresh service.
    for (const store of STORES.filter((s) => wants('stores') && (s !== 'memory' || STORES.length > 1))) {
      if (store !== 'memory' && !STORES_SUPPORTED) {
        console.log(`SESSION_STORE is not configurable in this build: the ${store} store is skipped`);
        continue;
      }
      if (store === 'redis') {
        if (!redisServerAvailable()) {
          console.log('redis-server not installed: the redis store is skipped');
          continue;
        }
        redis = await startRedis();
      }
      const s = await startService(store);
      const redisPid = store === 'redis' ? redis?.pid : undefined;
      const redis0 = redisPid === undefined ? 0 : cpuMs(redisPid);
      const run = await closedLoop(
        16,
        s.pid,
        jsonTurn(s.port, (i) => i % SESSIONS),
      );
      const redisPerTurn = redisPid === undefined ? 0 : (cpuMs(redisPid) - redis0) / Math.max(1, run.count);
      progress({
        figure: `chat turns/s [${store} store], 16 conns`,
        value: f0(run.perSecond),
        note: `${f2(run.cpuPerOp + redisPerTurn)} CPU ms/turn (service${redisPid === undefined ? '' : ' + Redis'}), errors ${run.errors}`,
      });
      await s.proc.stop('SIGTERM');
    }
  } finally {
    for (const s of services) await s.stop();
    for (const c of children) await stopChild(c);
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const width = (key: keyof Row) => Math.max(key.length, ...rows.map((r) => (r[key] ?? '').length));
  const cols: Array<keyof Row> = ['figure', 'value', 'reference', 'note'];
  const widths = cols.map(width);
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(
    `\n${SECONDS} s per timed scenario, ${SESSIONS} sessions, Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}\n`,
  );
  console.log(line(cols));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => r[c] ?? '')));
}

if (!existsSync('/proc/self/stat')) console.log('no /proc: CPU and RSS figures are not available');
await main();
