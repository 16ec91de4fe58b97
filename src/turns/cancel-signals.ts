import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Keyspace } from '../redis/keys.js';
import type { TurnKey } from './replay.js';

/** Why a running turn is being stopped by someone other than its own client. */
export type CancelReason = 'cancelled' | 'interrupted';

/**
 * Reaches a running turn wherever it runs: the instance running it registers it; `cancel` from any
 * instance stops it.
 */
export interface TurnCancellation {
  /** Registers a running turn; the returned function must be called when it ends. */
  register(key: TurnKey, stop: (reason: CancelReason) => void): () => void;
  /** Asks the instance running the turn to stop it. Does nothing when no instance runs it. */
  cancel(key: TurnKey, reason: CancelReason): Promise<void>;
  close(): Promise<void>;
}

/** JSON of the array keeps the three ids apart whatever characters they contain. */
const idOf = (key: TurnKey) => JSON.stringify([key.tenantId, key.sessionId, key.turnId]);

function createLocalRegistry() {
  const running = new Map<string, (reason: CancelReason) => void>();
  return {
    register(key: TurnKey, stop: (reason: CancelReason) => void): () => void {
      const id = idOf(key);
      running.set(id, stop);
      return () => {
        if (running.get(id) === stop) running.delete(id);
      };
    },
    stopLocal(id: string, reason: CancelReason): void {
      running.get(id)?.(reason);
    },
  };
}

/** One instance: the running turns are all here. */
export function createMemoryTurnCancellation(): TurnCancellation {
  const local = createLocalRegistry();
  return {
    register: local.register,
    async cancel(key, reason) {
      local.stopLocal(idOf(key), reason);
    },
    async close() {},
  };
}

export interface RedisTurnCancellationOptions {
  /** Publishes cancel requests (the shared connection). */
  client: Redis;
  /** A connection of its own: a subscribed connection can run no other command. */
  subscriber: Redis;
  keys: Keyspace;
  logger: Logger;
}

/** Many instances: a cancel request is published, and the instance running the turn acts on it. */
export function createRedisTurnCancellation(options: RedisTurnCancellationOptions): TurnCancellation {
  const { client, subscriber, keys, logger } = options;
  const channel = keys.key('turn-cancel');
  const local = createLocalRegistry();
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    try {
      const { id, reason } = JSON.parse(message) as { id: string; reason: CancelReason };
      local.stopLocal(id, reason === 'interrupted' ? 'interrupted' : 'cancelled');
    } catch {
      logger.warn({ component: 'turn-cancel' }, 'ignored a malformed cancel message');
    }
  });
  // Commands fail fast while Redis is away, so (re)subscribe whenever the connection is ready.
  const subscribe = () => {
    subscriber.subscribe(channel).catch((err: unknown) => {
      logger.warn({ err, component: 'turn-cancel' }, 'could not subscribe to turn cancel requests yet');
    });
  };
  subscriber.on('ready', subscribe);
  if (subscriber.status === 'ready') subscribe();
  return {
    register: local.register,
    async cancel(key, reason) {
      const id = idOf(key);
      // Published to every instance, this one included, so a local turn stops the same way.
      await client.publish(channel, JSON.stringify({ id, reason }));
    },
    async close() {},
  };
}
