import pino from 'pino';
import { z } from 'zod';
import type { VerifiedCustomer } from '../../src/access/principal.js';
import { createAgent } from '../../src/agent/loop.js';
import { createChatService } from '../../src/chat/chat-service.js';
import { createMemorySessionStore } from '../../src/sessions/memory-store.js';
import { createToolRegistry, defineTool } from '../../src/tools/registry.js';
import { createMemoryTurnLock } from '../../src/turns/memory-turn-lock.js';
import { call, createScriptedModel, say } from '../helpers/scripted-model.js';

/**
 * A chat service whose model calls `whoami` once per turn: the tool records the customer it was
 * given, so a test sees what reached the tools' context.
 */
export function chatWithCustomerProbe() {
  const seen: Array<VerifiedCustomer | undefined> = [];
  const tools = createToolRegistry();
  tools.register(
    defineTool({
      name: 'whoami',
      description: 'Says which customer the turn acts for',
      parameters: z.object({}),
      async execute(_args, ctx) {
        seen.push(ctx.customer);
        return { customer: ctx.customer ?? null };
      },
    }),
  );
  const silent = pino({ level: 'silent' });
  const model = createScriptedModel((request) =>
    request.messages.at(-1)?.role === 'tool' ? say('done') : [call('whoami', {})],
  );
  const agent = createAgent({
    model,
    tools,
    config: { AGENT_MAX_STEPS: 4, TOOL_TIMEOUT_MS: 2_000, HISTORY_MAX_MESSAGES: 50 },
    logger: silent,
  });
  const sessions = createMemorySessionStore({ ttlMinutes: 60, maxSessions: 100, maxMessages: 1_000 });
  const turnLock = createMemoryTurnLock();
  const chat = createChatService({
    agent,
    sessions,
    turnLock,
    config: { TURN_TIMEOUT_MS: 10_000 },
    logger: silent,
  });
  return { chat, sessions, turnLock, seen };
}
