/**
 * The chat-turn reference: the same turn as the service's POST /api/v1/chat with nothing around it —
 * bare node:http and the global fetch, no framework, SDK, validation or store. On POST it reads the
 * JSON body, calls the model (bench/fake-llm.ts, whose URL it gets from BENCH_MODEL_URL) with
 * streaming, runs the one tool call that the fake asks for with a fixed result, calls the model
 * again with that result, and answers JSON with the streamed text. Started by bench/run.ts with
 * fork(); it sends `{ port }` once listening and exits when its parent goes away.
 */
import { createServer } from 'node:http';
import { readBody, serveForParent } from './child-server.js';

const MODEL_URL = `${process.env.BENCH_MODEL_URL ?? 'http://127.0.0.1:1/v1'}/chat/completions`;
/**
 * The service's own system prompt and tool definitions (BENCH_REFERENCE_REQUEST, from the fake's
 * GET /first-request), so that both send the same model requests; one small tool without it. The
 * tools are written to JSON once, as any lean implementation would.
 */
const SHAPE = JSON.parse(process.env.BENCH_REFERENCE_REQUEST ?? '{}') as {
  system?: string;
  tools?: unknown[];
};
const SYSTEM = SHAPE.system ?? 'You are a customer-service agent.';
const TOOLS_JSON = JSON.stringify(
  SHAPE.tools ?? [
    {
      type: 'function',
      function: {
        name: 'get_order',
        description: 'Looks up an order by its id',
        parameters: { type: 'object', properties: { order_id: { type: 'integer' } }, required: ['order_id'] },
      },
    },
  ],
);

interface Delta {
  content?: string | null;
  tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }>;
}

/** One streamed model call: the text and tool calls it produced. */
async function complete(messages: unknown[]) {
  const res = await fetch(MODEL_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key' },
    body: `{"model":"bench","messages":${JSON.stringify(messages)},"stream":true,"stream_options":{"include_usage":true},"tools":${TOOLS_JSON}}`,
  });
  if (!res.ok || !res.body) throw new Error(`model answered ${res.status}`);
  let text = '';
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  let buffered = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk, { stream: true });
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      end = buffered.indexOf('\n\n');
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      const event = JSON.parse(line.slice(6)) as { choices: Array<{ delta?: Delta }> };
      const delta = event.choices[0]?.delta;
      if (delta?.content) text += delta.content;
      for (const call of delta?.tool_calls ?? []) {
        const slot = calls[call.index] ?? { id: '', name: '', arguments: '' };
        calls[call.index] = slot;
        if (call.id) slot.id = call.id;
        if (call.function?.name) slot.name = call.function.name;
        if (call.function?.arguments) slot.arguments += call.function.arguments;
      }
    }
  }
  return { text, calls };
}

const server = createServer(async (req, res) => {
  try {
    const body = JSON.parse(await readBody(req)) as { session_id: string; message: string };
    const messages: unknown[] = [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: body.message },
    ];
    const first = await complete(messages);
    messages.push({
      role: 'assistant',
      content: first.text || null,
      tool_calls: first.calls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      })),
    });
    for (const call of first.calls) {
      messages.push({ role: 'tool', tool_call_id: call.id, content: '{"order_id":42,"status":"shipped"}' });
    }
    const second = await complete(messages);
    const payload = JSON.stringify({
      session_id: body.session_id,
      message: first.text + second.text,
      tool_calls: first.calls.map((c) => ({ id: c.id, name: c.name })),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(payload);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
  }
});
serveForParent(server);
