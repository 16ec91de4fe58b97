import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createListenerMap, feedKey, type SessionEventBus, type SessionFeedEvent } from './events.js';

export interface RedisSessionEventBusOptions {
  /** The shared connection, for PUBLISH. */
  publisher: Redis;
  /** A connection of its own: once subscribed, a Redis connection can do nothing else. */
  subscriber: Redis;
  /** One channel per deployment (under REDIS_KEY_PREFIX). */
  channel: string;
  logger: Logger;
}

interface Wire {
  k: string;
  e: SessionFeedEvent;
}

/**
 * Session feeds across instances: every instance publishes to one channel and delivers what it
 * receives (its own publications included) to its local followers. One channel rather than one per
 * session keeps subscriptions constant however many feeds are open; each instance reads every
 * session's messages, which is cheap next to a model call per turn.
 */
export function createRedisSessionEventBus(options: RedisSessionEventBusOptions): SessionEventBus {
  const { publisher, subscriber, channel, logger } = options;
  const log = logger.child({ component: 'session-events' });
  const local = createListenerMap();
  const subscribe = () =>
    subscriber
      .subscribe(channel)
      .catch((err: Error) => log.warn({ reason: err.message }, 'subscribe failed'));
  subscriber.on('ready', () => void subscribe());
  if (subscriber.status === 'ready') void subscribe();
  subscriber.on('message', (from: string, payload: string) => {
    if (from !== channel) return;
    try {
      const wire = JSON.parse(payload) as Wire;
      if (typeof wire.k === 'string' && wire.e && typeof wire.e === 'object') local.dispatch(wire.k, wire.e);
    } catch {
      log.warn('unreadable session event ignored');
    }
  });
  return {
    publish(key, event) {
      const wire: Wire = { k: feedKey(key), e: event };
      publisher.publish(channel, JSON.stringify(wire)).catch((err: Error) => {
        log.warn({ reason: err.message }, 'session event not published');
      });
    },
    subscribe: (key, listener) => local.add(feedKey(key), listener),
    async close() {
      local.clear();
    },
  };
}
