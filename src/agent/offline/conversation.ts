import type { ModelToolSpec } from '../../tools/registry.js';
import type { ModelMessage, ModelToolCall } from '../types.js';
import { cleanDescription, type Lang, parseRequest, type Request } from './grammar.js';
import {
  ALL_RIGHT,
  confirmCancelText,
  goodbyeText,
  greetingText,
  helpText,
  keptText,
  NOTHING_TO_CONFIRM,
  noPersonText,
  notedText,
  policyText,
  unavailableText,
  unknownText,
} from './replies.js';
import { emailDemand, isRecord, type Json, parseResult } from './results.js';
import { argumentFor, buildArguments, enumOf, findTool, propertiesOf, type Values } from './schema.js';
import { isBareName } from './text.js';

/**
 * The conversation as the offline assistant understands it, rebuilt on every step from the history
 * the model receives: each earlier user message is parsed again and run through the same `decide`,
 * then corrected by what the history shows actually happened (the tool calls made and their results).
 * Nothing depends on the wording of its own earlier answers.
 */

/** Details the customer gave, carried from turn to turn. */
export interface Details {
  orderId?: number;
  email?: string;
  name?: string;
}

type OrderAction = 'lookup' | 'status' | 'cancel' | 'confirmation_mail' | 'status_mail';

interface ComplaintDraft {
  orderId?: number;
  description?: string;
  name?: string;
  email?: string;
  /** The customer would rather not give an e-mail address. */
  noEmail?: true;
}

/** What the assistant's last answer left open: the question it asked. */
export type Task =
  | { kind: 'confirm_cancel'; orderId: number; reason?: string }
  | { kind: 'order_number'; action: OrderAction }
  | { kind: 'complaint'; draft: ComplaintDraft }
  | { kind: 'customer' }
  | { kind: 'complaints_email' }
  | { kind: 'complaint_id' }
  /** A tool answered that it needs an e-mail address: the call to repeat once the customer gives one. */
  | { kind: 'email'; call: { name: string; args: Json }; field?: string };

export interface State {
  details: Details;
  task?: Task;
  /** Languages of the customer's earlier messages. */
  langs: ReadonlySet<Lang>;
}

export type Action = { kind: 'call'; name: string; args: Json } | { kind: 'say'; text: string };
export interface Decision {
  action: Action;
  state: State;
}

export const INITIAL_STATE: State = { details: {}, langs: new Set() };

const say = (text: string, state: State, task?: Task): Decision => ({
  action: { kind: 'say', text },
  state: { ...state, ...(task ? { task } : {}) },
});

/** A call to `tool` with `values` under the tool's own argument names, or "not available". */
function call(tool: string, values: Values, tools: readonly ModelToolSpec[], state: State): Decision {
  const spec = findTool(tools, tool);
  if (!spec) return say(unavailableText(tool), state);
  return { action: { kind: 'call', name: spec.name, args: buildArguments(spec, values) }, state };
}

const ORDER_TOOLS: Record<Exclude<OrderAction, 'cancel'>, string> = {
  lookup: 'get_order',
  status: 'get_order',
  confirmation_mail: 'send_order_confirmation',
  status_mail: 'send_order_status_update',
};

const ASK_ORDER: Record<OrderAction, string> = {
  lookup: 'Which order do you mean? Please give its number, for example "order 42".',
  status: 'Which order do you mean? Please give its number, for example "where is order 42?".',
  cancel: 'Which order should I cancel? Please give its number, for example "cancel order 42".',
  confirmation_mail:
    'For which order should I send the confirmation? Please give its number, for example "send me the confirmation for order 42".',
  status_mail: 'For which order should I send a status update? Please give its number.',
};

function orderAction(
  action: OrderAction,
  orderId: number | undefined,
  r: Request,
  tools: readonly ModelToolSpec[],
  state: State,
): Decision {
  if (action === 'cancel') {
    // Asking to confirm a cancellation that cannot happen would only waste the customer's time.
    if (!findTool(tools, 'cancel_order')) return say(unavailableText('cancel_order'), state);
    if (orderId === undefined) {
      const recent = state.details.orderId;
      if (recent === undefined) return say(ASK_ORDER.cancel, state, { kind: 'order_number', action });
      return say(confirmCancelText(recent, r.reason, true), state, {
        kind: 'confirm_cancel',
        orderId: recent,
      });
    }
    const reason = r.reason;
    return say(confirmCancelText(orderId, reason, false), state, {
      kind: 'confirm_cancel',
      orderId,
      ...(reason === undefined ? {} : { reason }),
    });
  }
  if (orderId === undefined) return say(ASK_ORDER[action], state, { kind: 'order_number', action });
  // An address in this very message is where a mail goes; one given earlier only proves who is asking.
  const mailTo = action.endsWith('_mail') ? r.email : undefined;
  const values: Values = { order_id: orderId, email: state.details.email, recipient: mailTo };
  return call(ORDER_TOOLS[action], values, tools, state);
}

const CATEGORY_HINTS: ReadonlyArray<readonly [readonly string[], readonly string[]]> = [
  [
    ['damag', 'broken', 'defect', 'faulty', 'quality', 'wrong item', 'not work', 'missing part', 'stopped'],
    ['product', 'quality', 'damage'],
  ],
  [
    ['deliver', 'late', 'delay', 'arriv', 'ship', 'parcel', 'package', 'lost', 'courier', 'track'],
    ['delivery', 'shipping'],
  ],
  [
    ['charg', 'bill', 'refund', 'invoice', 'price', 'payment', 'money', 'paid'],
    ['billing', 'payment', 'refund'],
  ],
  [
    ['rude', 'service', 'staff', 'support', 'unhelpful', 'wait'],
    ['service', 'support'],
  ],
];

/** A category the tool accepts that fits the description best ("other" when nothing fits). */
function pickCategory(description: string, allowed: readonly string[]): string {
  const lower = description.toLowerCase();
  const wanted = CATEGORY_HINTS.filter(([hints]) => hints.some((h) => lower.includes(h))).flatMap(
    ([, w]) => w,
  );
  for (const word of wanted) {
    const match = allowed.find((value) => value.toLowerCase().includes(word));
    if (match) return match;
  }
  return allowed.find((value) => /other|general/i.test(value)) ?? allowed[0] ?? wanted[0] ?? 'other';
}

/** Files the complaint once it has what the tool needs, or asks for what is still missing. */
function complaint(
  draft: ComplaintDraft,
  tools: readonly ModelToolSpec[],
  state: State,
  first = false,
): Decision {
  const spec = findTool(tools, 'create_complaint');
  if (!spec) return say(unavailableText('create_complaint'), state);
  const wantsEmail = argumentFor(spec, 'email') !== undefined && !draft.noEmail;
  const missing = [
    draft.description === undefined && 'what went wrong',
    draft.name === undefined && 'your name',
    wantsEmail && draft.email === undefined && 'your e-mail address (so that we can get back to you)',
  ].filter((m): m is string => typeof m === 'string');
  if (missing.length > 0) {
    const list =
      missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}`;
    const intro = first ? 'I can file a complaint for you. ' : '';
    return say(`${intro}Please tell me ${list}.`, state, { kind: 'complaint', draft });
  }
  const values: Values = {
    name: draft.name,
    email: draft.email,
    order_id: draft.orderId,
    category: pickCategory(draft.description ?? '', enumOf(spec, 'category')),
    description: draft.description,
  };
  return { action: { kind: 'call', name: spec.name, args: buildArguments(spec, values) }, state };
}

const DROPS_COMPLAINT = new Set<Request['intent']>([
  'cancel',
  'human',
  'confirmation_mail',
  'status_mail',
  'list_orders',
  'complaint_list',
  'goodbye',
  'help',
  'policy',
]);

/** The message when it is only a name ("Jane Doe"). */
function bareName(r: Request): string | undefined {
  if (!isBareName(r.tokens)) return undefined;
  return r.tokens
    .filter((t) => /\p{L}/u.test(t.raw))
    .map((t) => t.raw)
    .join(' ');
}

/** The next message while a complaint is being put together: its details are added to the draft. */
function continueComplaint(
  draft: ComplaintDraft,
  r: Request,
  tools: readonly ModelToolSpec[],
  state: State,
): Decision | undefined {
  if (DROPS_COMPLAINT.has(r.intent) || (r.intent === 'complaint_lookup' && r.complaintId)) return undefined;
  const onlyEmailMissing = draft.description !== undefined && draft.name !== undefined;
  if (r.intent === 'no' || (r.negated && r.email === undefined && onlyEmailMissing)) {
    if (onlyEmailMissing) return complaint({ ...draft, noEmail: true }, tools, state);
    return say('All right, I have not filed a complaint. Is there anything else I can help you with?', state);
  }
  const next: ComplaintDraft = { ...draft };
  if (r.orderId !== undefined) next.orderId ??= r.orderId;
  if (r.email !== undefined) next.email = r.email;
  if (r.name !== undefined) next.name = r.name;
  else {
    const name = draft.name === undefined ? bareName(r) : undefined;
    if (name !== undefined) next.name = name;
  }
  if (next.description === undefined && !isBareName(r.tokens)) {
    const description = r.intent === 'complaint' ? r.description : cleanDescription(r.text);
    if (description !== undefined) next.description = description;
  }
  return complaint(next, tools, state);
}

/** The answer to a message that continues the question asked before, or undefined if it does not. */
function continueTask(
  task: Task,
  r: Request,
  tools: readonly ModelToolSpec[],
  state: State,
): Decision | undefined {
  switch (task.kind) {
    case 'confirm_cancel': {
      if (r.negated || r.intent === 'no') return say(keptText(task.orderId), state);
      const confirmed =
        r.intent === 'yes' ||
        (r.intent === 'cancel' && r.affirmed && !r.question && (r.orderId ?? task.orderId) === task.orderId);
      if (!confirmed) return undefined;
      const reason = r.reason ?? task.reason;
      return call('cancel_order', { order_id: task.orderId, ...(reason ? { reason } : {}) }, tools, state);
    }
    case 'order_number':
      if (r.intent === 'no') return say(ALL_RIGHT, state);
      if (r.number === undefined || !['details', 'unknown', 'yes', 'lookup', 'status'].includes(r.intent)) {
        return undefined;
      }
      return orderAction(task.action, r.number, r, tools, state);
    case 'complaint':
      return continueComplaint(task.draft, r, tools, state);
    case 'customer': {
      const name = r.customer ?? r.name ?? bareName(r);
      if (r.email === undefined && name === undefined) return undefined;
      return call('list_orders', r.email ? { email: r.email } : { name }, tools, state);
    }
    case 'complaints_email':
      return r.email === undefined ? undefined : call('list_complaints', { email: r.email }, tools, state);
    case 'complaint_id':
      return r.complaintId === undefined
        ? undefined
        : call('get_complaint', { complaint_id: r.complaintId }, tools, state);
    case 'email': {
      if (r.intent === 'no') return say(ALL_RIGHT, state);
      if (r.email === undefined) return undefined;
      const spec = findTool(tools, task.call.name);
      if (!spec) return undefined;
      // The argument the tool named, else the one of its schema that takes an e-mail address; a tool
      // that has neither reads the address from the conversation, so the call is repeated as it was.
      const properties = propertiesOf(spec);
      const field = [task.field, argumentFor(spec, 'email')].find((f) => f !== undefined && f in properties);
      const args = field ? { ...task.call.args, [field]: r.email } : task.call.args;
      return { action: { kind: 'call', name: spec.name, args }, state };
    }
  }
}

/** A request that does not continue an open question. */
function fresh(r: Request, tools: readonly ModelToolSpec[], state: State): Decision {
  const { details } = state;
  switch (r.intent) {
    case 'lookup':
    case 'status':
    case 'confirmation_mail':
    case 'status_mail':
      return orderAction(r.intent, r.orderId, r, tools, state);
    case 'cancel':
      if (r.negated) return say(keptText(r.orderId ?? details.orderId), state);
      return orderAction('cancel', r.orderId, r, tools, state);
    case 'list_orders': {
      const name = r.customer ?? r.name;
      const email = r.email ?? (r.own && name === undefined ? details.email : undefined);
      if (email === undefined && name === undefined) {
        return say(
          'Whose orders should I list? Please give the customer\'s name or e-mail address, for example "list orders for Jane Doe" or "orders of jane@example.com".',
          state,
          { kind: 'customer' },
        );
      }
      return call('list_orders', email ? { email } : { name }, tools, state);
    }
    case 'complaint':
      return complaint(
        {
          ...(r.orderId === undefined ? {} : { orderId: r.orderId }),
          ...(r.description === undefined ? {} : { description: r.description }),
          ...(details.name === undefined ? {} : { name: details.name }),
          ...(details.email === undefined ? {} : { email: details.email }),
        },
        tools,
        state,
        true,
      );
    case 'complaint_lookup':
      if (r.complaintId !== undefined)
        return call('get_complaint', { complaint_id: r.complaintId }, tools, state);
      return say(
        'Which complaint do you mean? Please give its reference, for example "show my complaint CMP-7K2QX9AB". To file a new one, say "I want to file a complaint".',
        state,
        { kind: 'complaint_id' },
      );
    case 'complaint_list': {
      const email = r.email ?? (r.own ? details.email : undefined);
      // Without an address, "my complaints" would list every customer's.
      if (r.own && email === undefined) {
        return say(
          'Which e-mail address did you give with your complaints? Please tell me, for example "list my complaints (jane@example.com)".',
          state,
          { kind: 'complaints_email' },
        );
      }
      return call(
        'list_complaints',
        { ...(email ? { email } : {}), ...(r.status ? { status: r.status } : {}) },
        tools,
        state,
      );
    }
    case 'human': {
      if (!findTool(tools, 'handoff_to_human')) return say(noPersonText(tools), state);
      const spec = findTool(tools, 'handoff_to_human')!;
      const key = argumentFor(spec, 'reason') ?? 'reason';
      return {
        action: { kind: 'call', name: spec.name, args: { [key]: 'The customer asked to talk to a person.' } },
        state,
      };
    }
    case 'policy':
      return say(policyText(tools), state);
    case 'yes':
      return say(NOTHING_TO_CONFIRM, state);
    case 'no':
      return say(ALL_RIGHT, state);
    case 'greeting':
      return say(greetingText(tools), state);
    case 'goodbye':
      return say(goodbyeText(r), state);
    case 'help':
      return say(helpText(tools), state);
    case 'details':
      return say(notedText(tools), state);
    case 'unknown':
      return say(unknownText(tools), state);
  }
}

/** The answer to message `r` given what the conversation left open before it. */
export function decide(before: State, r: Request, tools: readonly ModelToolSpec[]): Decision {
  const details: Details = { ...before.details };
  if (r.orderId !== undefined) details.orderId = r.orderId;
  if (r.email !== undefined) details.email = r.email;
  if (r.name !== undefined) details.name = r.name;
  const state: State = { details, langs: new Set([...before.langs, r.lang]) };
  return (before.task && continueTask(before.task, r, tools, state)) || fresh(r, tools, state);
}

interface Turn {
  user: string;
  calls: ModelToolCall[];
  results: Map<string, string>;
}

function turnsOf(messages: readonly ModelMessage[]): Turn[] {
  const turns: Turn[] = [];
  for (const m of messages) {
    if (m.role === 'user') turns.push({ user: m.content, calls: [], results: new Map() });
    const turn = turns.at(-1);
    if (!turn) continue;
    if (m.role === 'assistant') turn.calls.push(...(m.toolCalls ?? []));
    if (m.role === 'tool') turn.results.set(m.toolCallId, m.content);
  }
  return turns;
}

export function parseArgs(call: ModelToolCall): Json {
  try {
    const value = JSON.parse(call.arguments) as unknown;
    return isRecord(value) ? value : {};
  } catch {
    return {};
  }
}

/** The state after a turn that called tools: its question is answered, unless a tool asked for an e-mail. */
function afterCalls(state: State, turn: Turn): State {
  let task: Task | undefined;
  for (const c of turn.calls) {
    const result = turn.results.get(c.id);
    const demand = result === undefined ? undefined : emailDemand(parseResult(result));
    if (demand) task = { kind: 'email', call: { name: c.name, args: parseArgs(c) }, ...demand };
  }
  return { details: state.details, langs: state.langs, ...(task ? { task } : {}) };
}

export interface Conversation {
  /** The state before the current (last) user message. */
  before: State;
  current?: Request;
}

/** Replays the history up to the current user message; the current turn's own calls are not included. */
export function readConversation(
  messages: readonly ModelMessage[],
  tools: readonly ModelToolSpec[],
): Conversation {
  const turns = turnsOf(messages);
  let state = INITIAL_STATE;
  for (const turn of turns.slice(0, -1)) {
    const decided = decide(state, parseRequest(turn.user), tools).state;
    state = turn.calls.length > 0 ? afterCalls(decided, turn) : decided;
  }
  const last = turns.at(-1);
  return { before: state, ...(last ? { current: parseRequest(last.user) } : {}) };
}
