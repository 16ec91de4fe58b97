import { day, isRecord, type Json, sentence, text } from './result-values.js';

/** Complaint fields as the complaints MCP server returns them. */
function isComplaint(value: unknown): value is Json {
  return isRecord(value) && ('complaint_id' in value || 'id' in value) && 'status' in value;
}

function findComplaint(value: unknown): Json | undefined {
  if (isComplaint(value)) return value;
  return isRecord(value) && isComplaint(value.complaint) ? value.complaint : undefined;
}

function findComplaints(value: unknown): Json[] | undefined {
  if (Array.isArray(value)) return value.filter(isComplaint);
  if (isRecord(value) && Array.isArray(value.complaints)) return value.complaints.filter(isComplaint);
  return undefined;
}

const STATUS_MEANING: Record<string, string> = {
  open: 'it has been received and is waiting to be handled',
  in_progress: 'our team is working on it',
  resolved: 'it has been resolved',
  closed: 'it is closed',
};

/** "in_progress" reads as "in progress". */
const readable = (status: string): string => status.replaceAll('_', ' ');

function statusLine(complaint: Json): string {
  const status = text(complaint.status) ?? 'unknown';
  const meaning = STATUS_MEANING[status.toLowerCase()];
  return meaning ? `${readable(status)} — ${meaning}` : readable(status);
}

const idOf = (complaint: Json): string | undefined => text(complaint.complaint_id) ?? text(complaint.id);

export function describeComplaint(value: unknown): string | undefined {
  const complaint = findComplaint(value);
  if (!complaint) return undefined;
  const order = text(complaint.order_id);
  const category = text(complaint.category);
  const about = [order ? ` about order #${order}` : '', category ? ` (${category})` : ''].join('');
  const lines = [`Complaint ${idOf(complaint)}${about} is ${statusLine(complaint)}.`];
  const filed = day(complaint.created_at);
  const by = text(complaint.customer_name);
  if (filed || by) lines.push(`Filed${filed ? ` on ${filed}` : ''}${by ? ` by ${by}` : ''}.`);
  const description = text(complaint.description);
  if (description) lines.push(`Description: ${sentence(description)}`);
  const resolution = text(complaint.resolution_note);
  if (resolution) lines.push(`Resolution: ${sentence(resolution)}`);
  const updated = day(complaint.updated_at);
  if (updated && updated !== filed) lines.push(`Last update: ${updated}.`);
  return lines.join(' ');
}

function listItem(complaint: Json): string {
  const order = text(complaint.order_id);
  const details = [
    text(complaint.category),
    text(complaint.status) ? readable(text(complaint.status) ?? '') : undefined,
    day(complaint.created_at) ? `filed ${day(complaint.created_at)}` : undefined,
    order ? `about order #${order}` : undefined,
  ].filter(Boolean);
  return `- ${idOf(complaint)}: ${details.join(', ')}`;
}

export function listComplaints(value: unknown, args: Json): string | undefined {
  const complaints = findComplaints(value);
  if (!complaints) return undefined;
  const who = text(args.customer_email) ?? text(args.email);
  const forWhom = who ? ` for ${who}` : '';
  const status = text(args.status);
  const kind = status ? `${readable(status)} ` : '';
  if (complaints.length === 0) return `I found no ${kind}complaints${forWhom}.`;
  const total = isRecord(value) && typeof value.total === 'number' ? value.total : complaints.length;
  const head = `I found ${total} ${kind}complaint${total === 1 ? '' : 's'}${forWhom}:`;
  const more = total > complaints.length ? `\n(showing the first ${complaints.length})` : '';
  return [head, ...complaints.map(listItem)].join('\n') + more;
}
