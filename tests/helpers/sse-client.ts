/** One SSE event as a client sees it: its `id:` line and its JSON `data:` line. */
export interface ReceivedEvent {
  id: string | undefined;
  data: { type: string; [key: string]: unknown };
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
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const chunk = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (chunk.done) break;
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
      events.push({ id, data: JSON.parse(data) as ReceivedEvent['data'] });
      if (options.stopAfter !== undefined && events.length >= options.stopAfter) {
        options.abort?.abort();
        await reader.cancel().catch(() => undefined);
        return events;
      }
    }
  }
  return events;
}

/** The answer the token events add up to. */
export const answerOf = (events: ReceivedEvent[]) =>
  events
    .filter((e) => e.data.type === 'token')
    .map((e) => String(e.data.content))
    .join('');
