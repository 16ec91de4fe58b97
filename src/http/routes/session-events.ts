import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { mayUseSession } from '../../access/session-access.js';
import type { SessionEventBus } from '../../sessions/events.js';
import { sessionStatus } from '../../sessions/status.js';
import type { SessionStore } from '../../sessions/types.js';
import { AppError } from '../errors.js';
import { principalOf } from '../plugins/auth.js';
import { COMMON_ERRORS, errorResponses } from '../schemas/error.js';
import { sessionParamsSchema, tenantQuerySchema } from '../schemas/session.js';
import { createEventStream } from '../sse.js';

export interface SessionEventRouteOptions {
  sessions: SessionStore;
  events: SessionEventBus;
  /** Feeds open at once on this instance; one more gets 429. */
  maxFeeds?: number;
  pingIntervalMs?: number;
}

/** A feed whose client does not read is closed rather than buffered without bound. */
const MAX_BUFFERED_BYTES = 1024 * 1024;

const feedDescription = `A session's live feed as Server-Sent Events: every new message of any role (\`user\`, \`assistant\`, \`operator\`) as it is stored, so a customer sees an operator's reply without polling, and status changes (hand-off, release).

- \`{"type":"ready","session_id":"…","status":"active"|"handoff"}\` — first event, once the feed is open
- \`{"type":"message","session_id":"…","message":{"role":"operator","content":"…","timestamp":"…"}}\`
- \`{"type":"status","session_id":"…","status":"active"|"handoff"}\`

A \`: ping\` comment is sent every 15 s while idle. The feed is live only: what was stored before it opened is in the history. It stays open until the client closes it (or the server shuts down). Who may read it is as for the history.`;

const sessionEventRoutes: FastifyPluginAsyncZod<SessionEventRouteOptions> = async (app, opts) => {
  const { sessions, events } = opts;
  const maxFeeds = opts.maxFeeds ?? 1_000;
  const open = new Set<() => void>();

  // Ends the feeds before the server waits for its connections to close.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get(
    '/api/v1/sessions/:session_id/events',
    {
      schema: {
        tags: ['Sessions'],
        operationId: 'followSession',
        summary: "A session's live feed (Server-Sent Events)",
        description: feedDescription,
        params: sessionParamsSchema,
        querystring: tenantQuerySchema,
        response: {
          200: {
            description: 'ready, then message and status events as they happen',
            content: { 'text/event-stream': { schema: z.string() } },
          },
          ...errorResponses(...COMMON_ERRORS, 'SESSION_NOT_FOUND'),
        },
      },
    },
    async (request, reply) => {
      const tenantId = request.tenantId!;
      const sessionId = request.params.session_id;
      request.sessionId = sessionId;
      const key = { tenantId, sessionId };
      const session = await sessions.get(key);
      // Another customer's conversation does not exist as far as this caller can tell.
      if (!session || !mayUseSession(principalOf(request), tenantId, session.attributes)) {
        throw new AppError('SESSION_NOT_FOUND', `Session "${sessionId}" was not found`, {
          session_id: sessionId,
        });
      }
      if (open.size >= maxFeeds) {
        throw new AppError('RATE_LIMIT_EXCEEDED', 'Too many live feeds are open; retry shortly', {
          limit: maxFeeds,
        });
      }
      const stream = createEventStream(reply, { pingIntervalMs: opts.pingIntervalMs });
      const res = reply.raw;
      let unsubscribe = () => {};
      const end = () => {
        open.delete(end);
        unsubscribe();
        res.off('close', end);
        stream.end();
      };
      open.add(end);
      res.on('close', end);
      unsubscribe = events.subscribe(key, (event) => {
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          request.log.warn({ session_id: sessionId }, 'live feed closed: the client does not read');
          end();
          return;
        }
        stream.send({ ...event, session_id: sessionId });
      });
      stream.send({ type: 'ready', session_id: sessionId, status: sessionStatus(session.attributes) });
      return reply;
    },
  );
};

export default sessionEventRoutes;
