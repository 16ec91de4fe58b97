import type { Logger } from 'pino';
import type { OrderAccessProof } from '../access/order-access.js';
import type { VerifiedCustomer } from '../access/principal.js';
import type { AuditActor } from '../audit/types.js';
import type { StoredMessage, ToolCallRecord } from '../sessions/types.js';
import type { ModelMessage, ModelToolCall, Usage } from './types.js';

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
  | { type: 'tool_result'; id: string; name: string; status: 'ok' | 'error' }
  /** A call of a tool in TOOLS_REQUIRING_APPROVAL: the turn pauses before it runs. */
  | { type: 'approval_required'; id: string; name: string; arguments: unknown }
  /** A resumed turn starts with one per decided call. */
  | { type: 'approval_decided'; id: string; name: string; decision: 'approve' | 'decline'; reason?: string };

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
  /**
   * Aborts `signal`, when it is the turn's own: the agent stops its work through it when it fails,
   * instead of through a child signal of its own.
   */
  abort?: (reason: unknown) => void;
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
  /** Set when the turn paused for approvals: `answer` and `toolCalls` are what happened so far. */
  paused?: AgentCheckpoint;
}

/**
 * A turn paused before calls that need a person's approval: what it takes to go on later, on any
 * instance. JSON-serialisable.
 */
export interface AgentCheckpoint {
  /** The conversation as sent to the model so far, without the system instructions, ending with the
   * assistant message that asked for the paused step's calls. */
  messages: ModelMessage[];
  answer: string;
  toolCalls: ToolCallRecord[];
  usage?: Usage;
  steps: number;
  /** Every call of the paused step, in order. */
  calls: ModelToolCall[];
  /** Results of the step's calls that needed no approval (they ran before the pause), by call id. */
  results: Record<string, string>;
  /** The calls waiting for a decision, with their parsed arguments. */
  pending: Array<{ id: string; name: string; arguments: unknown }>;
}

/** What a person decided about a paused call. */
export interface CallDecision {
  approved: boolean;
  reason?: string;
  /** Nobody decided within APPROVAL_TTL_MINUTES. */
  expired?: boolean;
}

export interface ResumeInput {
  checkpoint: AgentCheckpoint;
  /** By call id; a paused call without a decision is declined. */
  decisions: Record<string, CallDecision>;
  ctx: TurnContext;
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
