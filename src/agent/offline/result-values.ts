/** Reading values out of tool results, which arrive as JSON text (or plain text from MCP tools). */

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Tool results are JSON; MCP tools return text that is often JSON itself. */
export function parseResult(content: string): unknown {
  let value: unknown = content;
  for (let i = 0; i < 2 && typeof value === 'string'; i++) {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      break;
    }
  }
  return value;
}

export const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== ''
    ? value.trim()
    : typeof value === 'number'
      ? String(value)
      : undefined;

export const sentence = (s: string): string => (/[.!?]$/.test(s) ? s : `${s}.`);
export const day = (iso: unknown): string | undefined => text(iso)?.slice(0, 10);
