import { StringDecoder } from 'node:string_decoder';
import { APIError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { MalformedReplyError } from './model-errors.js';

/** Longest event a provider may send before the reply counts as malformed (a real chunk is < 1 KB). */
export const MAX_EVENT_CHARS = 4 * 1024 * 1024;

type Body = AsyncIterable<Uint8Array | string>;

const tooLong = () => new MalformedReplyError(`an event of more than ${MAX_EVENT_CHARS} characters`);

/**
 * The chunks of a streamed Chat Completions reply, read from the raw server-sent events of `body`.
 * It keeps the SDK's meaning of the stream: `data: [DONE]` ends the reply (what follows is read, so
 * that the connection can be reused, and ignored); an event whose data carries `error`, or an event
 * named `error`, throws the SDK's `APIError`; data that is not JSON throws a SyntaxError. Lines may
 * end in LF, CRLF or CR; comments and the `id` and `retry` fields are ignored.
 *
 * One string buffer per reply and one JSON.parse per event: no byte arrays copied per chunk, no
 * line objects. `headers` go into an `APIError`, as the SDK's own stream does.
 */
export async function* chatCompletionChunks(
  body: Body,
  headers: Headers,
): AsyncGenerator<ChatCompletionChunk, void, undefined> {
  const decoder = new StringDecoder('utf8');
  let buffered = '';
  let data: string[] = [];
  let dataChars = 0;
  let event: string | undefined;
  let done = false;

  function dispatch(): ChatCompletionChunk | undefined {
    const payload = data.length === 1 ? (data[0] as string) : data.join('\n');
    const name = event;
    data = [];
    dataChars = 0;
    event = undefined;
    if (done || payload === '') return undefined;
    if (payload.startsWith('[DONE]')) {
      done = true;
      return undefined;
    }
    const parsed = JSON.parse(payload) as ChatCompletionChunk & { error?: unknown; message?: string };
    if (parsed.error || name === 'error') {
      throw new APIError(
        undefined,
        parsed.error ?? parsed,
        parsed.error ? undefined : parsed.message,
        headers,
      );
    }
    return parsed;
  }

  /** Handles one line (without its end); returns a chunk when the line ends an event. */
  function line(text: string): ChatCompletionChunk | undefined {
    if (text === '') return data.length > 0 || event !== undefined ? dispatch() : undefined;
    const colon = text.indexOf(':');
    if (colon === 0) return undefined;
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') {
      dataChars += value.length;
      if (dataChars > MAX_EVENT_CHARS) throw tooLong();
      data.push(value);
    } else if (field === 'event') event = value;
    return undefined;
  }

  // Everything in `buffered` before `scanned` is known to hold no line end: each character is looked
  // at once, however the events are cut into reads.
  let scanned = 0;
  // Reads with no line end in them, joined once one comes: appending each to `buffered` would copy
  // all of a long event again on every read.
  let held: string[] = [];
  let heldChars = 0;
  for await (const raw of body) {
    const part = typeof raw === 'string' ? raw : decoder.write(raw);
    if (!buffered.endsWith('\r') && part.indexOf('\n') < 0 && part.indexOf('\r') < 0) {
      held.push(part);
      heldChars += part.length;
      if (buffered.length + heldChars > MAX_EVENT_CHARS) throw tooLong();
      continue;
    }
    if (held.length > 0) {
      buffered += held.join('');
      held = [];
      heldChars = 0;
    }
    buffered += part;
    let start = 0;
    let lf = buffered.indexOf('\n', scanned);
    let cr = buffered.indexOf('\r', scanned);
    for (;;) {
      let end = lf;
      if (cr >= 0 && (lf < 0 || cr < lf)) {
        // A CR at the very end may be the first half of a CRLF still on its way.
        if (cr === buffered.length - 1) break;
        end = cr;
      }
      if (end < 0) break;
      const chunk = line(buffered.slice(start, end));
      start = end + (end === cr && buffered.charCodeAt(end + 1) === 10 ? 2 : 1);
      if (lf >= 0 && lf < start) lf = buffered.indexOf('\n', start);
      if (cr >= 0 && cr < start) cr = buffered.indexOf('\r', start);
      if (chunk) yield chunk;
    }
    buffered = start === 0 ? buffered : buffered.slice(start);
    scanned = buffered.endsWith('\r') ? buffered.length - 1 : buffered.length;
    if (buffered.length > MAX_EVENT_CHARS) throw tooLong();
  }
  buffered += held.join('') + decoder.end();
  if (buffered.endsWith('\r')) buffered = buffered.slice(0, -1);
  if (buffered !== '') {
    const chunk = line(buffered);
    if (chunk) yield chunk;
  }
  if (data.length > 0) {
    const chunk = dispatch();
    if (chunk) yield chunk;
  }
}
