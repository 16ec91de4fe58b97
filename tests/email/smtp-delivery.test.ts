import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMailer, type Mailer } from '../../src/tools/email/mailer.js';
import { createEmailTools } from '../../src/tools/email/tools.js';
import { type Tool, ToolError } from '../../src/tools/registry.js';
import {
  fastSmtp,
  makeOrder,
  orderReader,
  runTool,
  silentLogger,
  smtpConfig,
  toolContext,
} from './fixtures.js';
import { attachmentsOf, parseMime, textOf } from './mime.js';
import { type SmtpHarness, startSmtpServer } from './smtp-harness.js';

describe('e-mail tools over a real SMTP server', () => {
  let smtp: SmtpHarness;
  let mailer: Mailer;
  let tools: Tool[];

  beforeAll(async () => {
    smtp = await startSmtpServer();
    const config = smtpConfig(smtp.port, { EMAIL_MAX_RECIPIENTS: '4' });
    mailer = createMailer({ config, logger: silentLogger, options: fastSmtp });
    tools = createEmailTools({
      mailer,
      access: 'tenant',
      config,
      orders: orderReader({
        'tenant-a': [
          makeOrder({ order_id: 7, customer_name: '<script>alert("pwned")</script>', order_amount: 19.9 }),
          makeOrder({ order_id: 8, customer_email: null }),
          makeOrder({ order_id: 9, status: 'SHIPPED', customer_email: 'grace@example.com' }),
        ],
        'tenant-b': [makeOrder({ order_id: 100, customer_email: 'b-customer@example.com' })],
      }),
    });
  });

  afterAll(async () => {
    await mailer.close();
    await smtp.close();
  });

  beforeEach(() => {
    smtp.received.length = 0;
  });

  it('send_email delivers to every to/cc/bcc recipient with the right headers and body', async () => {
    const result = await runTool(tools, 'send_email', {
      to: 'ann@example.com, Bob@Example.com; bob@example.com',
      cc: 'carl@example.com',
      bcc: 'dora@example.com',
      subject: 'Your refund',
      body: 'Hello Ann,\nyour refund is on its way.',
    });
    expect(result).toMatchObject({
      status: 'sent',
      recipients: ['ann@example.com', 'Bob@example.com', 'carl@example.com', 'dora@example.com'],
    });
    const [mail] = await smtp.waitFor(1);
    expect(mail!.mailFrom).toBe('shop@example.com');
    expect(mail!.rcptTo.sort()).toEqual([
      'Bob@example.com',
      'ann@example.com',
      'carl@example.com',
      'dora@example.com',
    ]);
    const msg = parseMime(mail!.raw);
    expect(msg.headers.get('subject')).toBe('Your refund');
    expect(msg.headers.get('from')).toMatch(/^"?Acme Support"? <shop@example.com>$/);
    expect(msg.headers.get('to')).toBe('ann@example.com, Bob@example.com');
    expect(msg.headers.get('cc')).toBe('carl@example.com');
    expect(msg.headers.has('bcc')).toBe(false);
    expect(msg.headers.get('message-id')).toBe((result as { message_id: string }).message_id);
    expect(textOf(msg, 'text/plain')).toBe('Hello Ann,\r\nyour refund is on its way.');
  });

  it('send_html_email sends the HTML part and the text alternative', async () => {
    await runTool(tools, 'send_html_email', {
      to: ['ann@example.com'],
      subject: 'Newsletter',
      html_body: '<h1>Hi</h1><p style="color:red">Sale</p>',
      text_body: 'Hi - Sale',
    });
    const [mail] = await smtp.waitFor(1);
    const msg = parseMime(mail!.raw);
    expect(msg.contentType).toBe('multipart/alternative');
    expect(textOf(msg, 'text/html')).toBe('<h1>Hi</h1><p style="color:red">Sale</p>');
    expect(textOf(msg, 'text/plain')).toBe('Hi - Sale');
  });

  it('send_email_with_attachment carries inline text and binary files with sanitised names', async () => {
    const binary = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x10]);
    const result = await runTool(tools, 'send_email_with_attachment', {
      to: 'ann@example.com',
      subject: 'Your documents',
      body: 'Two files attached.',
      attachments: [
        { filename: '../../etc/passwd.csv', content: 'id,total\n1,9.99\n' },
        {
          filename: 'invoice.pdf',
          content: binary.toString('base64'),
          encoding: 'base64',
          content_type: 'application/pdf',
        },
      ],
    });
    expect(result).toMatchObject({ status: 'sent', recipients: ['ann@example.com'] });
    const [mail] = await smtp.waitFor(1);
    const msg = parseMime(mail!.raw);
    expect(msg.contentType).toBe('multipart/mixed');
    expect(textOf(msg, 'text/plain')).toBe('Two files attached.');
    const files = attachmentsOf(msg);
    expect(files.map((f) => f.filename)).toEqual(['passwd.csv', 'invoice.pdf']);
    expect(files[0]!.content.toString('utf8')).toBe('id,total\n1,9.99\n');
    expect(files[1]!.contentType).toBe('application/pdf');
    expect([...files[1]!.content]).toEqual([...binary]);
  });

  it('send_email_with_attachment never reads a path: a path-looking content is sent as text', async () => {
    await runTool(tools, 'send_email_with_attachment', {
      to: 'ann@example.com',
      subject: 'Path',
      body: 'See file.',
      attachments: [{ filename: 'hosts', content: '/etc/hosts' }],
    });
    const [mail] = await smtp.waitFor(1);
    expect(attachmentsOf(parseMime(mail!.raw))[0]!.content.toString()).toBe('/etc/hosts');
  });

  it('send_order_confirmation mails the customer with every value HTML-escaped', async () => {
    const result = await runTool(tools, 'send_order_confirmation', { order_id: 7 });
    expect(result).toMatchObject({ status: 'sent', recipients: ['ada@example.com'], order_id: 7 });
    const [mail] = await smtp.waitFor(1);
    expect(mail!.rcptTo).toEqual(['ada@example.com']);
    const msg = parseMime(mail!.raw);
    expect(msg.headers.get('subject')).toBe('Order #7 confirmation');
    const html = textOf(msg, 'text/html')!;
    expect(html).not.toContain('<script>');
    expect(html).toContain('Dear &lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;,');
    expect(html).toContain('19.90');
    expect(textOf(msg, 'text/plain')).toContain('Amount: 19.90');
  });

  it('send_order_confirmation sends to an explicit address when given', async () => {
    await runTool(tools, 'send_order_confirmation', { order_id: 8, to: 'billing@example.com' });
    const [mail] = await smtp.waitFor(1);
    expect(mail!.rcptTo).toEqual(['billing@example.com']);
  });

  it('send_order_confirmation asks for an address when the order has none', async () => {
    await expect(runTool(tools, 'send_order_confirmation', { order_id: 8 })).rejects.toThrow(
      /no customer e-mail address; ask the customer/,
    );
    expect(smtp.received).toHaveLength(0);
  });

  it('order mails only see orders of the turn tenant', async () => {
    await expect(runTool(tools, 'send_order_confirmation', { order_id: 100 })).rejects.toThrow(
      'Order 100 not found',
    );
    await expect(
      runTool(tools, 'send_order_status_update', { order_id: 7 }, toolContext('tenant-b')),
    ).rejects.toThrow('Order 7 not found');
    expect(smtp.received).toHaveLength(0);
  });

  it('send_order_status_update includes the status and an escaped note', async () => {
    const result = await runTool(tools, 'send_order_status_update', {
      order_id: 9,
      note: 'Tracking <ABC123>',
    });
    expect(result).toMatchObject({ status: 'sent', recipients: ['grace@example.com'], order_id: 9 });
    const [mail] = await smtp.waitFor(1);
    const msg = parseMime(mail!.raw);
    expect(msg.headers.get('subject')).toBe('Order #9 status: SHIPPED');
    expect(textOf(msg, 'text/plain')).toContain('Note: Tracking <ABC123>');
    expect(textOf(msg, 'text/html')).toContain('Tracking &lt;ABC123&gt;');
  });

  it('refuses CR/LF in the subject and sends nothing', async () => {
    const attempt = runTool(tools, 'send_email', {
      to: 'ann@example.com',
      subject: 'Hi\r\nBcc: attacker@evil.test',
      body: 'x',
    });
    await expect(attempt).rejects.toBeInstanceOf(ToolError);
    await expect(attempt).rejects.toThrow(/single line/);
    expect(smtp.received).toHaveLength(0);
  });

  it('enforces the recipient cap across to/cc/bcc and sends nothing', async () => {
    await expect(
      runTool(tools, 'send_email', {
        to: 'a@example.com,b@example.com',
        cc: 'c@example.com,d@example.com',
        bcc: 'e@example.com',
        subject: 'Too many',
        body: 'x',
      }),
    ).rejects.toThrow(/5 given across to\/cc\/bcc, at most 4/);
    expect(smtp.received).toHaveLength(0);
  });

  it('refuses a display-name address, naming it', async () => {
    await expect(
      runTool(tools, 'send_email', { to: 'Ann <ann@example.com>', subject: 'Hi', body: 'x' }),
    ).rejects.toThrow(/"Ann <ann@example.com>" in "to"/);
  });

  it('does not send when the turn was already cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      runTool(
        tools,
        'send_email',
        { to: 'ann@example.com', subject: 'Hi', body: 'x' },
        toolContext('tenant-a', controller.signal),
      ),
    ).rejects.toThrow(/cancelled/);
    expect(smtp.received).toHaveLength(0);
  });
});

describe('domain allow-list over SMTP', () => {
  it('delivers to allowed domains and refuses the rest before anything is sent', async () => {
    const smtp = await startSmtpServer();
    const config = smtpConfig(smtp.port, { EMAIL_ALLOWED_DOMAINS: 'Example.com, partner.test' });
    const mailer = createMailer({ config, logger: silentLogger, options: fastSmtp });
    const tools = createEmailTools({ mailer, config, orders: orderReader({}), access: 'tenant' });
    try {
      await expect(
        runTool(tools, 'send_email', {
          to: 'ann@example.com',
          cc: 'someone@gmail.test',
          subject: 'Hi',
          body: 'x',
        }),
      ).rejects.toThrow(/"someone@gmail.test" is not allowed.*example.com, partner.test/);
      expect(smtp.received).toHaveLength(0);

      await runTool(tools, 'send_email', {
        to: 'ann@EXAMPLE.com',
        cc: 'bo@partner.test',
        subject: 'Hi',
        body: 'x',
      });
      const [mail] = await smtp.waitFor(1);
      expect(mail!.rcptTo).toEqual(['ann@example.com', 'bo@partner.test']);
    } finally {
      await mailer.close();
      await smtp.close();
    }
  });
});

describe('SMTP session setup', () => {
  it('authenticates with SENDER_EMAIL / SENDER_PASSWORD when a password is set', async () => {
    const smtp = await startSmtpServer({ credentials: { user: 'shop@example.com', pass: 'correct horse' } });
    const mailer = createMailer({
      config: smtpConfig(smtp.port, { SENDER_PASSWORD: 'correct horse' }),
      logger: silentLogger,
      options: fastSmtp,
    });
    try {
      await mailer.send({ to: ['ann@example.com'], subject: 'Authenticated', text: 'x' });
      const [mail] = await smtp.waitFor(1);
      expect(mail!.user).toBe('shop@example.com');
    } finally {
      await mailer.close();
      await smtp.close();
    }
  });

  it('upgrades with STARTTLS when the server offers it', async () => {
    const smtp = await startSmtpServer();
    // The test server's certificate is self-signed; a real deployment verifies it.
    const mailer = createMailer({
      config: smtpConfig(smtp.port),
      logger: silentLogger,
      options: { tls: { rejectUnauthorized: false }, connectionTimeoutMs: 2000, greetingTimeoutMs: 2000 },
    });
    try {
      await mailer.send({ to: ['ann@example.com'], subject: 'Encrypted', text: 'x' });
      const [mail] = await smtp.waitFor(1);
      expect(mail!.secure).toBe(true);
    } finally {
      await mailer.close();
      await smtp.close();
    }
  });

  it('reports recipients the server refused while delivering to the others', async () => {
    const smtp = await startSmtpServer({ refusePrefix: 'gone' });
    const config = smtpConfig(smtp.port);
    const mailer = createMailer({ config, logger: silentLogger, options: fastSmtp });
    const tools = createEmailTools({ mailer, config, orders: orderReader({}), access: 'tenant' });
    try {
      const result = await runTool(tools, 'send_email', {
        to: 'ann@example.com, gone@example.com',
        subject: 'Hi',
        body: 'x',
      });
      expect(result).toMatchObject({
        status: 'sent',
        recipients: ['ann@example.com'],
        rejected: ['gone@example.com'],
      });
      const [mail] = await smtp.waitFor(1);
      expect(mail!.rcptTo).toEqual(['ann@example.com']);
    } finally {
      await mailer.close();
      await smtp.close();
    }
  });
});
