import type { Logger } from 'pino';
import type { OrderAccessProof } from '../access/order-access.js';
import type { VerifiedCustomer } from '../access/principal.js';
import type { AuditActor } from '../audit/types.js';
import type { StoredMessage, ToolCallRecord } from '../sessions/types.js';
import type { Usage } from './types.js';

/** What the loop reports while a turn runs; the chat route turns these into SSE events. */
export type AgentEvent =
  | { type: 'token'; content: string }
  | {
      type: 'tool_call';
      id: string;
      name: string;
      /** The parsed arguments, or the raw text when the model did not produce valid JSON. */
      arguments: unknown;
    }
  | { type: 'tool_result'; id: string; name: string; status: 'ok' | 'error' };

export interface TurnContext {
  tenantId: string;
  sessionId: string;
  requestId: string;
  /** The customer the turn acts for, when the caller vouched for one (tools scope by it). */
  customer?: VerifiedCustomer;
  /** Who called, as the audit log names it. */
  actor?: AuditActor;
  /** The turn's id (the request id until turns have their own). */
  turnId?: string;
  /** What the conversation proved about the customer; the order tools read it. */
  orderProof?: OrderAccessProof;
  /** Aborting it stops the model call and the running tools at once. */
  signal: AbortSignal;
  logger: Logger;
  /** The client reads the answer as it is produced (SSE) rather than as one JSON reply. */
  streaming?: boolean;
}

export interface TurnInput {
  history: readonly StoredMessage[];
  message: string;
  ctx: TurnContext;
}

export interface TurnResult {
  /** Everything sent as `token` events, concatenated. */
  answer: string;
  toolCalls: ToolCallRecord[];
  usage?: Usage;
  /** Model calls made. */
  steps: number;
}

export interface PartialTurn {
  /** The text already sent as tokens. */
  answer: string;
  /** Every tool call started, including those cut off by the interruption (status `error`). */
  toolCalls: ToolCallRecord[];
  usage?: Usage;
  steps: number;
}

/**
 * Every failure of a turn rejects with this: `cause` is the original error (the abort reason,
 * a ModelError, …) and `partial` is what had already happened, so the caller can still store it.
 */
export class TurnInterruptedError extends Error {
  constructor(
    cause: unknown,
    readonly partial: PartialTurn,
  ) {
    super('The turn was interrupted before it finished', { cause });
    this.name = 'TurnInterruptedError';
  }
}
