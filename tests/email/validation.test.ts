import { describe, expect, it } from 'vitest';
import { prepareAttachments, sanitizeFilename } from '../../src/tools/email/attachments.js';
import {
  escapeHtml,
  renderOrderConfirmation,
  renderOrderStatusUpdate,
} from '../../src/tools/email/templates.js';
import {
  isValidEmailAddress,
  splitRecipients,
  validateHtmlBody,
  validateRecipients,
  validateSubject,
  validateTextBody,
} from '../../src/tools/email/validation.js';
import { ToolError } from '../../src/tools/registry.js';
import { makeOrder } from './fixtures.js';

const open = { maxRecipients: 5, allowedDomains: [] as string[] };

function refusal(fn: () => unknown): ToolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ToolError) return err;
    throw err;
  }
  throw new Error('expected a ToolError');
}

describe('recipient parsing', () => {
  it('splits comma- and semicolon-separated lists, trims and drops empty entries', () => {
    expect(splitRecipients(' a@example.com, b@example.com;c@example.com ,, ')).toEqual([
      'a@example.com',
      'b@example.com',
      'c@example.com',
    ]);
    expect(splitRecipients(['a@example.com, b@example.com', 'c@example.com'])).toHaveLength(3);
    expect(splitRecipients(undefined)).toEqual([]);
  });

  it('deduplicates case-insensitively across to, cc and bcc, keeping the first spelling', () => {
    const r = validateRecipients(
      {
        to: 'Bob@Example.com, bob@example.com',
        cc: 'BOB@example.com, carol@example.com',
        bcc: 'carol@EXAMPLE.com',
      },
      open,
    );
    expect(r.to).toEqual(['Bob@example.com']);
    expect(r.cc).toEqual(['carol@example.com']);
    expect(r.bcc).toEqual([]);
    expect(r.all).toEqual(['Bob@example.com', 'carol@example.com']);
  });

  it('accepts ordinary addresses and refuses malformed ones', () => {
    for (const ok of [
      'a@example.com',
      'first.last+tag@sub.example.co.uk',
      "o'neil@example.org",
      'x@xn--bcher-kva.de',
    ]) {
      expect(isValidEmailAddress(ok), ok).toBe(true);
    }
    for (const bad of [
      'Bob <bob@example.com>',
      '"bob"@example.com',
      'bob@example.com\r\nBcc: victim@example.com',
      'bob@@example.com',
      'bob@ex@ample.com',
      'bob@localhost',
      'bob@-example.com',
      'bob@example..com',
      'bob.@example.com',
      '.bob@example.com',
      'bob@127.0.0.1',
      'bob example@example.com',
      `${'a'.repeat(65)}@example.com`,
      `a@${'b'.repeat(250)}.com`,
      'bob',
    ]) {
      expect(isValidEmailAddress(bad), bad).toBe(false);
    }
  });

  it('names the bad address and the field it was in', () => {
    const err = refusal(() =>
      validateRecipients({ to: 'ok@example.com', cc: 'Bob <bob@example.com>' }, open),
    );
    expect(err.message).toContain('Bob <bob@example.com>');
    expect(err.message).toContain('"cc"');
    expect(err.details).toMatchObject({ field: 'cc' });
  });

  it('requires at least one "to" recipient', () => {
    expect(refusal(() => validateRecipients({ to: ' , ', cc: 'a@example.com' }, open)).message).toMatch(
      /"to"/,
    );
  });

  it('caps the number of distinct recipients across to/cc/bcc', () => {
    const list = (n: number, p: string) =>
      Array.from({ length: n }, (_, i) => `${p}${i}@example.com`).join(',');
    expect(validateRecipients({ to: list(3, 't'), cc: list(2, 'c') }, open).all).toHaveLength(5);
    const err = refusal(() =>
      validateRecipients({ to: list(3, 't'), cc: list(2, 'c'), bcc: list(1, 'b') }, open),
    );
    expect(err.message).toMatch(/6 given.*at most 5/);
  });

  it('only allows the configured domains when an allow-list is set', () => {
    const policy = { maxRecipients: 5, allowedDomains: ['example.com'] };
    expect(validateRecipients({ to: 'Ann@EXAMPLE.com' }, policy).to).toEqual(['Ann@example.com']);
    const err = refusal(() => validateRecipients({ to: 'ann@example.com', bcc: 'eve@evil.test' }, policy));
    expect(err.message).toContain('eve@evil.test');
    expect(err.message).toContain('example.com');
    // A subdomain is a different domain.
    expect(() => validateRecipients({ to: 'x@mail.example.com' }, policy)).toThrow(ToolError);
  });
});

describe('subject and body checks', () => {
  it('refuses line breaks and control characters in the subject', () => {
    for (const bad of ['Hello\r\nBcc: x@example.com', 'Hello\nthere', 'Hi\u0000', 'line\u2028sep']) {
      expect(refusal(() => validateSubject(bad)).details).toMatchObject({ field: 'subject' });
    }
    expect(validateSubject('  Your order\tupdate  ')).toBe('Your order\tupdate');
  });

  it('refuses empty and over-long subjects', () => {
    expect(() => validateSubject('   ')).toThrow(ToolError);
    expect(validateSubject('x'.repeat(200))).toHaveLength(200);
    expect(refusal(() => validateSubject('x'.repeat(201))).message).toMatch(/201 characters.*at most 200/);
  });

  it('caps text bodies at 50,000 and HTML bodies at 100,000 characters', () => {
    expect(validateTextBody('a'.repeat(50_000))).toHaveLength(50_000);
    expect(() => validateTextBody('a'.repeat(50_001))).toThrow(/at most 50000/);
    expect(validateHtmlBody('a'.repeat(100_000))).toHaveLength(100_000);
    expect(() => validateHtmlBody('a'.repeat(100_001))).toThrow(/html_body/);
    expect(() => validateTextBody('  \n ')).toThrow(/must not be empty/);
  });
});

describe('attachments', () => {
  it('strips folders and unsafe characters from file names', () => {
    expect(sanitizeFilename('../../etc/passwd', 'f')).toBe('passwd');
    expect(sanitizeFilename('C:\\Users\\me\\report.pdf', 'f')).toBe('report.pdf');
    expect(sanitizeFilename('in"voice<1>.csv\r\n', 'f')).toBe('invoice1.csv');
    expect(sanitizeFilename('..', 'attachment-1')).toBe('attachment-1');
    expect(sanitizeFilename(`${'a'.repeat(300)}.txt`, 'f')).toMatch(/^a{96}\.txt$/);
  });

  it('decodes utf8 and base64 content (also a data: URL) and keeps the MIME type', () => {
    const [text, binary, dataUrl] = prepareAttachments([
      { filename: 'notes.txt', content: 'héllo', encoding: 'utf8' },
      { filename: 'bytes.bin', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'base64' },
      {
        filename: 'pic',
        content: `data:image/png;base64,${Buffer.from('PNG').toString('base64')}`,
        encoding: 'base64',
      },
    ]);
    expect(text!.content.toString('utf8')).toBe('héllo');
    expect([...binary!.content]).toEqual([0, 1, 2, 255]);
    expect(dataUrl!.contentType).toBe('image/png');
    expect(dataUrl!.content.toString()).toBe('PNG');
  });

  it('refuses bad base64, bad MIME types, too many files and more than 1 MB in total', () => {
    expect(() => prepareAttachments([{ filename: 'a', content: 'not base64!', encoding: 'base64' }])).toThrow(
      /not valid base64/,
    );
    expect(() =>
      prepareAttachments([
        { filename: 'a', content: 'x', content_type: 'text/plain\r\nX: y', encoding: 'utf8' },
      ]),
    ).toThrow(/MIME type/);
    const one = { filename: 'a.txt', content: 'x', encoding: 'utf8' as const };
    expect(() => prepareAttachments([one, one, one, one])).toThrow(/At most 3/);
    expect(() => prepareAttachments([])).toThrow(/At least one/);
    const half = { filename: 'big.txt', content: 'x'.repeat(600 * 1024), encoding: 'utf8' as const };
    expect(() => prepareAttachments([half, half])).toThrow(/1 MB/);
    const huge = Buffer.alloc(1024 * 1024 + 10).toString('base64');
    expect(() => prepareAttachments([{ filename: 'h.bin', content: huge, encoding: 'base64' }])).toThrow(
      /1 MB/,
    );
  });
});

describe('templates', () => {
  it('escapes every HTML-significant character', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('renders a confirmation with escaped values in HTML, raw values in text, and 2-decimal amounts', () => {
    const order = makeOrder({
      order_id: 42,
      customer_name: '<script>alert("x")</script>',
      remarks: 'Leave at <door> & ring',
      order_amount: 7,
    });
    const mail = renderOrderConfirmation(order, 'Acme & Co');
    expect(mail.subject).toBe('Order #42 confirmation');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(mail.html).toContain('Leave at &lt;door&gt; &amp; ring');
    expect(mail.html).toContain('Acme &amp; Co');
    expect(mail.html).toContain('7.00');
    expect(mail.text).toContain('Dear <script>alert("x")</script>,');
    expect(mail.text).toContain('Amount: 7.00');
  });

  it('renders a status update with the status sentence and an escaped note', () => {
    const mail = renderOrderStatusUpdate(
      makeOrder({ status: 'SHIPPED', order_amount: 0.5 }),
      'Acme',
      '<b>soon</b>',
    );
    expect(mail.subject).toBe('Order #1 status: SHIPPED');
    expect(mail.text).toContain('has been shipped');
    expect(mail.text).toContain('Note: <b>soon</b>');
    expect(mail.html).toContain('&lt;b&gt;soon&lt;/b&gt;');
    expect(mail.html).toContain('0.50');
  });
});
