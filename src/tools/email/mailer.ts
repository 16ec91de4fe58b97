import type { ConnectionOptions } from 'node:tls';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config/index.js';
import { raceAbort } from '../../lib/abort.js';
import { MailerError, toMailerError } from './mail-errors.js';
import { createOutbox } from './outbox.js';

export type MailerConfig = Pick<
  AppConfig,
  | 'emailTransport'
  | 'SMTP_SERVER'
  | 'SMTP_PORT'
  | 'SENDER_EMAIL'
  | 'SENDER_PASSWORD'
  | 'SENDER_NAME'
  | 'EMAIL_OUTBOX_DIR'
>;

export interface MailerOptions {
  /** Milliseconds to open the TCP connection (default 10 s). */
  connectionTimeoutMs?: number;
  /** Milliseconds to wait for the server greeting (default 10 s). */
  greetingTimeoutMs?: number;
  /** Milliseconds of silence tolerated on an open connection (default 10 s). */
  socketTimeoutMs?: number;
  /** Never upgrade with STARTTLS, for a plaintext server on loopback (tests, local relays). */
  ignoreTLS?: boolean;
  /** Extra TLS options, e.g. a private CA for an internal relay. */
  tls?: ConnectionOptions;
  /** Pooled SMTP connections (default 3). */
  maxConnections?: number;
}

export interface MailAttachment {
  filename: string;
  content: Buffer;
  contentType?: string;
}

export interface OutgoingMail {
  to: readonly string[];
  cc?: readonly string[];
  bcc?: readonly string[];
  subject: string;
  text?: string;
  html?: string;
  attachments?: readonly MailAttachment[];
  signal?: AbortSignal;
}

export interface SendResult {
  messageId: string;
  accepted: string[];
  /** Recipients the server refused while accepting the others. */
  rejected: string[];
}

export const DEFAULT_SMTP_TIMEOUT_MS = 10_000;
export const FALLBACK_SENDER = 'no-reply@localhost';

function abortError(): MailerError {
  return new MailerError('aborted', 'Sending the e-mail was cancelled.');
}

/** Resolves with the work, or rejects as soon as the signal aborts (the work itself carries on). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return signal ? raceAbort(work, signal, abortError) : work;
}

function toAddressList(list: readonly string[] | undefined): string[] | undefined {
  return list && list.length > 0 ? [...list] : undefined;
}

/**
 * Sends mail through a pooled SMTP transport, or writes each message as an `.eml` file into an
 * outbox folder. Both build the message with nodemailer, so the file is exactly what would have
 * gone over the wire. Failures surface as MailerError with a message that is safe to show.
 */
export function createMailer(deps: { config: MailerConfig; logger: Logger; options?: MailerOptions }) {
  const { config, options = {} } = deps;
  const logger = deps.logger.child({ component: 'mailer' });
  const secrets = config.SENDER_PASSWORD ? [config.SENDER_PASSWORD] : [];
  const senderAddress = config.SENDER_EMAIL ?? FALLBACK_SENDER;
  const from = { name: config.SENDER_NAME, address: senderAddress };
  // Content always arrives inline; never let a message make the process read a file or fetch a URL.
  const contentPolicy = { disableFileAccess: true, disableUrlAccess: true } as const;
  let closed = false;

  const smtp =
    config.emailTransport === 'smtp'
      ? nodemailer.createTransport(
          {
            pool: true,
            host: config.SMTP_SERVER,
            port: config.SMTP_PORT,
            // 465 is implicit TLS; elsewhere nodemailer upgrades with STARTTLS when the server offers it.
            secure: config.SMTP_PORT === 465,
            ignoreTLS: options.ignoreTLS ?? false,
            tls: options.tls,
            auth: config.SENDER_PASSWORD ? { user: senderAddress, pass: config.SENDER_PASSWORD } : undefined,
            connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS,
            greetingTimeout: options.greetingTimeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS,
            socketTimeout: options.socketTimeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS,
            maxConnections: options.maxConnections ?? 3,
            // A message caught by a dropped connection is retried once, not five times.
            maxRequeues: 1,
            logger: false,
            ...contentPolicy,
          },
          { from },
        )
      : undefined;
  // An unhandled 'error' event would end the process; the failing send reports it anyway.
  smtp?.on('error', (err: Error) => {
    logger.warn({ code: (err as NodeJS.ErrnoException).code }, 'SMTP transport error');
  });

  const composer = smtp
    ? undefined
    : nodemailer.createTransport(
        { streamTransport: true, buffer: true, newline: 'windows', ...contentPolicy },
        { from },
      );
  const outbox = smtp ? undefined : createOutbox(config.EMAIL_OUTBOX_DIR);

  function toNodemailer(message: OutgoingMail): SendMailOptions {
    return {
      to: [...message.to],
      cc: toAddressList(message.cc),
      bcc: toAddressList(message.bcc),
      subject: message.subject,
      text: message.text,
      html: message.html,
      attachments: message.attachments?.map((a) => ({
        filename: a.filename,
        content: a.content,
        contentType: a.contentType,
      })),
      signal: message.signal,
    };
  }

  async function sendSmtp(message: OutgoingMail): Promise<SendResult> {
    const info = await smtp!.sendMail(toNodemailer(message));
    return {
      messageId: info.messageId,
      accepted: info.accepted.map(String),
      rejected: info.rejected.map(String),
    };
  }

  async function sendToOutbox(message: OutgoingMail): Promise<SendResult> {
    const info = await composer!.sendMail(toNodemailer(message)).catch((err: unknown) => {
      throw toMailerError(err, secrets);
    });
    if (!Buffer.isBuffer(info.message)) throw new MailerError('failed', 'The e-mail could not be composed.');
    const localPart = info.messageId.replace(/^<|>$/g, '').split('@')[0] ?? '';
    try {
      const file = await outbox!.write(info.message, localPart, message.signal);
      logger.debug({ file }, 'e-mail written to the outbox');
    } catch (err) {
      if (message.signal?.aborted) throw abortError();
      logger.error({ code: (err as NodeJS.ErrnoException).code, dir: outbox!.dir }, 'outbox write failed');
      throw new MailerError('outbox', 'The e-mail could not be stored in the outbox folder.');
    }
    return { messageId: info.messageId, accepted: info.envelope.to.map(String), rejected: [] };
  }

  return {
    transport: config.emailTransport,

    async send(message: OutgoingMail): Promise<SendResult> {
      if (closed)
        throw new MailerError('closed', 'The mail service is shutting down; the e-mail was not sent.');
      if (message.signal?.aborted) throw abortError();
      try {
        const result = smtp ? await sendSmtp(message) : await sendToOutbox(message);
        logger.info(
          {
            transport: config.emailTransport,
            messageId: result.messageId,
            recipients: result.accepted.length,
          },
          'e-mail sent',
        );
        return result;
      } catch (err) {
        const failure = toMailerError(err, secrets);
        const raw = err as { code?: string; responseCode?: number; command?: string };
        logger.warn(
          { kind: failure.kind, code: raw?.code, responseCode: raw?.responseCode, command: raw?.command },
          'e-mail not sent',
        );
        throw failure;
      }
    },

    /** Connects and authenticates (SMTP) or proves the outbox folder is writable (file). */
    async verify(signal?: AbortSignal): Promise<void> {
      if (signal?.aborted) throw abortError();
      try {
        if (smtp) await untilAborted(smtp.verify(), signal);
        else await outbox!.checkWritable(signal);
      } catch (err) {
        if (err instanceof MailerError) throw err;
        if (!smtp) {
          throw new MailerError(
            'outbox',
            `The outbox folder is not writable (${(err as NodeJS.ErrnoException).code}).`,
          );
        }
        throw toMailerError(err, secrets);
      }
    },

    /** Closes the SMTP pool (a delivery under way finishes first) or waits for outbox writes. */
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      if (smtp) smtp.close();
      if (composer) composer.close();
      await outbox?.drain();
    },
  };
}

export type Mailer = ReturnType<typeof createMailer>;
