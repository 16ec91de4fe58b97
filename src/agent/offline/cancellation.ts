import type { ModelMessage } from '../types.js';
import { type Intent, recogniseIntent } from './intents.js';
import { findOrderId, scanned } from './text-scan.js';

/**
 * Cancelling cannot be undone, so the offline router does it in two steps, as the agent instructions
 * ask of an LLM: it first restates the cancellation and asks for an exact confirmation phrase, and
 * cancels only when the next message is that confirmation for the same order.
 */

const CANNOT_UNDO = 'A cancellation cannot be undone.';

export function confirmationRequest(orderId: number): string {
  return `Reply "yes, cancel order ${orderId}" to confirm.`;
}

/** Our own request, at the very end of the previous answer. */
const CONFIRMATION_REQUEST = /Reply "yes, cancel order (\d{1,12})" to confirm\.$/;

export function restateCancellation(orderId: number, reason: string | undefined): string {
  const why = reason === undefined ? '' : ` (reason: ${reason})`;
  return `You are asking me to cancel order #${orderId}${why}. ${CANNOT_UNDO} ${confirmationRequest(orderId)}`;
}

export function suggestCancellation(orderId: number): string {
  return `Do you want me to cancel order #${orderId}? ${CANNOT_UNDO} ${confirmationRequest(orderId)}`;
}

export function declineCancellation(orderId: number | undefined): string {
  return orderId === undefined
    ? 'All right, I have not cancelled anything. Is there anything else I can help you with?'
    : `All right, I have not cancelled order #${orderId}, and I will not cancel it unless you ask me to.`;
}

export const NOTHING_TO_CONFIRM =
  'There is nothing waiting for your confirmation. What can I do for you? For example, "show order 42".';

export interface PendingCancellation {
  orderId: number;
  /** The reason the customer gave when asking for the cancellation. */
  reason?: string;
}

function isUser(message: ModelMessage): message is Extract<ModelMessage, { role: 'user' }> {
  return message.role === 'user';
}

/**
 * The cancellation the answer just before the current message asked the customer to confirm.
 * `conversation` holds the messages before the current one.
 */
export function pendingCancellation(conversation: readonly ModelMessage[]): PendingCancellation | undefined {
  const index = conversation.findLastIndex((m) => m.role === 'assistant' && !!m.content);
  const asked = conversation[index];
  if (asked?.role !== 'assistant' || !asked.content) return undefined;
  // A request from an older answer does not count once the customer has said something else.
  if (conversation.slice(index + 1).some(isUser)) return undefined;
  const match = CONFIRMATION_REQUEST.exec(asked.content.slice(-200));
  if (match?.[1] === undefined) return undefined;
  const orderId = Number(match[1]);
  const request = conversation.slice(0, index).findLast(isUser);
  const intent = request ? recogniseIntent(request.content) : undefined;
  const reason = intent?.kind === 'cancel' && intent.orderId === orderId ? intent.reason : undefined;
  return { orderId, ...(reason === undefined ? {} : { reason }) };
}

/** The order most recently named by the customer, for "cancel it". */
export function recentOrderId(conversation: readonly ModelMessage[]): number | undefined {
  for (let i = conversation.length - 1; i >= 0; i--) {
    const message = conversation[i];
    if (message?.role !== 'user') continue;
    const id = findOrderId(scanned(message.content));
    if (id !== undefined) return id;
  }
  return undefined;
}

export type CancellationStep =
  | { kind: 'cancel'; orderId: number; reason?: string }
  | { kind: 'say'; text: string }
  | { kind: 'ask-for-order' };

/** What to do with a cancellation request or a yes/no answer, given what was asked just before. */
export function cancellationStep(
  intent: Extract<Intent, { kind: 'cancel' | 'reply' }>,
  conversation: readonly ModelMessage[],
): CancellationStep {
  const pending = pendingCancellation(conversation);
  if (intent.kind === 'reply') {
    if (!pending) {
      return intent.answer === 'yes'
        ? { kind: 'say', text: NOTHING_TO_CONFIRM }
        : { kind: 'say', text: 'All right. If there is anything else I can do for you, just ask.' };
    }
    return intent.answer === 'yes'
      ? { kind: 'cancel', ...pending }
      : { kind: 'say', text: declineCancellation(pending.orderId) };
  }
  if (intent.negated) return { kind: 'say', text: declineCancellation(intent.orderId ?? pending?.orderId) };
  // "yes, cancel order 42" — or "yes, cancel it" — right after we asked about order 42.
  if (intent.confirmation && pending && (intent.orderId ?? pending.orderId) === pending.orderId) {
    const reason = intent.reason ?? pending.reason;
    return { kind: 'cancel', orderId: pending.orderId, ...(reason === undefined ? {} : { reason }) };
  }
  if (intent.orderId === undefined) {
    const suggested = pending?.orderId ?? recentOrderId(conversation);
    return suggested === undefined
      ? { kind: 'ask-for-order' }
      : { kind: 'say', text: suggestCancellation(suggested) };
  }
  return { kind: 'say', text: restateCancellation(intent.orderId, intent.reason) };
}
