// The web chat page: a conversation with the agent, streamed token by token. Model output is only
// ever inserted as text (never as HTML).
import { ApiError, fetchHistory, followSession, resumeTurn, sendFeedback, streamChat } from './api.js';

const STORAGE = {
  tenant: 'msev-chat:tenant',
  apiKey: 'msev-chat:api-key',
  session: (tenant) => `msev-chat:session:${tenant || 'default'}`,
};

/** What the customer sees while a tool runs, once it worked and when it failed. */
const TOOL_LABELS = {
  get_order: ['Looking up order', 'Looked up order', 'Could not look up order'],
  list_orders: ['Looking up your orders', 'Looked up your orders', 'Could not look up your orders'],
  create_order: ['Creating the order', 'Created the order', 'Could not create the order'],
  update_order: ['Updating order', 'Updated order', 'Could not update order'],
  update_order_status: ['Updating order', 'Updated order', 'Could not update order'],
  cancel_order: ['Cancelling order', 'Cancelled order', 'Could not cancel order'],
  send_email: ['Sending an e-mail', 'Sent an e-mail', 'Could not send the e-mail'],
  send_html_email: ['Sending an e-mail', 'Sent an e-mail', 'Could not send the e-mail'],
  send_email_with_attachment: ['Sending an e-mail', 'Sent an e-mail', 'Could not send the e-mail'],
  send_order_confirmation: [
    'Sending the order confirmation',
    'Sent the order confirmation',
    'Could not send the confirmation',
  ],
  send_order_status_update: [
    'Sending a status update',
    'Sent a status update',
    'Could not send the status update',
  ],
  create_complaint: ['Filing your complaint', 'Filed your complaint', 'Could not file the complaint'],
  get_complaint: ['Looking up the complaint', 'Looked up the complaint', 'Could not look up the complaint'],
  list_complaints: ['Looking up complaints', 'Looked up complaints', 'Could not look up complaints'],
  update_complaint_status: [
    'Updating the complaint',
    'Updated the complaint',
    'Could not update the complaint',
  ],
  handoff_to_human: ['Connecting you to a person', 'Asked a person to take over', 'Could not reach a person'],
};

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const els = {
  main: $('main'),
  welcome: $('welcome'),
  messages: $('messages'),
  announcer: $('announcer'),
  activity: $('activity'),
  composer: /** @type {HTMLFormElement} */ ($('composer')),
  input: /** @type {HTMLTextAreaElement} */ ($('message')),
  send: /** @type {HTMLButtonElement} */ ($('send')),
  newConversation: /** @type {HTMLButtonElement} */ ($('new-conversation')),
  settings: /** @type {HTMLDetailsElement} */ ($('settings')),
  settingsForm: /** @type {HTMLFormElement} */ ($('settings-form')),
  tenant: /** @type {HTMLInputElement} */ ($('tenant')),
  forgetKey: /** @type {HTMLButtonElement} */ ($('forget-key')),
  keyPanel: $('api-key-panel'),
  keyText: $('api-key-text'),
  keyForm: /** @type {HTMLFormElement} */ ($('api-key-form')),
  keyInput: /** @type {HTMLInputElement} */ ($('api-key')),
};

function read(storage, key) {
  try {
    return storage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

function write(storage, key, value) {
  try {
    if (value) storage.setItem(key, value);
    else storage.removeItem(key);
  } catch {
    // Storage disabled (private mode, policy): the page still works for this visit.
  }
}

/** A random session id; crypto.randomUUID needs a secure context, getRandomValues does not. */
function newSessionId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

const state = {
  tenant: read(localStorage, STORAGE.tenant),
  apiKey: read(sessionStorage, STORAGE.apiKey),
  sessionId: '',
  /** @type {AbortController | null} */
  turn: null,
  /** The live feed followed while a person has the session (hand-off). */
  /** @type {AbortController | null} */
  feed: null,
  /** Runs again once an API key has been given (the request that got the 401). */
  /** @type {(() => void) | null} */
  afterKey: null,
};

function credentials() {
  return { apiKey: state.apiKey || undefined, tenantId: state.tenant || undefined };
}

function useSession(tenant) {
  state.tenant = tenant;
  state.sessionId = read(localStorage, STORAGE.session(tenant));
}

function ensureSessionId() {
  if (!state.sessionId) {
    state.sessionId = newSessionId();
    write(localStorage, STORAGE.session(state.tenant), state.sessionId);
  }
  return state.sessionId;
}

// ---- rendering -------------------------------------------------------------------------------

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatTime(iso) {
  const date = iso ? new Date(iso) : new Date();
  if (Number.isNaN(date.getTime())) return null;
  const time = el('time', 'msg-time', date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  time.dateTime = date.toISOString();
  return time;
}

function nearBottom() {
  const { scrollTop, scrollHeight, clientHeight } = els.main;
  return scrollHeight - scrollTop - clientHeight < 120;
}

function scrollToEnd() {
  els.main.scrollTop = els.main.scrollHeight;
}

/** Keeps the newest message in view unless the reader has scrolled up to read older ones. */
function keepInView(update) {
  const stick = nearBottom();
  update();
  if (stick) scrollToEnd();
}

function showWelcome(visible) {
  els.welcome.hidden = !visible;
}

const AUTHORS = { user: 'You', assistant: 'Assistant', operator: 'Support agent' };

function avatar(role) {
  const mark = el('span', `avatar avatar-${role}`);
  mark.setAttribute('aria-hidden', 'true');
  mark.textContent = role === 'operator' ? 'S' : 'A';
  return mark;
}

/**
 * One message in the list. Operator messages (a person who took over the conversation) are shown
 * apart from the assistant's.
 */
function messageItem(role, text, timestamp) {
  const item = el('li', `msg msg-${role}`);
  if (role !== 'user') item.append(avatar(role));
  const body = el('div', 'msg-body');
  const meta = el('div', 'msg-meta');
  meta.append(el('span', role === 'user' ? 'msg-author sr-only' : 'msg-author', AUTHORS[role] ?? role));
  const bubble = el('div', 'bubble');
  const content = document.createTextNode(text);
  bubble.append(content);
  body.append(meta, bubble);
  const time = formatTime(timestamp);
  if (time) meta.append(time);
  item.append(body);
  return { item, body, bubble, content, meta };
}

function toolLabel(name, args, phase) {
  const labels = TOOL_LABELS[name];
  const index = phase === 'running' ? 0 : phase === 'ok' ? 1 : 2;
  let label = labels ? labels[index] : ['Working on it', 'Done', 'Something went wrong'][index];
  const orderId = args && typeof args === 'object' ? args.order_id : undefined;
  if (labels && label.endsWith(' order') && (typeof orderId === 'number' || typeof orderId === 'string')) {
    label += ` ${orderId}`;
  }
  return phase === 'running' ? `${label}…` : label;
}

function toolChip(call, phase) {
  const chip = el('li', `tool tool-${phase}`);
  chip.dataset.toolId = String(call.id ?? '');
  chip.dataset.toolName = String(call.name ?? '');
  const icon = el('span', 'tool-icon');
  icon.setAttribute('aria-hidden', 'true');
  const label = el('span', 'tool-label', toolLabel(call.name, call.arguments, phase));
  chip.append(icon, label);
  return chip;
}

function setChipPhase(chip, call, phase) {
  chip.className = `tool tool-${phase}`;
  const label = chip.querySelector('.tool-label');
  if (label) label.textContent = toolLabel(call.name, call.arguments, phase);
}

function toolList(body) {
  let list = body.querySelector('.tools');
  if (!list) {
    list = el('ul', 'tools');
    list.setAttribute('aria-label', 'What the assistant did');
    body.insertBefore(list, body.querySelector('.bubble'));
  }
  return list;
}

function noticeIn(body, kind, text, action) {
  body.querySelector('.notice')?.remove();
  const notice = el('div', `notice notice-${kind}`);
  if (kind === 'error') notice.setAttribute('role', 'alert');
  notice.append(el('p', 'notice-text', text));
  if (action) {
    const button = el('button', 'btn btn-link notice-action', action.label);
    button.type = 'button';
    button.addEventListener('click', action.run);
    notice.append(button);
  }
  body.append(notice);
  return notice;
}

// ---- feedback on an answer -------------------------------------------------------------------

/** Thumbs up and down, sent as the API's ratings 5 and 1. */
const RATINGS = [
  {
    rating: 5,
    label: 'Helpful',
    icon: 'M7 10v10H4V10zm2 10h8.3a2 2 0 0 0 2-1.6l1.2-6A2 2 0 0 0 18.5 10H14l.7-3.6A2 2 0 0 0 12.8 4L9 10z',
  },
  {
    rating: 1,
    label: 'Not helpful',
    icon: 'M7 14V4H4v10zm2-10h8.3a2 2 0 0 1 2 1.6l1.2 6a2 2 0 0 1-2 2.4H14l.7 3.6a2 2 0 0 1-1.9 2.4L9 14z',
  },
];

function svgIcon(pathData) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', pathData);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}

/**
 * "Was this helpful?" under a finished answer: each button rates the answer of `turnId`; the chosen
 * one stays pressed and a thank-you is announced. Choosing again replaces the rating.
 */
function feedbackControl(turnId) {
  const group = el('div', 'feedback');
  group.setAttribute('role', 'group');
  const prompt = el('span', 'feedback-prompt', 'Was this helpful?');
  prompt.id = `feedback-${turnId}`;
  group.setAttribute('aria-labelledby', prompt.id);
  group.dataset.turnId = turnId;
  const status = el('span', 'feedback-status');
  status.setAttribute('role', 'status');
  const buttons = RATINGS.map(({ rating, label, icon }) => {
    const button = el('button', 'btn feedback-btn');
    button.type = 'button';
    button.dataset.rating = String(rating);
    button.setAttribute('aria-label', label);
    button.setAttribute('aria-pressed', 'false');
    button.title = label;
    button.append(svgIcon(icon));
    return button;
  });
  const sessionId = state.sessionId;
  for (const button of buttons) {
    button.addEventListener('click', async () => {
      if (group.getAttribute('aria-busy') === 'true') return;
      group.setAttribute('aria-busy', 'true');
      status.textContent = '';
      try {
        await sendFeedback(sessionId, { turnId, rating: Number(button.dataset.rating) }, credentials());
        for (const other of buttons) other.setAttribute('aria-pressed', String(other === button));
        group.classList.add('is-thanked');
        status.textContent = 'Thanks for your feedback!';
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) {
          showKeyPanel(keyPrompt(), () => button.click());
        } else {
          status.textContent = 'Your feedback could not be sent.';
        }
      } finally {
        group.setAttribute('aria-busy', 'false');
      }
    });
  }
  group.append(prompt, ...buttons, status);
  return group;
}

function renderHistory(history) {
  els.messages.replaceChildren();
  const messages = Array.isArray(history?.messages) ? history.messages : [];
  for (const message of messages) {
    if (!message || typeof message.content !== 'string') continue;
    const role = message.role;
    if (role !== 'user' && role !== 'assistant' && role !== 'operator') continue;
    const view = messageItem(role, message.content, message.timestamp);
    if (role === 'assistant') {
      if (message.content === '') view.bubble.hidden = true;
      const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
      if (calls.length > 0) {
        const list = toolList(view.body);
        for (const call of calls) list.append(toolChip(call, call.status === 'error' ? 'error' : 'ok'));
      }
      if (message.interrupted) noticeIn(view.body, 'info', 'This answer was cut short.');
      else if (message.content !== '' && typeof message.turn_id === 'string')
        view.body.append(feedbackControl(message.turn_id));
    }
    els.messages.append(view.item);
  }
  showWelcome(els.messages.childElementCount === 0);
  scrollToEnd();
}

// ---- hand-off: a person's replies arrive on the session's live feed --------------------------

/**
 * While a person has the session, their messages arrive on its live feed and are shown as they
 * come; the feed closes once the session is given back to the assistant. A dropped feed is opened
 * again after a short, growing pause.
 */
function followWhileHandedOff() {
  if (state.feed || !state.sessionId) return;
  const controller = new AbortController();
  state.feed = controller;
  const sessionId = state.sessionId;
  let pause = 1000;
  const onEvent = (event) => {
    pause = 1000;
    if (event.type === 'ready') {
      els.messages.dataset.live = 'true';
      // What was written before the feed opened is in the history.
      if (!state.turn) void loadHistory();
      return;
    }
    if (event.type === 'status' && event.status === 'active') {
      stopFollowing();
      return;
    }
    const message = event.type === 'message' ? event.message : undefined;
    if (message?.role !== 'operator' || typeof message.content !== 'string') return;
    showWelcome(false);
    keepInView(() => els.messages.append(messageItem('operator', message.content, message.timestamp).item));
    announce(`Support agent: ${message.content}`);
  };
  void (async () => {
    while (!controller.signal.aborted && state.sessionId === sessionId) {
      try {
        await followSession(sessionId, credentials(), onEvent, controller.signal);
      } catch (err) {
        if (controller.signal.aborted) return;
        // Gone (or no longer ours): nothing to follow.
        if (err instanceof ApiError && (err.status === 404 || err.status === 401 || err.status === 403))
          break;
      }
      if (controller.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 30_000);
    }
    if (state.feed === controller) state.feed = null;
  })();
}

function stopFollowing() {
  state.feed?.abort();
  state.feed = null;
  delete els.messages.dataset.live;
}

// ---- API key -------------------------------------------------------------------------------

/** The server's 401 message is meant for developers; the customer gets a plain request for a key. */
function keyPrompt() {
  return state.apiKey
    ? 'That API key was not accepted. Check it and enter it again.'
    : 'This service only answers requests that carry an API key. Your key is kept in this browser tab only.';
}

function showKeyPanel(message, retry) {
  state.afterKey = retry;
  els.keyText.textContent = message;
  els.keyPanel.hidden = false;
  els.keyInput.value = '';
  els.keyInput.focus();
}

function hideKeyPanel() {
  els.keyPanel.hidden = true;
}

function syncForgetKey() {
  els.forgetKey.hidden = !state.apiKey;
}

// ---- a turn ----------------------------------------------------------------------------------

function setBusy(busy) {
  els.composer.classList.toggle('is-busy', busy);
  els.composer.setAttribute('aria-busy', String(busy));
  els.send.setAttribute('aria-label', busy ? 'Stop the answer' : 'Send');
  els.messages.setAttribute('aria-busy', String(busy));
}

function announce(text) {
  els.announcer.textContent = '';
  // Emptied first and filled a moment later, so that a repeated answer is read again.
  setTimeout(() => {
    els.announcer.textContent = text;
  }, 50);
}

function errorText(err) {
  if (err instanceof ApiError) {
    if (err.status === 429 && err.retryAfter)
      return `${err.message} You can try again in ${err.retryAfter} s.`;
    return err.message;
  }
  return 'Something went wrong. Please try again.';
}

/**
 * Sends `text` and renders the turn as its events arrive: tool chips as tools start and finish,
 * tokens appended to the answer, then `done` or `error`.
 */
async function sendMessage(text) {
  if (state.turn) return;
  const message = text.trim();
  if (!message) return;
  hideKeyPanel();
  showWelcome(false);
  const sessionId = ensureSessionId();

  const user = messageItem('user', message);
  const answer = messageItem('assistant', '');
  answer.item.classList.add('is-streaming');
  const typing = el('span', 'typing');
  typing.setAttribute('aria-hidden', 'true');
  typing.append(el('span'), el('span'), el('span'));
  answer.bubble.append(typing);
  keepInView(() => els.messages.append(user.item, answer.item));
  scrollToEnd();

  const controller = new AbortController();
  state.turn = controller;
  setBusy(true);
  els.activity.textContent = 'The assistant is answering…';

  /** @type {Map<string, { chip: HTMLElement, call: Record<string, unknown> }>} */
  const chips = new Map();
  let finished = false;
  let answerText = '';

  const onEvent = (event) => {
    switch (event.type) {
      case 'token': {
        if (typeof event.content !== 'string') return;
        keepInView(() => {
          typing.remove();
          answer.content.appendData(event.content);
          answerText += event.content;
        });
        return;
      }
      case 'tool_call': {
        const id = String(event.id ?? chips.size);
        if (chips.has(id)) return;
        const chip = toolChip(event, 'running');
        chips.set(id, { chip, call: event });
        keepInView(() => toolList(answer.body).append(chip));
        els.activity.textContent = toolLabel(event.name, event.arguments, 'running');
        return;
      }
      case 'tool_result': {
        const entry = chips.get(String(event.id ?? ''));
        if (!entry) return;
        const phase = event.status === 'error' ? 'error' : 'ok';
        setChipPhase(entry.chip, entry.call, phase);
        els.activity.textContent = toolLabel(entry.call.name, entry.call.arguments, phase);
        return;
      }
      case 'done':
        finished = true;
        // While a person has the session the notice is not the assistant's answer: nothing to rate.
        if (answerText && typeof event.turn_id === 'string' && !state.feed)
          answer.body.append(feedbackControl(event.turn_id));
        // The assistant handed the conversation to a person: their replies come on the live feed.
        if ([...chips.values()].some((entry) => entry.call.name === 'handoff_to_human'))
          followWhileHandedOff();
        return;
      case 'error':
        finished = true;
        typing.remove();
        if (!answerText) answer.bubble.hidden = true;
        noticeIn(
          answer.body,
          'error',
          typeof event.message === 'string' ? event.message : 'The answer could not be completed.',
        );
        return;
      case 'awaiting_approval':
        // A tool call waits for a team member (TOOLS_REQUIRING_APPROVAL): the answer comes later.
        finished = true;
        typing.remove();
        if (!answerText) answer.bubble.hidden = true;
        noticeIn(
          answer.body,
          'info',
          'This request needs a team member’s approval. The answer will be in this conversation once it is decided.',
          { label: 'Reload the conversation', run: () => loadHistory() },
        );
        return;
      default:
        // Event types this page does not know yet are ignored.
        return;
    }
  };

  try {
    let lastId = await streamChat({ sessionId, message }, credentials(), onEvent, controller.signal);
    // The connection dropped before the last event. A server that numbers its events can replay the rest.
    while (!finished && lastId) {
      const resumedFrom = lastId;
      try {
        lastId = await resumeTurn(sessionId, resumedFrom, credentials(), onEvent, controller.signal);
      } catch (err) {
        if (err instanceof DOMException && err.name === 'AbortError') throw err;
        // Not resumable here (older server, turn expired): the notice below offers the stored history.
        break;
      }
      if (lastId === resumedFrom) break;
    }
    if (!finished) {
      typing.remove();
      noticeIn(answer.body, 'error', 'The connection was lost before the answer was complete.', {
        label: 'Reload the conversation',
        run: () => loadHistory(),
      });
    }
  } catch (err) {
    typing.remove();
    if (err instanceof DOMException && err.name === 'AbortError') {
      if (!answerText) answer.bubble.hidden = true;
      noticeIn(answer.body, 'info', 'You stopped this answer.');
    } else if (err instanceof ApiError && err.status === 401 && !finished && !answerText) {
      // Nothing was sent to the agent: take the message back and ask for a key.
      user.item.remove();
      answer.item.remove();
      showWelcome(els.messages.childElementCount === 0);
      els.input.value = message;
      autoGrow();
      showKeyPanel(keyPrompt(), () => submitComposer());
    } else if (!finished) {
      if (!answerText) answer.bubble.hidden = true;
      noticeIn(answer.body, 'error', errorText(err), {
        label: 'Try again',
        run: () => {
          if (state.turn) return;
          user.item.remove();
          answer.item.remove();
          void sendMessage(message);
        },
      });
    }
  } finally {
    answer.item.classList.remove('is-streaming');
    if (!answerText && !answer.body.querySelector('.notice')) answer.bubble.hidden = true;
    state.turn = null;
    setBusy(false);
    els.activity.textContent = '';
    if (answerText) announce(`Assistant: ${answerText}`);
    const notice = answer.body.querySelector('.notice-error .notice-text');
    if (notice) announce(notice.textContent ?? '');
  }
}

async function loadHistory() {
  if (!state.sessionId) {
    renderHistory(null);
    return;
  }
  els.messages.setAttribute('aria-busy', 'true');
  try {
    const history = await fetchHistory(state.sessionId, credentials());
    renderHistory(history);
    if (history?.status === 'handoff') followWhileHandedOff();
    else stopFollowing();
  } catch (err) {
    renderHistory(null);
    if (err instanceof ApiError && err.status === 401) {
      showKeyPanel(keyPrompt(), () => void loadHistory());
      return;
    }
    showWelcome(false);
    const view = messageItem('assistant', '');
    view.bubble.hidden = true;
    noticeIn(view.body, 'error', `The conversation could not be loaded. ${errorText(err)}`, {
      label: 'Try again',
      run: () => void loadHistory(),
    });
    els.messages.append(view.item);
  } finally {
    els.messages.setAttribute('aria-busy', 'false');
  }
}

// ---- the composer ----------------------------------------------------------------------------

function autoGrow() {
  const input = els.input;
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
}

function submitComposer() {
  if (state.turn) return;
  const text = els.input.value;
  if (!text.trim()) {
    els.input.focus();
    return;
  }
  els.input.value = '';
  autoGrow();
  void sendMessage(text);
  els.input.focus();
}

els.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  if (state.turn) {
    state.turn.abort();
    els.input.focus();
    return;
  }
  submitComposer();
});

els.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submitComposer();
  } else if (event.key === 'Escape' && state.turn) {
    state.turn.abort();
  }
});

els.input.addEventListener('input', autoGrow);

for (const button of document.querySelectorAll('.suggestion')) {
  button.addEventListener('click', () => {
    if (state.turn) return;
    void sendMessage(button.textContent ?? '');
    els.input.focus();
  });
}

els.newConversation.addEventListener('click', () => {
  state.turn?.abort();
  state.sessionId = '';
  write(localStorage, STORAGE.session(state.tenant), '');
  els.messages.replaceChildren();
  showWelcome(true);
  announce('New conversation started.');
  els.input.focus();
});

els.keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = els.keyInput.value.trim();
  if (!key) {
    els.keyInput.focus();
    return;
  }
  state.apiKey = key;
  write(sessionStorage, STORAGE.apiKey, key);
  syncForgetKey();
  hideKeyPanel();
  els.input.focus();
  const retry = state.afterKey;
  state.afterKey = null;
  retry?.();
});

els.settingsForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const tenant = els.tenant.value.trim();
  els.settings.open = false;
  if (tenant !== state.tenant) {
    state.turn?.abort();
    stopFollowing();
    write(localStorage, STORAGE.tenant, tenant);
    useSession(tenant);
    void loadHistory();
  }
  els.input.focus();
});

els.settings.addEventListener('toggle', () => {
  if (els.settings.open) els.tenant.focus();
});

els.settings.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && els.settings.open) {
    els.settings.open = false;
    els.settings.querySelector('summary')?.focus();
  }
});

els.forgetKey.addEventListener('click', () => {
  state.apiKey = '';
  write(sessionStorage, STORAGE.apiKey, '');
  syncForgetKey();
  els.settings.open = false;
  els.input.focus();
});

// ---- start -----------------------------------------------------------------------------------

els.tenant.value = state.tenant;
useSession(state.tenant);
syncForgetKey();
setBusy(false);
document.documentElement.classList.add('is-ready');
els.input.focus({ preventScroll: true });
void loadHistory();
