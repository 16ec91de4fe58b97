import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

interface SseMessage {
  data: string;
  id?: string;
  event?: string;
}

/** The page's own module, loaded as the browser loads it (plain JavaScript, no build step). */
const { readSse } = (await import(
  pathToFileURL(path.resolve(import.meta.dirname, '../../src/web/api.js')).href
)) as { readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> };

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[]): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  for await (const message of readSse(streamOf(chunks))) out.push(message);
  return out;
}

describe('the page’s SSE reader', () => {
  it('reads data lines split anywhere across chunks, skipping ping comments', async () => {
    const body = ': ping\n\ndata: {"type":"token","content":"Hel"}\n\ndata: {"type":"done"}\n\n';
    for (let size = 1; size <= body.length; size += 1) {
      const chunks: string[] = [];
      for (let i = 0; i < body.length; i += size) chunks.push(body.slice(i, i + size));
      expect(await collect(chunks), `chunks of ${size}`).toEqual([
        { data: '{"type":"token","content":"Hel"}', id: undefined, event: undefined },
        { data: '{"type":"done"}', id: undefined, event: undefined },
      ]);
    }
  });

  it('keeps the last id: line (turn_id:seq) for resuming, and handles CRLF and a CR split from its LF', async () => {
    const messages = await collect([
      'id: turn-1:1\r',
      '\ndata: {"type":"token"}\r\n\r\n',
      'id: turn-1:2\rdata: {"type":"done"}\r\r',
    ]);
    expect(messages).toEqual([
      { data: '{"type":"token"}', id: 'turn-1:1', event: undefined },
      { data: '{"type":"done"}', id: 'turn-1:2', event: undefined },
    ]);
  });

  it('joins multi-line data and drops an unterminated last event', async () => {
    expect(await collect(['event: note\ndata: a\ndata: b\n\n', 'data: cut off'])).toEqual([
      { data: 'a\nb', id: undefined, event: 'note' },
    ]);
  });
});
