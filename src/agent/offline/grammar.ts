import {
  bareNumber,
  findComplaintId,
  findEmail,
  findOrderId,
  findOwnName,
  indexOfPhrase,
  isOrderWord,
  isWord,
  MAX_SCANNED_CHARS,
  nameAt,
  phraseAt,
  type Token,
  tokenize,
  trimTrailing,
  words,
} from './text.js';

/**
 * The small grammar of customer requests the offline assistant understands: a message is one intent
 * plus the slots it fills. Words are matched as whole tokens against small sets, in English with a
 * little German, French and Spanish; `details` is a message that only gives details (an e-mail
 * address, a name, a number) for a question asked before.
 */
export type Intent = 'lookup' | 'status' | 'list_orders' | 'cancel' | 'confirmation_mail' | 'status_mail';
export type OtherIntent = 'complaint' | 'complaint_lookup' | 'complaint_list' | 'human' | 'yes' | 'no';
export type CourtesyIntent = 'greeting' | 'goodbye' | 'help' | 'policy' | 'change' | 'details' | 'unknown';
export type Lang = 'en' | 'de' | 'fr' | 'es';
type Slots = ReturnType<typeof readSlots>['slots'];
export type Request = ReturnType<typeof parseRequest>;

const YES = words('yes yeah yep yup y sure ok okay ja oui si confirm confirmed correct go');
const YES_FILLER = words('please do it go ahead that i right bitte');
const NO = words('no nope nah n nein non');
const NEGATION = words("not never don't dont cannot can't won't nicht kein keine pas no");
const CANCEL = words(
  'cancel canceled cancelled canceling cancelling cancellation stornieren storniere storno stornierung annuler annulez annule annulation cancelar cancela cancelacion',
);
const COMPLAINT = words(
  'complaint complain complaining complained beschwerde reklamation plainte reclamation queja reclamacion',
);
const COMPLAINTS = words('complaints beschwerden plaintes quejas');
const FILE_VERBS = words('file make lodge submit raise register open have got faire deposer poner presentar');
const ARTICLES = words('a an another my this new formal eine une una');
const FILES_COMPLAINT = words('complain complaining beschweren einreichen');
const CONFIRMATION = words('confirmation bestatigung confirmacion');
const SEND = words('send resend mail email e-mail senden envoyer enviar');
const MAIL_NOUN_BEFORE = words('my your his her our their the this that an meine mein ma mon mi su');
const MAIL_NOUN_AFTER = words('is address ist adresse est es');

/**
 * A request to send something: a sending verb, or "mail"/"e-mail" used as one ("e-mail me the
 * status"), not as a noun ("my e-mail is …", "the e-mail address").
 */
function asksToSend(tokens: readonly Token[]): boolean {
  return tokens.some((token, i) => {
    if (!SEND.has(token.word)) return false;
    if (
      token.word.startsWith('send') ||
      token.word === 'resend' ||
      token.word === 'envoyer' ||
      token.word === 'enviar'
    )
      return true;
    return (
      !MAIL_NOUN_BEFORE.has(tokens[i - 1]?.word ?? '') && !MAIL_NOUN_AFTER.has(tokens[i + 1]?.word ?? '')
    );
  });
}
const STATUS = words(
  'where status when arrive arrived arriving arrival ship shipped shipping shipment deliver delivered delivery track tracking wo wann ou quand statut donde cuando estado',
);
const STATUS_UPDATE = words('status update');
const STATUS_WORD = words('status statut estado');
const LIST = words('list all alle toutes todos');
const ORDERS = words('orders bestellungen commandes pedidos');
const HUMAN = words(
  'human person people someone somebody representative operator agent staff mensch mitarbeiter personne humain conseiller persona humano agente',
);
const POLICY = words(
  'policy policies return returns returning refund refunds warranty guarantee exchange privacy terms',
);
const CHANGE = words('change update modify edit amend correct andern modifier cambiar');
const HELP = words('help hilfe aide ayuda options menu');
const GREETINGS = words('hi hello hey hallo servus moin bonjour salut bonsoir hola buenas buenos good guten');
const THANKS = words('thanks thank thx ty cheers danke merci gracias');
const BYE = words('bye goodbye ciao tschuss adieu adios revoir');
const LANGS: ReadonlyArray<readonly [Lang, Set<string>]> = [
  ['de', words('hallo bestellung bestellnummer danke guten tschuss servus moin wo meine ich bitte')],
  ['fr', words('bonjour salut bonsoir commande merci ou je ma mon plainte revoir')],
  ['es', words('hola pedido gracias buenos buenas donde mi quiero queja adios')],
];
const OWN = words('my mine meine mein mes mon ma mis mi');
/** Where a reason starts; the reason is the rest of that line. */
const REASON_STARTS = 'because,since,due to,reason :,reason is,reason,weil,parce que,porque'
  .split(',')
  .map((p) => p.split(' '));
const COMPLAINT_STATUSES = words('open in_progress in-progress resolved closed');

/** The reason of a cancellation, and where the part before it (in which a negation counts) ends. */
function reasonOf(text: string, tokens: readonly Token[]): { reason?: string; end: number } {
  for (let i = 0; i < tokens.length; i++) {
    const start = REASON_STARTS.find((phrase) => phraseAt(tokens, i, phrase));
    if (!start) continue;
    const rest = text.slice(tokens[i + start.length]?.start ?? text.length);
    const line = rest.indexOf('\n') >= 0 ? rest.slice(0, rest.indexOf('\n')) : rest;
    return { reason: trimTrailing(line, ') \t\r.').trim() || undefined, end: i };
  }
  return { end: tokens.length };
}

/** What went wrong: the text after a colon, or after the words that open the complaint. */
function descriptionOf(text: string, tokens: readonly Token[]): string | undefined {
  let from = tokens.find((t) => t.raw === ':')?.end;
  if (from === undefined) {
    let i = tokens.findIndex((t) => COMPLAINT.has(t.word)) + 1;
    // "… about (my) order 42", "… regarding order no. 12"
    if (words('about regarding concerning for on').has(tokens[i]?.word ?? '')) {
      let j = tokens[i + 1]?.word === 'my' ? i + 2 : i + 1;
      if (isOrderWord(tokens[j]?.word ?? '')) {
        while (j < i + 7 && tokens[j] && !/^\d+$/.test(tokens[j]!.raw)) j++;
        if (tokens[j]) i = j + 1;
      }
    }
    while (tokens[i] && !isWord(tokens[i]!)) i++;
    from = tokens[i]?.start ?? text.length;
  }
  return cleanDescription(text.slice(from));
}

/** The complaint text without the sentences that only give a name or an e-mail address. */
export function cleanDescription(text: string): string | undefined {
  const kept = text
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && findOwnName(tokenize(s)) === undefined && findEmail(s) === undefined);
  const description = kept.join(' ').trim();
  return description.split(/\s+/).length >= 2 ? description : undefined;
}

/** "orders for Jane Doe", "orders of the customer Bob Smith", "customer named Eve". */
function customerOf(tokens: readonly Token[]): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    let j = i + 1;
    if (isOrderWord(tokens[i]!.word)) {
      if (tokens[j]?.word === 'placed') j++;
      if (!words('for of by from').has(tokens[j++]?.word ?? '')) continue;
      if (tokens[j]?.word === 'the') j++;
      if (tokens[j]?.word === 'customer') j++;
    } else if (tokens[i]!.word === 'customer') {
      if (tokens[j]?.word === 'named') j++;
    } else continue;
    const name = nameAt(tokens, j);
    if (name !== undefined) return name;
  }
  return undefined;
}

/** "file a complaint", "make a formal complaint", "have another complaint": a verb, articles, the noun. */
function filesComplaint(tokens: readonly Token[]): boolean {
  return tokens.some((token, i) => {
    if (!COMPLAINT.has(token.word)) return false;
    let j = i - 1;
    while (j >= i - 3 && ARTICLES.has(tokens[j]?.word ?? '')) j--;
    return FILE_VERBS.has(tokens[j]?.word ?? '') || FILES_COMPLAINT.has(token.word);
  });
}

/** "order no. 8": this "no" is a number sign, not a refusal. */
const numberSign = (tokens: readonly Token[], i: number): boolean =>
  tokens[i]!.word === 'no' &&
  (isOrderWord(tokens[i - 1]?.word ?? '') || /^\d/.test(tokens[i + 1]?.raw ?? ''));

function intentOf(r: Slots, has: (set: Set<string>) => boolean): Intent | OtherIntent | CourtesyIntent {
  const plain = r.tokens.filter(isWord);
  const first = plain[0]?.word ?? '';
  const orderWord = r.tokens.some((t) => isOrderWord(t.word));
  const short = plain.length <= 6;
  if (has(COMPLAINT) || has(COMPLAINTS) || r.complaintId) {
    if (filesComplaint(r.tokens)) return 'complaint';
    if (r.complaintId) return 'complaint_lookup';
    return has(COMPLAINTS) || r.email ? 'complaint_list' : 'complaint_lookup';
  }
  if (has(CANCEL)) return 'cancel';
  const yes =
    plain.every((t) => YES.has(t.word) || YES_FILLER.has(t.word)) && (YES.has(first) || first === 'please');
  if (!r.question && plain.length > 0 && short && yes) return 'yes';
  if (!r.question && NO.has(first) && short && r.orderId === undefined) return 'no';
  if (has(HUMAN)) return 'human';
  const sends = asksToSend(r.tokens);
  if (has(CONFIRMATION) || (sends && r.tokens.some((t) => t.word.startsWith('confirm'))))
    return 'confirmation_mail';
  if (sends && (has(STATUS_UPDATE) || has(STATUS)) && r.orderId) return 'status_mail';
  if (has(POLICY)) return 'policy';
  const listed = has(ORDERS) || (has(LIST) && orderWord);
  if (listed && ((r.email ?? r.name ?? r.customer) !== undefined || !r.orderId)) return 'list_orders';
  if ((r.orderId || orderWord) && has(CHANGE) && !has(STATUS_WORD)) return 'change';
  if ((r.orderId || orderWord) && has(STATUS)) return 'status';
  if (r.orderId || orderWord) return 'lookup';
  if (has(HELP) || plain.length === 0 || indexOfPhrase(r.tokens, ['what', 'can', 'you']) >= 0) return 'help';
  if (short && (r.thanked || r.farewell)) return 'goodbye';
  if (r.greeted && plain.length <= 5) return 'greeting';
  return r.email || r.name || r.number ? 'details' : 'unknown';
}

/** Everything a message says, before its intent is decided. */
function readSlots(text: string) {
  const tokens = tokenize(text);
  const present = new Set(tokens.map((t) => t.word));
  const has = (set: Set<string>) => [...set].some((word) => present.has(word));
  const { reason, end } = has(CANCEL) ? reasonOf(text, tokens) : { reason: undefined, end: tokens.length };
  const first = tokens.find(isWord)?.word ?? '';
  const orderId = findOrderId(tokens);
  const slots = {
    text,
    tokens,
    orderId,
    /** The order number, or the only number of a short answer ("43"). */
    number: orderId ?? bareNumber(tokens),
    email: findEmail(text),
    /** The customer's own name ("my name is …"). */
    name: findOwnName(tokens),
    /** The customer whose orders to list ("orders for Jane Doe"). */
    customer: has(ORDERS) || has(LIST) ? customerOf(tokens) : undefined,
    complaintId: findComplaintId(tokens),
    reason,
    /** "don't…", "do not…", "nicht…": whatever else the message says, it never cancels. */
    negated: tokens.slice(0, end).some((t, i) => NEGATION.has(t.word) && !numberSign(tokens, i)),
    /** Starts with "yes"/"ok" ("yes, cancel order 42"). */
    affirmed: YES.has(first),
    question: text.includes('?'),
    /** Speaks of "my …". */
    own: has(OWN),
    lang: (LANGS.find(([, set]) => has(set))?.[0] ?? 'en') as Lang,
    greeted: GREETINGS.has(first),
    thanked: has(THANKS),
    farewell: has(BYE),
  };
  return { slots, has };
}

/**
 * Reads at most `maxChars` of the message (the default keeps every message cheap to scan; tests pass
 * more to check that parsing stays linear on long input).
 */
export function parseRequest(message: string, maxChars = MAX_SCANNED_CHARS) {
  const text = message.length > maxChars ? message.slice(0, maxChars) : message;
  const { slots, has } = readSlots(text);
  const { tokens } = slots;
  const intent = intentOf(slots, has);
  const status = tokens.find(
    (t, i) => COMPLAINT_STATUSES.has(t.word) && COMPLAINTS.has(tokens[i + 1]?.word ?? ''),
  );
  const inProgress = indexOfPhrase(tokens, ['in', 'progress', 'complaints']) >= 0;
  const listed = intent === 'complaint_list' && (status || inProgress);
  return {
    intent,
    ...slots,
    /** A complaint status to filter by ("open complaints"). */
    status: listed ? (status?.word ?? 'in_progress').replace('-', '_') : undefined,
    /** What went wrong, for a complaint. */
    description: intent === 'complaint' ? descriptionOf(text, tokens) : undefined,
  };
}
