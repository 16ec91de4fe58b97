export {
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENTS,
  prepareAttachments,
  sanitizeFilename,
} from './attachments.js';
export { MailerError, type MailFailureKind } from './mail-errors.js';
export {
  createMailer,
  type MailAttachment,
  type Mailer,
  type MailerConfig,
  type MailerOptions,
  type OutgoingMail,
  type SendResult,
} from './mailer.js';
export { emailReadinessCheck } from './readiness.js';
export { escapeHtml, formatAmount, renderOrderConfirmation, renderOrderStatusUpdate } from './templates.js';
export { createEmailTools, type EmailToolsConfig, type SentResult } from './tools.js';
export { isValidEmailAddress, splitRecipients, validateRecipients } from './validation.js';
