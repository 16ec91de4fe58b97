/**
 * What the bench's node:http children (bench/fake-llm.ts, bench/bare-node-turn.ts) share: reading a
 * request body, and serving on a loopback port that they report to bench/run.ts, exiting when it
 * goes away.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** Listens on 127.0.0.1 (keep-alive sockets held a minute), sends `{ port }` to the parent. */
export function serveForParent(server: Server): void {
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port });
  });
  process.on('disconnect', () => process.exit(0));
}
