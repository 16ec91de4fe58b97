import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface CuttingProxy {
  url: string;
  /** Streams cut so far. */
  cuts(): number;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy in front of a server that drops the connection of the first `cutCount`
 * streamed chat requests once `afterEvents` SSE events went through — a phone losing its signal
 * mid-answer. Everything else passes untouched.
 */
export async function startCuttingProxy(
  target: { host: string; port: number },
  options: { afterEvents: number; cutCount?: number },
): Promise<CuttingProxy> {
  let cuts = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client);
    sockets.add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    let isStream = false;
    let events = 0;
    client.on('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').startsWith('POST /api/v1/chat/stream')) {
        isStream = cuts < (options.cutCount ?? 1);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!isStream) {
        client.write(chunk);
        return;
      }
      // Forward event by event, and cut right after the last allowed one.
      const text = chunk.toString('utf8');
      let start = 0;
      let at = text.indexOf('\n\n');
      while (at >= 0) {
        if (text.slice(start, at).includes('data: ')) events += 1;
        if (events >= options.afterEvents) {
          client.write(text.slice(0, at + 2));
          cuts += 1;
          isStream = false;
          client.destroy();
          upstream.destroy();
          return;
        }
        start = at + 2;
        at = text.indexOf('\n\n', start);
      }
      client.write(chunk);
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    cuts: () => cuts,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
