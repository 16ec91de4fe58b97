import { ToolError } from '../registry.js';
import type { MailAttachment } from './mailer.js';
import { replaceControlChars } from './validation.js';

export const MAX_ATTACHMENTS = 3;
export const MAX_ATTACHMENT_BYTES = 1024 * 1024;
const MAX_FILENAME_LENGTH = 100;

export interface AttachmentInput {
  filename: string;
  content: string;
  content_type?: string | null;
  encoding: 'utf8' | 'base64';
}

const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DATA_URL = /^data:([^;,]+)?;base64,/i;

/**
 * Keeps only the last path segment and characters every mail client and file system accepts, so
 * a name like "../../etc/passwd" or "C:\\x\\report.pdf" cannot point anywhere.
 */
export function sanitizeFilename(name: string, fallback: string): string {
  const lastSegment = name.split(/[/\\]/).pop() ?? '';
  const cleaned = replaceControlChars(lastSegment)
    .replace(/[<>:"|?*]/g, '')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  if (cleaned.length === 0) return fallback;
  if (cleaned.length <= MAX_FILENAME_LENGTH) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const ext = dot > 0 && cleaned.length - dot <= 10 ? cleaned.slice(dot) : '';
  return cleaned.slice(0, MAX_FILENAME_LENGTH - ext.length) + ext;
}

function decode(input: AttachmentInput, label: string): { content: Buffer; impliedType?: string } {
  if (input.encoding === 'utf8') {
    if (Buffer.byteLength(input.content, 'utf8') > MAX_ATTACHMENT_BYTES) throw tooLarge();
    return { content: Buffer.from(input.content, 'utf8') };
  }
  let text = input.content;
  let impliedType: string | undefined;
  const dataUrl = DATA_URL.exec(text);
  if (dataUrl) {
    impliedType = dataUrl[1];
    text = text.slice(dataUrl[0].length);
  }
  text = text.replace(/\s+/g, '');
  // Checked before decoding so an oversized payload costs nothing.
  if (Math.floor((text.length * 3) / 4) > MAX_ATTACHMENT_BYTES + 2) throw tooLarge();
  if (!BASE64.test(text) || text.length % 4 === 1) {
    throw new ToolError(`The content of ${label} is not valid base64.`, { field: 'attachments' });
  }
  return { content: Buffer.from(text, 'base64'), impliedType };
}

function tooLarge(): ToolError {
  return new ToolError(`Attachments may hold at most ${MAX_ATTACHMENT_BYTES} bytes (1 MB) in total.`, {
    field: 'attachments',
    max_bytes: MAX_ATTACHMENT_BYTES,
  });
}

/** Checks count, names, types, encoding and total size; contents are only ever the inline data given. */
export function prepareAttachments(inputs: readonly AttachmentInput[]): MailAttachment[] {
  if (inputs.length === 0)
    throw new ToolError('At least one attachment is required.', { field: 'attachments' });
  if (inputs.length > MAX_ATTACHMENTS) {
    throw new ToolError(`At most ${MAX_ATTACHMENTS} attachments are allowed; ${inputs.length} were given.`, {
      field: 'attachments',
      max: MAX_ATTACHMENTS,
    });
  }
  let total = 0;
  return inputs.map((input, index) => {
    const filename = sanitizeFilename(input.filename, `attachment-${index + 1}`);
    const label = `attachment "${filename}"`;
    const { content, impliedType } = decode(input, label);
    if (content.length === 0)
      throw new ToolError(`The content of ${label} is empty.`, { field: 'attachments' });
    total += content.length;
    if (total > MAX_ATTACHMENT_BYTES) throw tooLarge();
    const contentType = input.content_type?.trim() || impliedType;
    if (contentType !== undefined && !CONTENT_TYPE.test(contentType)) {
      throw new ToolError(`The content type of ${label} is not a valid MIME type (like text/csv).`, {
        field: 'attachments',
      });
    }
    return { filename, content, contentType: contentType?.toLowerCase() };
  });
}
