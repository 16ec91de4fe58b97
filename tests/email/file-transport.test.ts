import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createMailer } from '../../src/tools/email/mailer.js';
import { createEmailTools } from '../../src/tools/email/tools.js';
import { makeOrder, orderReader, runTool, silentLogger } from './fixtures.js';
import { attachmentsOf, parseMime, textOf } from './mime.js';

describe('file transport (EMAIL_TRANSPORT=file)', () => {
  let tmp: string;
  let outbox: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'email-outbox-'));
    outbox = path.join(tmp, 'data', 'outbox');
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  function setup(env: Record<string, string> = {}) {
    const config = loadConfig({ EMAIL_OUTBOX_DIR: outbox, SENDER_NAME: 'Acme, Inc.', ...env });
    const mailer = createMailer({ config, logger: silentLogger });
    const tools = createEmailTools({
      mailer,
      access: 'tenant',
      config,
      orders: orderReader({
        'tenant-a': [makeOrder({ order_id: 5, customer_name: 'Eve <img src=x onerror=alert(1)>' })],
      }),
    });
    return { config, mailer, tools };
  }

  function emlFiles(): string[] {
    return fs.readdirSync(outbox).filter((f) => f.endsWith('.eml'));
  }

  it('is the default without an SMTP server and writes a readable .eml with the right headers', async () => {
    const { config, mailer, tools } = setup();
    expect(config.emailTransport).toBe('file');
    const result = (await runTool(tools, 'send_email', {
      to: 'ann@example.com',
      cc: 'carl@example.com',
      bcc: 'dora@example.com',
      subject: 'Outbox test',
      body: 'Written to disk.',
    })) as { status: string; message_id: string; recipients: string[] };
    expect(result.status).toBe('sent');
    expect(result.recipients).toEqual(['ann@example.com', 'carl@example.com', 'dora@example.com']);

    const files = fs.readdirSync(outbox);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z-[A-Za-z0-9-]+\.eml$/);
    const raw = fs.readFileSync(path.join(outbox, files[0]!), 'utf8');
    expect(raw).toContain('\r\n');
    const msg = parseMime(raw);
    expect(msg.headers.get('from')).toBe('"Acme, Inc." <no-reply@localhost>');
    expect(msg.headers.get('to')).toBe('ann@example.com');
    expect(msg.headers.get('cc')).toBe('carl@example.com');
    // The outbox is a local record: it keeps the Bcc list that SMTP delivery would hide.
    expect(msg.headers.get('bcc')).toBe('dora@example.com');
    expect(msg.headers.get('subject')).toBe('Outbox test');
    expect(msg.headers.get('message-id')).toBe(result.message_id);
    expect(msg.headers.get('date')).toBeTruthy();
    expect(textOf(msg, 'text/plain')).toBe('Written to disk.');
    await mailer.close();
  });

  it('uses SENDER_EMAIL as the sender when it is set', async () => {
    const { mailer } = setup({ SENDER_EMAIL: 'support@acme.test' });
    await mailer.send({ to: ['ann@example.com'], subject: 'From check', text: 'x' });
    const msg = parseMime(fs.readFileSync(path.join(outbox, emlFiles()[0]!), 'utf8'));
    expect(msg.headers.get('from')).toBe('"Acme, Inc." <support@acme.test>');
    await mailer.close();
  });

  it('writes templated order mails and attachments exactly as they would be sent', async () => {
    const { mailer, tools } = setup();
    await runTool(tools, 'send_order_confirmation', { order_id: 5 });
    await runTool(tools, 'send_email_with_attachment', {
      to: 'ann@example.com',
      subject: 'Report',
      body: 'Attached.',
      attachments: [{ filename: 'r.csv', content: 'a,b\n', content_type: 'text/csv' }],
    });
    const messages = emlFiles().map((f) => parseMime(fs.readFileSync(path.join(outbox, f), 'utf8')));
    expect(messages).toHaveLength(2);
    const confirmation = messages.find((m) => m.headers.get('subject') === 'Order #5 confirmation')!;
    const html = textOf(confirmation, 'text/html')!;
    expect(html).toContain('Eve &lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
    const report = messages.find((m) => m.headers.get('subject') === 'Report')!;
    expect(attachmentsOf(report)).toEqual([
      { filename: 'r.csv', contentType: 'text/csv', content: Buffer.from('a,b\n') },
    ]);
    await mailer.close();
  });

  it('gives every message its own file and leaves no temporary files behind', async () => {
    const { mailer } = setup();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        mailer.send({ to: ['ann@example.com'], subject: `Mail ${i}`, text: 'x' }),
      ),
    );
    expect(new Set(results.map((r) => r.messageId)).size).toBe(8);
    expect(emlFiles()).toHaveLength(8);
    expect(fs.readdirSync(outbox).filter((f) => !f.endsWith('.eml'))).toEqual([]);
    await mailer.close();
  });

  it('recreates the outbox when it is removed while running', async () => {
    const { mailer } = setup();
    await mailer.send({ to: ['ann@example.com'], subject: 'First', text: 'x' });
    fs.rmSync(outbox, { recursive: true, force: true });
    await mailer.send({ to: ['ann@example.com'], subject: 'Second', text: 'x' });
    expect(emlFiles()).toHaveLength(1);
    await mailer.close();
  });

  it('reports an outbox that cannot be written as a tool error without the folder path', async () => {
    const blocker = path.join(tmp, 'file');
    fs.writeFileSync(blocker, 'x');
    outbox = path.join(blocker, 'outbox');
    const { mailer, tools } = setup();
    await expect(
      runTool(tools, 'send_email', { to: 'ann@example.com', subject: 'x', body: 'y' }),
    ).rejects.toThrow(/^The e-mail could not be stored in the outbox folder\.$/);
    await mailer.close();
  });
});
