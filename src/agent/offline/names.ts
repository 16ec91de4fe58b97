import { trimTrailing } from './text-scan.js';

/** Words that end a name taken from free text. */
const NAME_STOP = new Set([
  'and',
  'or',
  'but',
  'with',
  'from',
  'email',
  'e-mail',
  'mail',
  'at',
  'my',
  'i',
  'please',
  'for',
  'about',
  'to',
  'because',
  'the',
  'order',
  'orders',
  'who',
  'placed',
  'by',
  'on',
  'in',
  'is',
  'was',
  'have',
  'has',
]);

/** Up to four words of a name, ended by punctuation, an e-mail, a digit or a connecting word. */
function takeName(text: string): string | undefined {
  const name: string[] = [];
  for (const raw of text.trim().split(/\s+/)) {
    const word = raw.replace(/^["'(]+/, '');
    const clean = trimTrailing(word, '.,;:!?)"\'');
    if (clean === '' || NAME_STOP.has(clean.toLowerCase()) || clean.includes('@') || /\d/.test(clean)) break;
    name.push(clean);
    if (clean !== word || name.length === 4) break;
  }
  return name.length > 0 ? name.join(' ') : undefined;
}

function nameAfter(pattern: RegExp, text: string): string | undefined {
  const match = pattern.exec(text);
  return match?.[1] === undefined ? undefined : takeName(match[1]);
}

/** The customer's own name, when they give it ("my name is Jane Doe", "name: Jane Doe"). */
export function findOwnName(text: string): string | undefined {
  return nameAfter(/\bmy name is\s+(.+)/i, text) ?? nameAfter(/\bname\s*[:=]\s*(.+)/i, text);
}

/** The customer whose orders to list ("orders for Jane Doe", "customer Jane Doe"). */
export function findCustomerName(text: string): string | undefined {
  return (
    findOwnName(text) ??
    nameAfter(/\borders?\s+(?:placed\s+)?(?:for|of|by|from)\s+(?:the\s+)?(?:customer\s+)?(.+)/i, text) ??
    nameAfter(/\bcustomer\s+(?:named\s+)?(.+)/i, text)
  );
}
