import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';
import { type ChatModel, ModelError, type ModelEvent, type ModelRequest } from '../../src/agent/types.js';

export const silentLogger: Logger = pino({ level: 'silent' });

/** A pino logger whose JSON lines land in memory, to check what reaches the logs at a given level. */
export function captureLogger(level: pino.LevelWithSilent): { logger: Logger; text(): string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: pino({ level }, sink), text: () => lines.join('') };
}

export function userRequest(text: string, overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    messages: [
      { role: 'system', content: 'You are a customer-service agent.' },
      { role: 'user', content: text },
    ],
    tools: [],
    signal: new AbortController().signal,
    ...overrides,
  };
}

export interface StepOutcome {
  events: ModelEvent[];
  error?: ModelError;
}

/** Runs one model step to its end, keeping every event and the ModelError it failed with, if any. */
export async function runStep(model: ChatModel, request: ModelRequest): Promise<StepOutcome> {
  const events: ModelEvent[] = [];
  try {
    for await (const event of model.stream(request)) events.push(event);
  } catch (err) {
    if (err instanceof ModelError) return { events, error: err };
    throw err;
  }
  return { events };
}

export function textOf(events: readonly ModelEvent[]): string {
  return events.map((e) => (e.type === 'text' ? e.delta : '')).join('');
}

/** A loopback port with nothing listening, for "endpoint unreachable". */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
