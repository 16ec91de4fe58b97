import {
  bareNumber,
  findComplaintId,
  findEmail,
  findOrderId,
  findOwnName,
  indexOfPhrase,
  isOrderWord,
  isWord,
  lexicon,
  MAX_SCANNED_CHARS,
  nameAt,
  phraseAt,
  type Token,
  tokenize,
  trimTrailing,
} from './text.js';

/**
 * The small grammar of customer requests the offline assistant understands: a message is one intent
 * plus the slots it fills. Words are matched as whole tokens against the word lists below, in English
 * with a little German, French and Spanish; `details` is a message that only gives details (an e-mail
 * address, a name, a number) for a question asked before.
 */
type OrderIntent = 'lookup' | 'status' | 'list_orders' | 'cancel' | 'confirmation_mail' | 'status_mail';
type OtherIntent = 'complaint' | 'complaint_lookup' | 'complaint_list' | 'human' | 'yes' | 'no' | 'goodbye';
type Intent = OrderIntent | OtherIntent | 'greeting' | 'help' | 'policy' | 'change' | 'details' | 'unknown';
export type Lang = 'en' | 'de' | 'fr' | 'es';
export type Request = ReturnType<typeof parseRequest>;

const W = lexicon({
  yes: 'yes yeah yep yup y sure ok okay ja oui si confirm confirmed correct go',
  yesFiller: 'please do it go ahead that i right bitte',
  no: 'no nope nah n nein non',
  negation: "not never don't dont cannot can't won't nicht kein keine pas no",
  cancel:
    'cancel canceled cancelled canceling cancelling cancellation stornieren storniere storno stornierung annuler annulez annule annulation cancelar cancela cancelacion',
  complaint:
    'complaint complain complaining complained beschwerde reklamation plainte reclamation queja reclamacion',
  complaints: 'complaints beschwerden plaintes quejas',
  /** "file a complaint", "make a formal complaint": a verb, up to three articles, the noun. */
  fileVerb: 'file make lodge submit raise register open have got faire deposer poner presentar',
  article: 'a an another my this new formal eine une una',
  complainVerb: 'complain complaining beschweren einreichen',
  confirmation: 'confirmation bestatigung confirmacion',
  send: 'send resend senden envoyer enviar',
  /** "mail"/"e-mail" send something ("e-mail me the status") unless used as a noun ("my e-mail is …"). */
  mail: 'mail email e-mail',
  beforeMailNoun: 'my your his her our their the this that an meine mein ma mon mi su',
  afterMailNoun: 'is address ist adresse est es',
  status:
    'where status when arrive arrived arriving arrival ship shipped shipping shipment deliver delivered delivery track tracking wo wann ou quand statut donde cuando estado',
  statusUpdate: 'status update',
  statusWord: 'status statut estado',
  list: 'list all alle toutes todos',
  orders: 'orders bestellungen commandes pedidos',
  human:
    'human person people someone somebody representative operator agent staff mensch mitarbeiter personne humain conseiller persona humano agente',
  policy: 'policy policies return returns returning refund refunds warranty guarantee exchange privacy terms',
  change: 'change update modify edit amend correct andern modifier cambiar',
  help: 'help hilfe aide ayuda options menu',
  greeting: 'hi hello hey hallo servus moin bonjour salut bonsoir hola buenas buenos good guten',
  thanks: 'thanks thank thx ty cheers danke merci gracias',
  bye: 'bye goodbye ciao tschuss adieu adios revoir',
  de: 'hallo bestellung bestellnummer danke guten tschuss servus moin wo meine ich bitte',
  fr: 'bonjour salut bonsoir commande merci ou je ma mon plainte revoir',
  es: 'hola pedido gracias buenos buenas donde mi quiero queja adios',
  own: 'my mine meine mein mes mon ma mis mi',
  about: 'about regarding concerning for on',
  customerOf: 'for of by from',
  complaintStatus: 'open in_progress in-progress progress resolved closed',
});
const LANGS = ['de', 'fr', 'es'] as const;
/** Where a reason starts; the reason is the rest of that line. */
const REASON_STARTS = 'because,since,due to,reason :,reason is,reason,weil,parce que,porque'
  .split(',')
  .map((p) => p.split(' '));

const wordAt = (tokens: readonly Token[], i: number): string => tokens[i]?.word ?? '';

/** The reason of a cancellation, and where the part before it (in which a negation counts) ends. */
function reasonOf(text: string, tokens: readonly Token[]): { reason?: string; end: number } {
  for (let i = 0; i < tokens.length; i++) {
    const start = REASON_STARTS.find((phrase) => phraseAt(tokens, i, phrase));
    if (!start) continue;
    const rest = text.slice(tokens[i + start.length]?.start ?? text.length);
    const line = rest.split('\n', 1)[0]!;
    return { reason: trimTrailing(line, ') \t\r.').trim() || undefined, end: i };
  }
  return { end: tokens.length };
}

/** What went wrong: the text after a colon, or after the words that open the complaint. */
function descriptionOf(text: string, tokens: readonly Token[]): string | undefined {
  let from = tokens.find((t) => t.raw === ':')?.end;
  if (from === undefined) {
    let i = tokens.findIndex((t) => W.complaint.has(t.word)) + 1;
    // "… about (my) order 42", "… regarding order no. 12"
    if (W.about.has(wordAt(tokens, i))) {
      let j = wordAt(tokens, i + 1) === 'my' ? i + 2 : i + 1;
      if (isOrderWord(wordAt(tokens, j))) {
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
      if (wordAt(tokens, j) === 'placed') j++;
      if (!W.customerOf.has(wordAt(tokens, j++))) continue;
      if (wordAt(tokens, j) === 'the') j++;
      if (wordAt(tokens, j) === 'customer') j++;
    } else if (tokens[i]!.word === 'customer') {
      if (wordAt(tokens, j) === 'named') j++;
    } else continue;
    const name = nameAt(tokens, j);
    if (name !== undefined) return name;
  }
  return undefined;
}

/**
 * Everything a message says: its slots, then its intent. Reads at most `maxChars` of the message (the
 * default keeps every message cheap to scan; tests pass more to check that parsing stays linear).
 */
export function parseRequest(message: string, maxChars = MAX_SCANNED_CHARS) {
  const text = message.slice(0, maxChars);
  const tokens = tokenize(text);
  const present = new Set(tokens.map((t) => t.word));
  const has = (set: Set<string>) => [...set].some((word) => present.has(word));
  const { reason, end } = has(W.cancel) ? reasonOf(text, tokens) : { reason: undefined, end: tokens.length };
  const plain = tokens.filter(isWord);
  const first = plain[0]?.word ?? '';
  const orderId = findOrderId(tokens);
  /** "order no. 8": this "no" is a number sign, not a refusal. */
  const numberSign = (i: number) =>
    tokens[i]!.word === 'no' && (isOrderWord(wordAt(tokens, i - 1)) || /^\d/.test(tokens[i + 1]?.raw ?? ''));
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
    customer: has(W.orders) || has(W.list) ? customerOf(tokens) : undefined,
    complaintId: findComplaintId(tokens),
    reason,
    /** "don't…", "do not…", "nicht…": whatever else the message says, it never cancels. */
    negated: tokens.slice(0, end).some((t, i) => W.negation.has(t.word) && !numberSign(i)),
    /** Starts with "yes"/"ok" ("yes, cancel order 42"). */
    affirmed: W.yes.has(first),
    question: text.includes('?'),
    /** Speaks of "my …". */
    own: has(W.own),
    lang: (LANGS.find((lang) => has(W[lang])) ?? 'en') as Lang,
    greeted: W.greeting.has(first),
    thanked: has(W.thanks),
    farewell: has(W.bye),
  };
  const intent = intentOf(slots, plain, has);
  // "open complaints", "in-progress complaints", "in progress complaints"
  const status = tokens.find(
    (t, i) => W.complaintStatus.has(t.word) && W.complaints.has(wordAt(tokens, i + 1)),
  );
  const listed = intent === 'complaint_list' ? status?.word : undefined;
  return {
    intent,
    ...slots,
    /** A complaint status to filter by. */
    status: listed && (listed === 'progress' ? 'in_progress' : listed.replace('-', '_')),
    /** What went wrong, for a complaint. */
    description: intent === 'complaint' ? descriptionOf(text, tokens) : undefined,
  };
}

type Slots = Pick<Request, 'tokens' | 'orderId' | 'email' | 'name' | 'customer' | 'complaintId' | 'number'> &
  Pick<Request, 'question' | 'greeted' | 'thanked' | 'farewell'>;

/** The intent of a message, decided in order: the first rule that matches wins. */
function intentOf(r: Slots, plain: readonly Token[], has: (set: Set<string>) => boolean): Intent {
  const { tokens } = r;
  const first = plain[0]?.word ?? '';
  const orderWord = tokens.some((t) => isOrderWord(t.word));
  const short = plain.length <= 6;
  const filesComplaint = tokens.some((token, i) => {
    if (!W.complaint.has(token.word)) return false;
    let j = i - 1;
    while (j >= i - 3 && W.article.has(wordAt(tokens, j))) j--;
    return W.fileVerb.has(wordAt(tokens, j)) || W.complainVerb.has(token.word);
  });
  const sends = tokens.some(
    (t, i) =>
      W.send.has(t.word) ||
      (W.mail.has(t.word) &&
        !W.beforeMailNoun.has(wordAt(tokens, i - 1)) &&
        !W.afterMailNoun.has(wordAt(tokens, i + 1))),
  );
  const yes =
    plain.every((t) => W.yes.has(t.word) || W.yesFiller.has(t.word)) &&
    (W.yes.has(first) || first === 'please');
  const listed = has(W.orders) || (has(W.list) && orderWord);
  const aboutOrder = r.orderId !== undefined || orderWord;
  const rules: Array<[unknown, Intent]> = [
    [filesComplaint, 'complaint'],
    [r.complaintId, 'complaint_lookup'],
    [has(W.complaints) || (has(W.complaint) && r.email), 'complaint_list'],
    [has(W.complaint), 'complaint_lookup'],
    [has(W.cancel), 'cancel'],
    [!r.question && plain.length > 0 && short && yes, 'yes'],
    [!r.question && W.no.has(first) && short && r.orderId === undefined, 'no'],
    [has(W.human), 'human'],
    [has(W.confirmation) || (sends && tokens.some((t) => t.word.startsWith('confirm'))), 'confirmation_mail'],
    [sends && (has(W.statusUpdate) || has(W.status)) && r.orderId, 'status_mail'],
    [has(W.policy), 'policy'],
    [listed && ((r.email ?? r.name ?? r.customer) !== undefined || !r.orderId), 'list_orders'],
    [aboutOrder && has(W.change) && !has(W.statusWord), 'change'],
    [aboutOrder && has(W.status), 'status'],
    [aboutOrder, 'lookup'],
    [has(W.help) || plain.length === 0 || indexOfPhrase(tokens, ['what', 'can', 'you']) >= 0, 'help'],
    [short && (r.thanked || r.farewell), 'goodbye'],
    [r.greeted && plain.length <= 5, 'greeting'],
    [r.email || r.name || r.number, 'details'],
  ];
  return rules.find(([matches]) => Boolean(matches))?.[1] ?? 'unknown';
}
