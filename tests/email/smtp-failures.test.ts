import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MailerError } from '../../src/tools/email/mail-errors.js';
import { createMailer } from '../../src/tools/email/mailer.js';
import { createEmailTools } from '../../src/tools/email/tools.js';
import { ToolError } from '../../src/tools/registry.js';
import { fastSmtp, orderReader, runTool, silentLogger, smtpConfig, toolContext } from './fixtures.js';
import { deadPort, startSilentServer, startSmtpServer } from './smtp-harness.js';

const mail = { to: 'ann@example.com', subject: 'Hello', body: 'Body text' };

async function toolFailure(promise: Promise<unknown>): Promise<ToolError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ToolError) return err;
    throw err;
  }
  throw new Error('expected the tool to fail');
}

describe('SMTP failures become tool errors the model can explain', () => {
  it('nothing listening on the SMTP port → "unreachable"', async () => {
    const config = smtpConfig(await deadPort());
    const mailer = createMailer({ config, logger: silentLogger, options: fastSmtp });
    const tools = createEmailTools({ mailer, config, orders: orderReader({}), access: 'tenant' });
    try {
      const err = await toolFailure(runTool(tools, 'send_email', mail));
      expect(err.message).toBe('The mail server is unreachable.');
      expect(err.details).toEqual({ reason: 'unreachable' });
      expect(err.message).not.toContain('127.0.0.1');
    } finally {
      await mailer.close();
    }
  });

  it('server stopped after a successful send → the next send fails as unreachable', async () => {
    const smtp = await startSmtpServer();
    const config = smtpConfig(smtp.port);
    const mailer = createMailer({ config, logger: silentLogger, options: fastSmtp });
    const tools = createEmailTools({ mailer, config, orders: orderReader({}), access: 'tenant' });
    try {
      await expect(runTool(tools, 'send_email', mail)).resolves.toMatchObject({ status: 'sent' });
      await smtp.close();
      const err = await toolFailure(runTool(tools, 'send_email', mail));
      expect(err.message).toBe('The mail server is unreachable.');
      expect(err.details).toEqual({ reason: 'unreachable' });
    } finally {
      await mailer.close();
    }
  });

  it('a server that accepts the connection but never greets → "did not respond in time"', async () => {
    const hung = await startSilentServer();
    const config = smtpConfig(hung.port);
    const mailer = createMailer({
      config,
      logger: silentLogger,
      options: { ...fastSmtp, greetingTimeoutMs: 200, connectionTimeoutMs: 300, socketTimeoutMs: 300 },
    });
    const tools = createEmailTools({ mailer, config, orders: orderReader({}), access: 'tenant' });
    try {
      const err = await toolFailure(runTool(tools, 'send_email', mail));
      expect(err.message).toBe('The mail server did not respond in time.');
      expect(err.details).toEqual({ reason: 'timeout' });
    } finally {
      await mailer.close();
      await hung.close();
    }
  });

  it('a recipient refused with 550 → the reply is shown to the model', async () => {
    const smtp = await startSmtpServer({ refusePrefix: 'gone' });
    const config = smtpConfig(smtp.port);
    const mailer = createMailer({ config, logger: silentLogger, options: fastSmtp });
    const tools = createEmailTools({ mailer, config, orders: orderReader({}), access: 'tenant' });
    try {
      const err = await toolFailure(runTool(tools, 'send_email', { ...mail, to: 'gone@example.com' }));
      expect(err.message).toBe(
        'The mail server rejected the recipient gone@example.com: 550 Mailbox unavailable',
      );
      expect(err.details).toEqual({ reason: 'rejected' });
      expect(smtp.received).toHaveLength(0);
    } finally {
      await mailer.close();
      await smtp.close();
    }
  });

  it('a refused login never shows the password, in the error or in the logs', async () => {
    const password = 'Sup3r-Secret-Pa55!';
    const logLines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'trace' }, sink);
    const smtp = await startSmtpServer({ credentials: { user: 'shop@example.com', pass: 'another one' } });
    const config = smtpConfig(smtp.port, { SENDER_PASSWORD: password });
    const mailer = createMailer({ config, logger, options: fastSmtp });
    const tools = createEmailTools({ mailer, config, orders: orderReader({}), access: 'tenant' });
    try {
      const err = await toolFailure(runTool(tools, 'send_email', mail, { ...toolContext(), logger }));
      expect(err.message).toBe(
        'The mail server refused the sender credentials; check SENDER_EMAIL and SENDER_PASSWORD.',
      );
      const verifyError = await mailer.verify().catch((e: unknown) => e);
      expect(verifyError).toBeInstanceOf(MailerError);
      expect(JSON.stringify({ err, details: err.details, verify: String(verifyError) })).not.toContain(
        password,
      );
      expect(logLines.length).toBeGreaterThan(0);
      expect(logLines.join('\n')).not.toContain(password);
      expect(smtp.received).toHaveLength(0);
    } finally {
      await mailer.close();
      await smtp.close();
    }
  });

  it('a mailer that was closed refuses to send instead of hanging', async () => {
    const config = smtpConfig(await deadPort());
    const mailer = createMailer({ config, logger: silentLogger, options: fastSmtp });
    await mailer.close();
    await expect(mailer.send({ to: ['ann@example.com'], subject: 'x', text: 'y' })).rejects.toMatchObject({
      kind: 'closed',
    });
  });
});
