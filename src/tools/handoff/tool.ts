import { z } from 'zod';
import { defineTool, type Tool } from '../registry.js';
import type { HandoffService } from './service.js';

export const HANDOFF_TOOL_NAME = 'handoff_to_human';

/** What the model is told to say once the session is with a person. */
export const HANDOFF_TOOL_INSTRUCTION =
  'The conversation is now with a person of the support team, who will reply in this conversation. ' +
  'Tell the customer so in one or two short sentences; do not promise a time and do not try to solve the request yourself.';

/** `handoff_to_human {reason}`: hands the session to a person (DESIGN §13). */
export function createHandoffTool(handoff: Pick<HandoffService, 'handOff'>): Tool {
  return defineTool({
    name: HANDOFF_TOOL_NAME,
    description:
      'Hand the conversation to a person of the support team. Use it when the customer asks for a person, ' +
      'or when you cannot help with their request. Later messages go to that person until they give the conversation back.',
    parameters: z.object({
      reason: z
        .string()
        .trim()
        .min(1)
        .max(500)
        .describe('Why a person should take over, in one sentence, for the support team'),
    }),
    async execute({ reason }, ctx) {
      await handoff.handOff({ tenantId: ctx.tenantId, sessionId: ctx.sessionId }, reason);
      return { status: 'handoff', instruction: HANDOFF_TOOL_INSTRUCTION };
    },
  });
}
