/** One SSE event as a client sees it: its `id:` line and its JSON `data:` line. */
export interface ReceivedEvent {
  id: string | undefined;
  data: { type: string; [key: string]: unknown };
}

/** The events of an SSE response as they arrive; the reader is released when the loop stops. */
export async function* eventsOf(response: Response): AsyncGenerator<ReceivedEvent> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (chunk.done) return;
      buffer += decoder.decode(chunk.value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        let id: string | undefined;
        let data: string | undefined;
        for (const line of block.split('\n')) {
          if (line.startsWith('id: ')) id = line.slice(4);
          else if (line.startsWith('data: ')) data = line.slice(6);
        }
        if (data === undefined) continue;
        yield { id, data: JSON.parse(data) as ReceivedEvent['data'] };
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/**
 * Reads an SSE response event by event. `stopAfter` ends the read (and, with `abort`, the connection)
 * once that many events arrived — a client whose network dropped mid-answer.
 */
export async function readEvents(
  response: Response,
  options: { stopAfter?: number; abort?: AbortController } = {},
): Promise<ReceivedEvent[]> {
  const events: ReceivedEvent[] = [];
  for await (const event of eventsOf(response)) {
    events.push(event);
    if (options.stopAfter !== undefined && events.length >= options.stopAfter) {
      options.abort?.abort();
      break;
    }
  }
  return events;
}

/**
 * A stream read in two steps: `first(n)` waits for its first n events (the turn is under way), `rest()`
 * reads on to the end and returns every event, those of `first` included.
 */
export function openEvents(response: Response) {
  const iterator = eventsOf(response);
  const events: ReceivedEvent[] = [];
  return {
    async first(count = 1): Promise<ReceivedEvent[]> {
      while (events.length < count) {
        const next = await iterator.next();
        if (next.done) break;
        events.push(next.value);
      }
      return [...events];
    },
    async rest(): Promise<ReceivedEvent[]> {
      for (;;) {
        const next = await iterator.next();
        if (next.done) return [...events];
        events.push(next.value);
      }
    },
  };
}

/** The answer the token events add up to. */
export const answerOf = (events: ReceivedEvent[]) =>
  events
    .filter((e) => e.data.type === 'token')
    .map((e) => String(e.data.content))
    .join('');
