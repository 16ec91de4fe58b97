import { replaceControlChars } from './validation.js';

export type MailFailureKind =
  | 'unreachable'
  | 'timeout'
  | 'tls'
  | 'auth'
  | 'rejected'
  | 'aborted'
  | 'outbox'
  | 'closed'
  | 'failed';

/**
 * A delivery failure whose message may be shown to the model and the user: it says what went wrong
 * in terms they can act on, never the password, and no more of the server than its reply.
 */
export class MailerError extends Error {
  constructor(
    readonly kind: MailFailureKind,
    message: string,
    readonly smtpCode?: number,
  ) {
    super(message);
    this.name = 'MailerError';
  }
}

/** The fields nodemailer attaches to its errors (see NodemailerError in its typings). */
interface NodemailerFailure {
  name?: string;
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  rejected?: string[];
  timeoutType?: string;
}

function asFailure(err: unknown): NodemailerFailure {
  return typeof err === 'object' && err !== null ? (err as NodemailerFailure) : {};
}

/** Removes secrets and line noise from a server reply before it goes into a message. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('****');
  out = replaceControlChars(out).replace(/\s+/g, ' ').trim();
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}

const UNREACHABLE_CODES = new Set(['ECONNECTION', 'ESOCKET', 'EDNS', 'EPROXY']);

/** Translates whatever nodemailer threw into a MailerError with a safe, useful message. */
export function toMailerError(err: unknown, secrets: readonly string[]): MailerError {
  if (err instanceof MailerError) return err;
  const failure = asFailure(err);
  const code = failure.code;
  if (code === 'EABORT' || failure.name === 'AbortError') {
    return new MailerError('aborted', 'Sending the e-mail was cancelled.');
  }
  if (code === 'ETIMEDOUT') {
    return new MailerError('timeout', 'The mail server did not respond in time.');
  }
  if (code === 'ETLS' || code === 'EREQUIRETLS') {
    return new MailerError('tls', 'A secure connection to the mail server could not be established.');
  }
  if (code === 'EAUTH' || code === 'ENOAUTH') {
    return new MailerError(
      'auth',
      'The mail server refused the sender credentials; check SENDER_EMAIL and SENDER_PASSWORD.',
      failure.responseCode,
    );
  }
  if (failure.responseCode !== undefined && failure.responseCode >= 400) {
    const reply = scrub(failure.response ?? String(failure.responseCode), secrets);
    const what = failure.rejected?.length
      ? `the recipient${failure.rejected.length > 1 ? 's' : ''} ${failure.rejected.join(', ')}`
      : 'the message';
    return new MailerError('rejected', `The mail server rejected ${what}: ${reply}`, failure.responseCode);
  }
  if ((code && UNREACHABLE_CODES.has(code)) || failure.originalCode === 'ECONNREFUSED') {
    return new MailerError('unreachable', 'The mail server is unreachable.');
  }
  return new MailerError('failed', 'The e-mail could not be sent.');
}
