// The web chat page's client of the agent API: JSON errors in the common envelope, and a reader for
// Server-Sent Events sent in the body of a POST (EventSource can only GET).

/** An API failure with the envelope's code and message (or a network failure, status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {{ requestId?: string, retryAfter?: number }} [extra]
   */
  constructor(status, code, message, extra = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = extra.requestId;
    this.retryAfter = extra.retryAfter;
  }
}

const GENERIC_MESSAGES = {
  0: 'The service cannot be reached. Check your connection and try again.',
  401: 'This service needs an API key.',
  403: 'This API key does not give access to that tenant.',
  404: 'Not found.',
  429: 'Too many requests. Please wait a moment and try again.',
  500: 'Something went wrong on our side. Please try again.',
  502: 'The assistant could not answer right now. Please try again.',
  503: 'The assistant is not available right now. Please try again shortly.',
  504: 'The assistant took too long to answer. Please try again.',
};

/** @param {number} status */
function genericMessage(status) {
  return GENERIC_MESSAGES[status] ?? `The request failed (HTTP ${status}).`;
}

/**
 * Turns a non-2xx response into an ApiError, reading the error envelope when there is one.
 * @param {Response} response
 */
async function errorFrom(response) {
  let code = `HTTP_${response.status}`;
  let message = genericMessage(response.status);
  let requestId = response.headers.get('x-request-id') ?? undefined;
  try {
    const body = await response.json();
    if (body && typeof body === 'object') {
      if (typeof body.error === 'string') code = body.error;
      if (typeof body.message === 'string' && body.message.trim() !== '') message = body.message;
      if (typeof body.request_id === 'string') requestId = body.request_id;
    }
  } catch {
    // Not JSON (a proxy's error page): the generic message for the status stays.
  }
  const retryHeader = Number(response.headers.get('retry-after'));
  const retryAfter = Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : undefined;
  return new ApiError(response.status, code, message, { requestId, retryAfter });
}

/**
 * Splits a byte stream of Server-Sent Events into events: `{ data, id?, event? }` per blank-line
 * terminated block. Comments (`: ping`) are skipped; lines may end in \n, \r\n or \r and may be split
 * anywhere across chunks.
 * @param {ReadableStream<Uint8Array>} body
 * @returns {AsyncGenerator<{ data: string, id?: string, event?: string }>}
 */
export async function* readSse(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  /** @type {string[]} */
  let data = [];
  /** @type {string | undefined} */
  let id;
  /** @type {string | undefined} */
  let event;
  /** @type {{ data: string, id?: string, event?: string }[]} */
  const ready = [];

  /** Consumes the complete lines in the buffer; at the end of the stream a trailing \r ends a line too. */
  const drain = (final) => {
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer);
      // A lone \r at the end may be the first half of \r\n: wait for the next chunk.
      if (!match || (!final && match[0] === '\r' && match.index === buffer.length - 1)) return;
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === '') {
        if (data.length > 0) ready.push({ data: data.join('\n'), id, event });
        data = [];
        event = undefined;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else if (field === 'event') event = value;
    }
  };

  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (!done) buffer += value;
      drain(done);
      while (ready.length > 0)
        yield/** @type {{ data: string, id?: string, event?: string }} */ (ready.shift());
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * @typedef {{ apiKey?: string, tenantId?: string }} Credentials
 */

/** @param {Credentials} credentials */
function headersFor(credentials, extra = {}) {
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json', ...extra };
  if (credentials.apiKey) headers['X-API-Key'] = credentials.apiKey;
  return headers;
}

/** @param {Credentials} credentials */
function tenantQuery(credentials) {
  return credentials.tenantId ? `?tenant_id=${encodeURIComponent(credentials.tenantId)}` : '';
}

/**
 * @param {string} url
 * @param {RequestInit} init
 */
async function send(url, init) {
  try {
    return await fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'NETWORK_ERROR', genericMessage(0));
  }
}

/**
 * The session's messages, or null when the server does not know the session (new or expired).
 * @param {string} sessionId
 * @param {Credentials} credentials
 */
export async function fetchHistory(sessionId, credentials) {
  const url = `api/v1/sessions/${encodeURIComponent(sessionId)}/history${tenantQuery(credentials)}`;
  const response = await send(url, { headers: headersFor(credentials) });
  if (response.status === 404) return null;
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

/**
 * Follows a session's live feed (new messages of any role, status changes) until it ends or
 * `signal` aborts. Resolves when the feed ends; rejects with ApiError when it could not be opened.
 * @param {string} sessionId
 * @param {Credentials} credentials
 * @param {(event: Record<string, unknown>) => void} onEvent
 * @param {AbortSignal} signal
 */
export async function followSession(sessionId, credentials, onEvent, signal) {
  const url = `api/v1/sessions/${encodeURIComponent(sessionId)}/events${tenantQuery(credentials)}`;
  const response = await send(url, {
    headers: headersFor(credentials, { Accept: 'text/event-stream' }),
    signal,
  });
  if (!response.ok) throw await errorFrom(response);
  await forwardEvents(response, (event) => onEvent(event));
}

/**
 * Reads the events of an open stream response, calling `onEvent(event, id)` for each JSON event.
 * Resolves with the last event id seen (or undefined) once the stream ends.
 * @param {Response} response
 * @param {(event: Record<string, unknown>, id: string | undefined) => void} onEvent
 */
async function forwardEvents(response, onEvent) {
  /** @type {string | undefined} */
  let lastId;
  if (!response.body) return lastId;
  try {
    for await (const message of readSse(response.body)) {
      if (message.id) lastId = message.id;
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        continue;
      }
      if (event && typeof event === 'object') onEvent(event, message.id);
    }
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    // The connection broke mid-stream: the caller sees a stream that ended without its last event.
  }
  return lastId;
}

/** @param {Response} response */
function isEventStream(response) {
  return (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
}

/**
 * Sends a message and streams the turn's events. Failures before the stream starts (validation,
 * auth, rate limits, a busy session, a provider down) reject with an ApiError; once streaming, the
 * server reports failures as `error` events. Resolves with the last SSE id seen when the stream ends.
 * @param {{ sessionId: string, message: string }} turn
 * @param {Credentials} credentials
 * @param {(event: Record<string, unknown>, id: string | undefined) => void} onEvent
 * @param {AbortSignal} signal
 */
export async function streamChat(turn, credentials, onEvent, signal) {
  /** @type {Record<string, string>} */
  const body = { session_id: turn.sessionId, message: turn.message };
  if (credentials.tenantId) body.tenant_id = credentials.tenantId;
  const response = await send('api/v1/chat/stream', {
    method: 'POST',
    headers: headersFor(credentials, { 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok || !isEventStream(response)) throw await errorFrom(response);
  return forwardEvents(response, onEvent);
}

/**
 * Replays a turn's events after `lastEventId`, then follows it live. Servers that send SSE ids of the
 * form `<turn_id>:<seq>` offer this for a dropped stream; rejects with an ApiError (404) on servers
 * that do not.
 * @param {string} sessionId
 * @param {string} lastEventId
 * @param {Credentials} credentials
 * @param {(event: Record<string, unknown>, id: string | undefined) => void} onEvent
 * @param {AbortSignal} signal
 */
export async function resumeTurn(sessionId, lastEventId, credentials, onEvent, signal) {
  const turnId = lastEventId.slice(0, lastEventId.lastIndexOf(':'));
  if (!turnId) throw new ApiError(404, 'NOT_FOUND', 'This stream cannot be resumed.');
  const url =
    `api/v1/sessions/${encodeURIComponent(sessionId)}/turns/${encodeURIComponent(turnId)}/events` +
    tenantQuery(credentials);
  const response = await send(url, {
    headers: headersFor(credentials, { Accept: 'text/event-stream', 'Last-Event-ID': lastEventId }),
    signal,
  });
  if (!response.ok || !isEventStream(response)) throw await errorFrom(response);
  return forwardEvents(response, onEvent);
}

/**
 * Rates an answer (`turnId`) or, without one, the whole conversation: `rating` 1..5. A later rating
 * of the same answer replaces the earlier one. Resolves with the stored rating; rejects with ApiError.
 * @param {string} sessionId
 * @param {{ turnId?: string, rating: number, comment?: string }} feedback
 * @param {Credentials} credentials
 */
export async function sendFeedback(sessionId, feedback, credentials) {
  /** @type {Record<string, string | number>} */
  const body = { rating: feedback.rating };
  if (feedback.turnId) body.turn_id = feedback.turnId;
  if (feedback.comment) body.comment = feedback.comment;
  const url = `api/v1/sessions/${encodeURIComponent(sessionId)}/feedback${tenantQuery(credentials)}`;
  const response = await send(url, {
    method: 'POST',
    headers: headersFor(credentials, { 'Content-Type': 'application/json' }),
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}
