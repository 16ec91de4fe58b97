/**
 * The benchmark's OpenAI-compatible model, in its own process so that it never shares the service's
 * event loop. Zero latency and stateless: a request whose last message is not a tool result gets one
 * streamed `get_order` call; one that answers a tool call gets a short streamed text. So a turn is
 * one tool call and two streamed model calls.
 *
 * The first text chunk carries `[t:<ns>]`, the process.hrtime (CLOCK_MONOTONIC, shared by every
 * process of the machine) at which it was written, so that the client can compute the service's
 * pass-through delay: its own clock when the token arrives minus this stamp.
 *
 * A user message containing `[hold]` has its text reply held after that first chunk until
 * POST /release, so that a thousand streams can be held open at once.
 *
 * GET /first-request answers the system prompt and the tools of the first request that had tools, so
 * that the bare reference (bench/bare-node-turn.ts) can send the service's own request.
 *
 * Started by bench/run.ts with fork(); it sends `{ port }` once listening and exits when its parent
 * goes away. Listens on 127.0.0.1 only.
 */
import { createServer, type ServerResponse } from 'node:http';
import { readBody, serveForParent } from './child-server.js';

const ANSWER = ['Your order', ' 42 shipped', ' yesterday and', ' arrives tomorrow.'];
const held = new Set<ServerResponse>();

function chunk(id: string, delta: Record<string, unknown>, finish: string | null): string {
  return `data: ${JSON.stringify({
    id,
    object: 'chat.completion.chunk',
    created: 1,
    model: 'bench',
    choices: [{ index: 0, delta, finish_reason: finish }],
  })}\n\n`;
}

function usage(id: string): string {
  return `data: ${JSON.stringify({
    id,
    object: 'chat.completion.chunk',
    created: 1,
    model: 'bench',
    choices: [],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  })}\n\n`;
}

interface Body {
  messages?: Array<{ role?: string; content?: unknown }>;
  tools?: unknown[];
}

/** The system prompt and tools of the first request that had tools. */
let firstRequest: { system: unknown; tools: unknown[] } | undefined;

let calls = 0;

function answer(body: Body, res: ServerResponse): void {
  const messages = body.messages ?? [];
  if (!firstRequest && body.tools && body.tools.length > 0) {
    firstRequest = { system: messages.find((m) => m.role === 'system')?.content ?? '', tools: body.tools };
  }
  const last = messages[messages.length - 1];
  const id = `chatcmpl-${++calls}`;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  if (last?.role !== 'tool') {
    res.write(chunk(id, { role: 'assistant', content: null }, null));
    res.write(
      chunk(
        id,
        {
          tool_calls: [
            {
              index: 0,
              id: `call_${calls}`,
              type: 'function',
              function: { name: 'get_order', arguments: '{"order_id": 42}' },
            },
          ],
        },
        null,
      ),
    );
    res.write(chunk(id, {}, 'tool_calls'));
    res.end(`${usage(id)}data: [DONE]\n\n`);
    return;
  }
  const user = [...messages].reverse().find((m) => m.role === 'user');
  const hold = typeof user?.content === 'string' && user.content.includes('[hold]');
  res.write(chunk(id, { role: 'assistant', content: `[t:${process.hrtime.bigint()}]` }, null));
  const rest = () => {
    if (res.destroyed) return;
    for (const piece of ANSWER) res.write(chunk(id, { content: piece }, null));
    res.write(chunk(id, {}, 'stop'));
    res.end(`${usage(id)}data: [DONE]\n\n`);
  };
  if (!hold) {
    rest();
    return;
  }
  held.add(res);
  const release = () => {
    held.delete(res);
    rest();
  };
  res.once('bench-release', release);
  res.once('close', () => held.delete(res));
}

const server = createServer(async (req, res) => {
  try {
    const text = await readBody(req);
    if (req.method === 'GET' && req.url === '/held') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(String(held.size));
      return;
    }
    if (req.method === 'GET' && req.url === '/first-request') {
      res.writeHead(firstRequest ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(firstRequest ?? {}));
      return;
    }
    if (req.method === 'POST' && req.url === '/release') {
      const count = held.size;
      for (const r of [...held]) r.emit('bench-release');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ released: count }));
      return;
    }
    if (req.method === 'POST' && req.url?.startsWith('/v1/chat/completions')) {
      answer(JSON.parse(text) as Body, res);
      return;
    }
    res.writeHead(404).end();
  } catch (err) {
    res.writeHead(500, { 'x-should-retry': 'false' }).end(String(err));
  }
});
serveForParent(server);
