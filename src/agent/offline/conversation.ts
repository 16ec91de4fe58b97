import type { ModelMessage, ModelToolCall } from '../types.js';
import { cleanDescription, type Lang, parseRequest, type Request } from './grammar.js';
import * as say from './replies.js';
import { emailDemand, parseArgs, parseResult, toolResults } from './results.js';
import { bareName, words } from './text.js';
import type { Tools, Values } from './tools.js';
import { argumentFor, buildArguments, enumOf, findTool, type Json, propertiesOf } from './tools.js';

/**
 * The conversation as the offline assistant understands it, rebuilt on every step from the history
 * the model receives: each earlier user message is parsed again and run through the same `decide`,
 * then corrected by what the history shows happened (the tool calls made and their results). Nothing
 * depends on the wording of its own earlier answers.
 */

/** A complaint being put together; `noEmail`: the customer would rather not give an address. */
type Draft = { orderId?: number; description?: string; name?: string; email?: string; noEmail?: boolean };
type Detail = 'orderId' | 'customer' | 'email' | 'complaintId';

/** The question the assistant's last answer left open. */
export type Task =
  | { kind: 'confirm_cancel'; orderId: number; reason?: string }
  /** A request that waits for one detail: the order, the customer, an e-mail address, a reference. */
  | { kind: 'missing'; request: Request; detail: Detail }
  | { kind: 'complaint'; draft: Draft }
  /** A tool answered that it needs an e-mail address: the call to repeat once the customer gives one. */
  | { kind: 'email'; name: string; args: Json; field?: string };

export interface State {
  /** Details the customer gave, carried from turn to turn. */
  details: { orderId?: number; email?: string; name?: string };
  task?: Task;
  /** Languages of the customer's earlier messages. */
  langs: ReadonlySet<Lang>;
}
export type Action = { kind: 'call'; name: string; args: Json } | { kind: 'say'; text: string };
export type Decision = { action: Action; state: State };
/** The tools of this step and the state the answer leaves. */
type Context = { tools: Tools; state: State };

export const INITIAL_STATE: State = { details: {}, langs: new Set() };

const answer = (text: string, c: Context, task?: Task): Decision => ({
  action: { kind: 'say', text },
  state: { ...c.state, task },
});
/** Asks for the detail `r` lacks; the next message that gives it completes `r`. */
const ask = (r: Request, detail: Detail, c: Context): Decision =>
  answer(say.ASK[r.intent]!, c, { kind: 'missing', request: r, detail });
const calling = (name: string, args: Json, c: Context): Decision => ({
  action: { kind: 'call', name, args },
  state: c.state,
});

/** A call to `tool` with `values` under the tool's own argument names, or "not available". */
function call(tool: string, values: Values, c: Context): Decision {
  const spec = findTool(c.tools, tool);
  return spec ? calling(spec.name, buildArguments(spec, values), c) : answer(say.unavailableText(tool), c);
}

function cancel(r: Request, c: Context): Decision {
  const id = r.orderId ?? c.state.details.orderId; // "cancel it": the order talked about
  if (r.negated) return answer(say.keptText(id), c);
  // Asking to confirm a cancellation that cannot happen would only waste the customer's time.
  if (!findTool(c.tools, 'cancel_order')) return answer(say.unavailableText('cancel_order'), c);
  if (id === undefined) return ask(r, 'orderId', c);
  const text = say.confirmCancelText(id, r.reason, r.orderId === undefined);
  return answer(text, c, { kind: 'confirm_cancel', orderId: id, reason: r.reason });
}

/** Categories (as a tool may name them) and the words of a description that point to them. */
const CATEGORY_HINTS = Object.entries({
  'product quality damage': 'damag broken defect faulty quality stopped',
  'delivery shipping': 'deliver late delay arriv ship parcel package lost courier track',
  'billing payment refund': 'charg bill refund invoice price payment money paid',
  'service support': 'rude service staff support unhelpful wait',
}).map(([categories, hints]) => [categories.split(' '), hints.split(' ')] as const);

/** A category the tool accepts that fits the description best ("other" when nothing fits). */
function pickCategory(description: string, allowed: readonly string[]): string {
  const lower = description.toLowerCase();
  const wanted = CATEGORY_HINTS.flatMap(([categories, hints]) =>
    hints.some((h) => lower.includes(h)) ? categories : [],
  );
  const match = wanted.map((w) => allowed.find((a) => a.toLowerCase().includes(w))).find(Boolean);
  return match ?? allowed.find((a) => /other|general/i.test(a)) ?? allowed[0] ?? wanted[0] ?? 'other';
}

/** Files the complaint once it has what the tool needs, or asks for what is still missing. */
function complaint(draft: Draft, c: Context, first = false): Decision {
  const spec = findTool(c.tools, 'create_complaint');
  if (!spec) return answer(say.unavailableText('create_complaint'), c);
  const wantsEmail = draft.email === undefined && !draft.noEmail && argumentFor(spec, 'email') !== undefined;
  const missing = [
    draft.description === undefined && 'what went wrong',
    draft.name === undefined && 'your name',
    wantsEmail && 'your e-mail address (so that we can get back to you)',
  ].filter((m): m is string => typeof m === 'string');
  if (missing.length > 0)
    return answer(say.askComplaintText(missing, first), c, { kind: 'complaint', draft });
  const { name, email, description = '', orderId: order_id } = draft;
  const category = pickCategory(description, enumOf(spec, 'category'));
  return calling(spec.name, buildArguments(spec, { name, email, order_id, category, description }), c);
}

const DROPS_COMPLAINT = words(
  'cancel human confirmation_mail status_mail list_orders complaint_list goodbye help policy',
);

/** The next message while a complaint is being put together: what it gives is added to the draft. */
function continueComplaint(draft: Draft, r: Request, c: Context): Decision | undefined {
  // "order 42 arrived broken" is part of the complaint; "where is order 42?" is a new request.
  const question = r.question && (r.intent === 'lookup' || r.intent === 'status');
  if (DROPS_COMPLAINT.has(r.intent) || r.complaintId || question) return undefined;
  const onlyEmailMissing = draft.description !== undefined && draft.name !== undefined;
  if (r.intent === 'no' || (r.negated && !r.email && onlyEmailMissing))
    return onlyEmailMissing ? complaint({ ...draft, noEmail: true }, c) : answer(say.NOT_FILED, c);
  // A message that is only a name ("Jane Doe") gives the name, anything else what went wrong.
  const bare = bareName(r.tokens);
  const said = bare ? undefined : r.intent === 'complaint' ? r.description : cleanDescription(r.text);
  // The draft keeps the order and the text it has; a name or an address given now replaces the earlier one.
  const { orderId = r.orderId, description = said } = draft;
  return complaint(
    { ...draft, orderId, description, name: r.name ?? draft.name ?? bare, email: r.email ?? draft.email },
    c,
  );
}

/** A message that may answer "which order?": one that gives only a number, or names an order. */
const GIVES_NUMBER = words('details unknown yes lookup status');

/** The answer to a message that continues the open question, or undefined if it does not. */
function continueTask(task: Task, r: Request, c: Context): Decision | undefined {
  switch (task.kind) {
    case 'confirm_cancel': {
      if (r.negated || r.intent === 'no') return answer(say.keptText(task.orderId), c);
      const same = (r.orderId ?? task.orderId) === task.orderId;
      if (r.intent !== 'yes' && !(r.intent === 'cancel' && r.affirmed && !r.question && same))
        return undefined;
      return call('cancel_order', { order_id: task.orderId, reason: r.reason ?? task.reason }, c);
    }
    case 'missing': {
      // "43", "Jane Doe", "jane@example.com", "CMP-7K2QX9AB": the detail asked for completes the request.
      const { request: p, detail } = task;
      const customer = r.customer ?? r.name ?? bareName(r.tokens);
      const orderId = GIVES_NUMBER.has(r.intent) ? r.number : undefined;
      const given = { orderId, customer: r.email ?? customer, email: r.email, complaintId: r.complaintId };
      if (given[detail] === undefined) return undefined;
      const { email = p.email, complaintId = p.complaintId } = r;
      return fresh(
        { ...p, orderId: orderId ?? p.orderId, customer: customer ?? p.customer, email, complaintId },
        c,
      );
    }
    case 'complaint':
      return continueComplaint(task.draft, r, c);
    case 'email': {
      if (r.intent === 'no') return answer(say.TEXTS.no(), c);
      const spec = findTool(c.tools, task.name);
      if (!r.email || !spec) return undefined;
      // The argument the tool named, else the one of its schema that takes an e-mail address; a tool
      // with neither reads the address from the conversation, so the call is repeated as it was.
      const field = [task.field, argumentFor(spec, 'email')].find((f) => f && f in propertiesOf(spec));
      return calling(spec.name, field ? { ...task.args, [field]: r.email } : task.args, c);
    }
  }
}

/** The tool that answers each request about one order. */
const ORDER_TOOLS = {
  lookup: 'get_order',
  status: 'get_order',
  confirmation_mail: 'send_order_confirmation',
  status_mail: 'send_order_status_update',
};

/** A request that does not continue an open question. */
function fresh(r: Request, c: Context): Decision {
  const { details } = c.state;
  switch (r.intent) {
    case 'lookup':
    case 'status':
    case 'confirmation_mail':
    case 'status_mail': {
      // "send me the confirmation": for the order talked about. An address in this very message is
      // where the mail goes; one given before only shows who is asking.
      const mail = r.intent.endsWith('_mail');
      const order_id = r.orderId ?? (mail ? details.orderId : undefined);
      if (order_id === undefined) return ask(r, 'orderId', c);
      const recipient = mail ? r.email : undefined;
      return call(ORDER_TOOLS[r.intent], { order_id, email: details.email, recipient }, c);
    }
    case 'cancel':
      return cancel(r, c);
    case 'list_orders': {
      const name = r.customer ?? r.name;
      const email = r.email ?? (r.own && !name ? details.email : undefined);
      if (!email && !name) return ask(r, 'customer', c);
      return call('list_orders', email ? { email } : { name }, c);
    }
    case 'complaint':
      return complaint({ ...details, orderId: r.orderId, description: r.description }, c, true);
    case 'complaint_lookup':
      if (!r.complaintId) return ask(r, 'complaintId', c);
      return call('get_complaint', { complaint_id: r.complaintId }, c);
    case 'complaint_list': {
      const email = r.email ?? (r.own ? details.email : undefined);
      // Without an address, "my complaints" would list every customer's.
      if (r.own && !email) return ask(r, 'email', c);
      return call('list_complaints', { email, status: r.status }, c);
    }
    case 'human':
      if (!findTool(c.tools, 'handoff_to_human')) return answer(say.TEXTS.human(c.tools), c);
      return call('handoff_to_human', { reason: 'The customer asked to talk to a person.' }, c);
    default:
      return answer(say.TEXTS[r.intent](c.tools, r), c);
  }
}

/** The answer to message `r` given what the conversation left open before it. */
export function decide(before: State, r: Request, tools: Tools): Decision {
  const { details, task } = before;
  // A bare number answers "which order?".
  const answersNumber = task?.kind === 'missing' && task.detail === 'orderId';
  const state: State = {
    details: {
      orderId: r.orderId ?? (answersNumber ? r.number : undefined) ?? details.orderId,
      email: r.email ?? details.email,
      name: r.name ?? details.name,
    },
    langs: new Set([...before.langs, r.lang]),
  };
  const c = { tools, state };
  return (task && continueTask(task, r, c)) || fresh(r, c);
}

/** The state before the current (last) user message, and that message. */
export function readConversation(messages: readonly ModelMessage[], tools: Tools) {
  const results = toolResults(messages);
  const turns: Array<{ request: Request; calls: ModelToolCall[] }> = [];
  for (const m of messages) {
    if (m.role === 'user') turns.push({ request: parseRequest(m.content), calls: [] });
    else if (m.role === 'assistant') turns.at(-1)?.calls.push(...(m.toolCalls ?? []));
  }
  const current = turns.pop()?.request;
  // A turn that called tools answered its question, unless a tool asked for an e-mail address.
  const before = turns.reduce((state, { request, calls }) => {
    const next = decide(state, request, tools).state;
    const asked = calls.flatMap((call): Task[] => {
      const demand = emailDemand(parseResult(results.get(call.id) ?? ''));
      return demand ? [{ kind: 'email', name: call.name, args: parseArgs(call), ...demand }] : [];
    });
    return calls.length > 0 ? { ...next, task: asked.at(-1) } : next;
  }, INITIAL_STATE);
  return { before, current };
}
