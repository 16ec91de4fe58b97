/**
 * The offline assistant's view of a customer message: words with their positions, and finders for the
 * values it reads (order numbers, e-mail addresses, complaint references, names). Customer text is
 * untrusted and can be long, so everything here runs in time linear in its input: the one tokenising
 * regex has no nested quantifiers, and every finder walks the tokens once with bounded look-ahead.
 */

/** The assistant reads at most this much of any one message; a request is never longer in practice. */
export const MAX_SCANNED_CHARS = 2_000;

export interface Token {
  /** Lower-cased, without accents ("Dónde" → "donde"); punctuation tokens are the character itself. */
  word: string;
  /** The token as written. */
  raw: string;
  start: number;
  end: number;
}

const TOKEN = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?|\S/gu;

export function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replaceAll('’', "'");
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const match of text.matchAll(TOKEN)) {
    tokens.push({
      word: fold(match[0]),
      raw: match[0],
      start: match.index,
      end: match.index + match[0].length,
    });
  }
  return tokens;
}

/** The Damerau–Levenshtein distance is at most 1 (one letter missing, extra, wrong or swapped). */
function nearly(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    return (
      a.slice(i + 1) === b.slice(i + 1) ||
      (a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2))
    );
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** "order" in English (also misspelt: "ordr", "oder", "odrer"), German, French and Spanish. */
const ORDER_WORDS = new Set(['bestellung', 'bestellnummer', 'auftrag', 'commande', 'pedido', 'pedidos']);
export function isOrderWord(word: string): boolean {
  if (ORDER_WORDS.has(word)) return true;
  return word.length >= 4 && word.length <= 7 && (nearly(word, 'order') || nearly(word, 'orders'));
}

/** Between "order" and its number: "order no. 42", "order number #42", "Bestellung Nr. 1", "n° 5". */
const NUMBER_WORDS = new Set([
  'number',
  'no',
  'nr',
  'num',
  'id',
  'nummer',
  'numero',
  'n',
  '°',
  '.',
  ':',
  '#',
  '-',
]);

/**
 * A number as written, also with letters typed for digits where that is unambiguous: "1O" → 10,
 * "l2" → 12 (at least one real digit, every other character an O or an l/I).
 */
export function readNumber(raw: string): number | undefined {
  if (raw.length > 12 || !/\d/.test(raw)) return undefined;
  let digits = '';
  for (const char of raw) {
    if (char >= '0' && char <= '9') digits += char;
    else if (char === 'O' || char === 'o') digits += '0';
    else if (char === 'l' || char === 'I') digits += '1';
    else return undefined;
  }
  const value = Number(digits);
  return value > 0 ? value : undefined;
}

/** The order number the message names: after an order word ("order 42", "ordr #1O") or a bare "#42". */
export function findOrderId(tokens: readonly Token[]): number | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!.word;
    // "order42", as typed in a hurry
    if (word.startsWith('order') && word.length > 5) {
      const glued = readNumber(tokens[i]!.raw.slice(5));
      if (glued !== undefined) return glued;
    }
    if (word !== '#' && !isOrderWord(word)) continue;
    let j = i + 1;
    while (j < tokens.length && j <= i + 4 && NUMBER_WORDS.has(tokens[j]!.word) && !isNumber(tokens[j])) j++;
    const id = tokens[j] === undefined ? undefined : readNumber(tokens[j]!.raw);
    if (id !== undefined) return id;
  }
  return undefined;
}

const isNumber = (token: Token | undefined): boolean => token !== undefined && /^\d+$/.test(token.raw);

/** The only number in a short answer ("43", "it's 43"), for a question that asked for one. */
export function bareNumber(tokens: readonly Token[]): number | undefined {
  const numbers = tokens.filter(isNumber);
  return numbers.length === 1 && tokens.length <= 6 ? readNumber(numbers[0]!.raw) : undefined;
}

/** Complaint references as the complaints service issues them ("CMP-7K2QX9AB"). */
export function findComplaintId(tokens: readonly Token[]): string | undefined {
  for (let i = 0; i + 2 < tokens.length; i++) {
    const code = tokens[i + 2]!;
    if (tokens[i]!.word === 'cmp' && tokens[i + 1]!.raw === '-' && /^[a-z0-9]{4,16}$/.test(code.word)) {
      if (tokens[i + 1]!.start === tokens[i]!.end && code.start === tokens[i + 1]!.end) {
        return `CMP-${code.raw.toUpperCase()}`;
      }
    }
  }
  return undefined;
}

const LOCAL_PART_CHAR = /[A-Z0-9._%+-]/i;
const DOMAIN_CHAR = /[A-Z0-9.-]/i;
/** Anchored and applied to one run of domain characters only; labels are separated by dots, so unambiguous. */
const DOMAIN = /^[A-Z0-9-]+(?:\.[A-Z0-9-]+)*\.[A-Z]{2,}/i;

/**
 * The first e-mail address in the text, found from each '@' outwards: a regex tried at every start of
 * a long run of letters would cost quadratic time. Neither part contains an '@', so each character is
 * looked at a bounded number of times.
 */
export function findEmail(text: string): string | undefined {
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    let start = at;
    while (start > 0 && LOCAL_PART_CHAR.test(text.charAt(start - 1))) start--;
    while (start < at && text.charAt(start) === '.') start++;
    if (start === at) continue;
    let end = at + 1;
    while (end < text.length && DOMAIN_CHAR.test(text.charAt(end))) end++;
    const domain = DOMAIN.exec(text.slice(at + 1, end))?.[0];
    if (domain !== undefined) return `${text.slice(start, at)}@${domain}`;
  }
  return undefined;
}

/** `text` without the trailing characters in `chars` (a hand-written loop: `/[…]+$/` is quadratic). */
export function trimTrailing(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

/** Words that end a name taken from free text. */
const NAME_STOP = new Set(
  'and or but with from email e-mail mail at my i please for about to because the order orders who placed by on in is was have has und et y'.split(
    ' ',
  ),
);

/** Up to four words of a name starting at token `from`, ended by punctuation, a digit or a linking word. */
export function nameAt(tokens: readonly Token[], from: number): string | undefined {
  const name: string[] = [];
  for (let i = from; i < tokens.length && name.length < 4; i++) {
    const token = tokens[i]!;
    if (!/^[\p{L}'’-]+$/u.test(token.raw) || NAME_STOP.has(token.word)) break;
    // the local part of an e-mail address is not a name
    if (tokens[i + 1]?.raw === '@' && tokens[i + 1]!.start === token.end) break;
    // "Jane Doe-Smith": a hyphen glued to both neighbours joins them into one word
    name.push(token.raw);
    const next = tokens[i + 1];
    if (next?.raw === '-' && next.start === token.end && tokens[i + 2]?.start === next.end) {
      name[name.length - 1] += `-${tokens[i + 2]!.raw}`;
      i += 2;
    }
  }
  return name.length > 0 ? name.join(' ') : undefined;
}

/** Phrases after which a customer gives their own name, in the four languages the assistant greets in. */
const NAME_INTROS: readonly string[][] = [
  ['my', 'name', 'is'],
  ['name', ':'],
  ['name', 'is'],
  ['mein', 'name', 'ist'],
  ['ich', 'heisse'],
  ['ich', 'heiße'],
  ['je', "m'appelle"],
  ['me', 'llamo'],
  ['mi', 'nombre', 'es'],
];

/** Where `phrase` starts in `tokens` at or after `from`, or -1. */
export function indexOfPhrase(tokens: readonly Token[], phrase: readonly string[], from = 0): number {
  for (let i = from; i + phrase.length <= tokens.length; i++) {
    let k = 0;
    while (k < phrase.length && tokens[i + k]!.word === phrase[k]) k++;
    if (k === phrase.length) return i;
  }
  return -1;
}

/** The customer's own name ("my name is Jane Doe", "name: Jane Doe", "I'm Jane Doe"). */
export function findOwnName(tokens: readonly Token[]): string | undefined {
  for (const intro of NAME_INTROS) {
    const at = indexOfPhrase(tokens, intro);
    if (at >= 0) return nameAt(tokens, at + intro.length);
  }
  // "I am Jane" / "I'm Jane" — only with a capital, so that "I'm angry" is not a name
  for (const intro of [["i'm"], ['i', 'am']]) {
    const at = indexOfPhrase(tokens, intro);
    const first = tokens[at + intro.length];
    if (at >= 0 && first && /^\p{Lu}/u.test(first.raw)) return nameAt(tokens, at + intro.length);
  }
  return undefined;
}

/** A message that is only a name ("Jane Doe"): one to four capitalised words and nothing else. */
export function isBareName(tokens: readonly Token[]): boolean {
  const words = tokens.filter((t) => t.raw !== '.' && t.raw !== '!');
  return (
    words.length > 0 &&
    words.length <= 4 &&
    words.every((t) => /^\p{Lu}[\p{L}'’-]*$/u.test(t.raw) && !NAME_STOP.has(t.word))
  );
}
