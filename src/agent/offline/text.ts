/**
 * The offline assistant's view of a customer message: words with their positions, and finders for the
 * values it reads. Customer text is untrusted and can be long, so everything here is linear in its
 * input: the tokenising regex has no two quantifiers that can match the same characters, and every
 * finder walks the tokens once with a bounded look-ahead.
 */

/** The assistant reads at most this much of any one message; a request is never longer in practice. */
export const MAX_SCANNED_CHARS = 2_000;

/** `raw` as written; `word` lower-cased, without accents ("Dónde" → "donde"). Punctuation is one token. */
export type Token = { word: string; raw: string; start: number; end: number };

/** Words joined by an apostrophe or a hyphen stay one token: "don't", "e-mail", "CMP-7K2QX9AB". */
const TOKEN = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*|\S/gu;

export const words = (list: string): Set<string> => new Set(list.split(' '));
/** Named word lists, each written as one string of words separated by spaces. */
export function lexicon<K extends string>(lists: Record<K, string>): Record<K, Set<string>> {
  const entries = Object.entries<string>(lists).map(([k, list]) => [k, words(list)]);
  return Object.fromEntries(entries) as Record<K, Set<string>>;
}

export function tokenize(text: string): Token[] {
  return [...text.matchAll(TOKEN)].map((m) => ({
    word: m[0].normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replaceAll('’', "'"),
    raw: m[0],
    start: m.index,
    end: m.index + m[0].length,
  }));
}

export const isWord = (token: Token): boolean => /[\p{L}\p{N}]/u.test(token.raw);

/** Whether `phrase` starts at token `i`. */
export const phraseAt = (tokens: readonly Token[], i: number, phrase: readonly string[]): boolean =>
  phrase.every((word, k) => tokens[i + k]?.word === word);

export const indexOfPhrase = (tokens: readonly Token[], phrase: readonly string[]): number =>
  tokens.findIndex((_, i) => phraseAt(tokens, i, phrase));

/** The Damerau–Levenshtein distance is at most 1 (one letter missing, extra, wrong or swapped). */
function nearly(a: string, b: string): boolean {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    const swapped = a[i] === b[i + 1] && a[i + 1] === b[i];
    return a.slice(i + 1) === b.slice(i + 1) || (swapped && a.slice(i + 2) === b.slice(i + 2));
  }
  if (Math.abs(a.length - b.length) > 1) return false;
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

const ORDER_WORDS = words('bestellung bestellnummer auftrag commande pedido pedidos');

/** "order" in English (also misspelt: "ordr", "oder", "odrer"), German, French and Spanish. */
export const isOrderWord = (word: string): boolean =>
  ORDER_WORDS.has(word) ||
  (word.length >= 4 && word.length <= 7 && (nearly(word, 'order') || nearly(word, 'orders')));

/** Between "order" and its number: "order no. 42", "order number #42", "Bestellung Nr. 1", "n° 5". */
const NUMBER_WORDS = words('number no nr num id nummer numero n ° . : # -');

/** A number as written, also with O for 0 and l/I for 1 where a real digit shows it is one: "1O" → 10. */
export function readNumber(raw: string): number | undefined {
  if (raw.length > 12 || !/\d/.test(raw) || !/^[\dOolI]+$/.test(raw)) return undefined;
  const value = Number(raw.replace(/[Oo]/g, '0').replace(/[lI]/g, '1'));
  return value > 0 ? value : undefined;
}

/** The order number the message names: after an order word ("order 42", "ordr #1O") or a bare "#42". */
export function findOrderId(tokens: readonly Token[]): number | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const { word, raw } = tokens[i]!;
    const glued = word.startsWith('order') ? readNumber(raw.slice(5)) : undefined; // "order42"
    if (glued !== undefined) return glued;
    if (word !== '#' && !isOrderWord(word)) continue;
    let j = i + 1;
    while (j <= i + 4 && NUMBER_WORDS.has(tokens[j]?.word ?? '') && readNumber(tokens[j]!.raw) === undefined)
      j++;
    const id = tokens[j] && readNumber(tokens[j]!.raw);
    if (id !== undefined) return id;
  }
  return undefined;
}

/** The only number in a short answer ("43", "it's 43"), for a question that asked for one. */
export function bareNumber(tokens: readonly Token[]): number | undefined {
  const numbers = tokens.filter((t) => /^\d+$/.test(t.raw));
  return numbers.length === 1 && tokens.length <= 6 ? readNumber(numbers[0]!.raw) : undefined;
}

/** Complaint references as the complaints service issues them ("CMP-7K2QX9AB"). */
export function findComplaintId(tokens: readonly Token[]): string | undefined {
  for (const { word } of tokens) {
    const parts = word.split('-');
    const k = parts.findIndex((p, i) => p === 'cmp' && /^[a-z0-9]{4,16}$/.test(parts[i + 1] ?? ''));
    if (k >= 0) return `CMP-${parts[k + 1]!.toUpperCase()}`;
  }
  return undefined;
}

/**
 * An address, tried anchored on one run of the characters an address can have, so that each run is
 * tried once: a regex searched at every start of a long run of letters would cost quadratic time.
 * Neither part can contain an '@', and labels are separated by dots, so the match is unambiguous.
 */
const EMAIL = /^[A-Z0-9_%+-][A-Z0-9._%+-]*@[A-Z0-9-]+(?:\.[A-Z0-9-]+)*\.[A-Z]{2,}$/i;

/** The first e-mail address in the text, without the dots of the sentence around it. */
export const findEmail = (text: string): string | undefined =>
  text
    .split(/[^A-Z0-9._%+@-]+/i)
    .map((run) => trimTrailing(run, '.').replace(/^\.+/, ''))
    .find((run) => EMAIL.test(run));

/** `text` without the trailing characters in `chars` (a hand-written loop: `/[…]+$/` is quadratic). */
export function trimTrailing(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text.charAt(end - 1))) end--;
  return text.slice(0, end);
}

/** Words that end a name taken from free text. */
const NAME_STOP = words(
  'and or but with from email e-mail mail at my i please for about to because the order orders who placed by on in is was have has und et y',
);

/** Up to four words of a name from token `from`, ended by punctuation, a digit, an e-mail or a linking word. */
export function nameAt(tokens: readonly Token[], from: number): string | undefined {
  const name: string[] = [];
  for (let i = from; i < tokens.length && name.length < 4; i++) {
    const { raw, word, end } = tokens[i]!;
    const email = tokens[i + 1]?.raw === '@' && tokens[i + 1]!.start === end;
    if (!/^[\p{L}'’-]+$/u.test(raw) || NAME_STOP.has(word) || email) break;
    name.push(raw);
  }
  return name.length > 0 ? name.join(' ') : undefined;
}

/**
 * Phrases after which customers give their own name, in the four languages the assistant greets in;
 * after "I'm" and "I am" only a capitalised word is a name ("I'm Jane", not "I'm angry").
 */
const NAME_INTROS =
  "my name is,name :,name is,mein name ist,ich heisse,ich heiße,je m'appelle,me llamo,mi nombre es,i'm*,i am*"
    .split(',')
    .map((p) => ({ phrase: p.replace('*', '').split(' '), capital: p.endsWith('*') }));

/** The customer's own name ("my name is Jane Doe", "name: Jane Doe", "I'm Jane Doe"). */
export function findOwnName(tokens: readonly Token[]): string | undefined {
  for (const { phrase, capital } of NAME_INTROS) {
    const at = indexOfPhrase(tokens, phrase);
    if (at >= 0 && (!capital || /^\p{Lu}/u.test(tokens[at + phrase.length]?.raw ?? '')))
      return nameAt(tokens, at + phrase.length);
  }
  return undefined;
}

/** The message when it is only a name ("Jane Doe"): one to four capitalised words. */
export function bareName(tokens: readonly Token[]): string | undefined {
  const name = tokens.filter(isWord);
  const capitalised = name.every((t) => /^\p{Lu}[\p{L}'’-]*$/u.test(t.raw) && !NAME_STOP.has(t.word));
  const onlyDots = tokens.every((t) => isWord(t) || t.raw === '.' || t.raw === '!');
  return name.length > 0 && name.length <= 4 && capitalised && onlyDots
    ? name.map((t) => t.raw).join(' ')
    : undefined;
}
