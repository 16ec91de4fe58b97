import {
  bareNumber,
  findComplaintId,
  findEmail,
  findOrderId,
  findOwnName,
  indexOfPhrase,
  isOrderWord,
  MAX_SCANNED_CHARS,
  nameAt,
  type Token,
  tokenize,
  trimTrailing,
} from './text.js';

/**
 * The small grammar of customer requests the offline assistant understands: each message is one
 * intent plus the slots it fills (order number, e-mail, name, reason, complaint text…). Words are
 * matched as whole tokens against small sets, never by patterns over the raw text.
 */
export type Intent =
  | 'lookup'
  | 'status'
  | 'list_orders'
  | 'cancel'
  | 'confirmation_mail'
  | 'status_mail'
  | 'complaint'
  | 'complaint_lookup'
  | 'complaint_list'
  | 'human'
  | 'policy'
  | 'yes'
  | 'no'
  | 'greeting'
  | 'goodbye'
  | 'help'
  /** Only details (an e-mail, a name, a number…), for a question asked before. */
  | 'details'
  | 'unknown';

export type Lang = 'en' | 'de' | 'fr' | 'es';

export interface Request {
  intent: Intent;
  text: string;
  tokens: Token[];
  orderId?: number;
  /** The only number of a short answer ("43"), for when the assistant asked for an order number. */
  number?: number;
  email?: string;
  /** The customer's own name ("my name is …"). */
  name?: string;
  /** The customer whose orders to list ("orders for Jane Doe"). */
  customer?: string;
  complaintId?: string;
  reason?: string;
  /** What went wrong, for a complaint. */
  description?: string;
  /** A complaint status to filter by ("open complaints"). */
  status?: string;
  /** "don't…", "do not…", "nicht…": whatever else the message says, it never cancels. */
  negated: boolean;
  /** Starts with "yes"/"ok" ("yes, cancel order 42"). */
  affirmed: boolean;
  question: boolean;
  /** Speaks of "my …". */
  own: boolean;
  lang: Lang;
  greeted: boolean;
  thanked: boolean;
}

const words = (list: string): Set<string> => new Set(list.split(' '));

const YES = words('yes yeah yep yup y sure ok okay ja oui si confirm confirmed correct go');
const YES_FILLER = words('yes please do it go ahead that i confirm confirmed correct bitte right sure . ! ,');
const NO = words('no nope nah n nein non');
const NEGATION = words("not never don't dont cannot can't won't nicht kein keine pas no");
const CANCEL = words(
  'cancel canceled cancelled canceling cancelling cancellation stornieren storniere storno stornierung annuler annulez annule annulation cancelar cancela cancele cancelacion',
);
const COMPLAINT = words(
  'complaint complaints complain complaining complained beschwerde beschwerden reklamation plainte plaintes reclamation queja quejas reclamacion',
);
const FILE_VERBS = words('file make lodge submit raise register open have got faire deposer poner presentar');
const ARTICLES = words('a an another my this new formal eine une una');
const FILE_COMPLAINT = words('complain complaining beschweren einreichen');
const COMPLAINTS_PLURAL = words('complaints beschwerden plaintes quejas');
const CONFIRMATION = words('confirmation bestatigung confirmacion');
const SEND = words('send resend mail email e-mail senden envoyer enviar');
const STATUS = words(
  'where status when arrive arrived arriving arrival ship shipped shipping shipment deliver delivered delivery track tracking wo wann ou quand statut donde cuando estado',
);
const LIST = words('list all alle toutes todos');
const PLURAL_ORDERS = words('orders bestellungen commandes pedidos');
const HUMAN = words(
  'human person people someone somebody representative operator agent staff mensch mitarbeiter personne humain conseiller persona humano agente',
);
const POLICY = words(
  'policy policies return returns returning refund refunds warranty guarantee exchange privacy terms hours',
);
const STATUS_UPDATE = words('status update');
const HELP = words('help hilfe aide ayuda options menu');
const GREETINGS = words('hi hello hey hallo servus moin bonjour salut bonsoir hola buenas buenos good guten');
const THANKS = words('thanks thank thx ty cheers danke merci gracias');
const BYE = words('bye goodbye ciao tschuss tschus adieu adios revoir');
const LANGS: ReadonlyArray<readonly [Lang, Set<string>]> = [
  [
    'de',
    words('hallo bestellung bestellnummer danke guten tschuss servus moin wo meine ich bitte beschwerde'),
  ],
  ['fr', words('bonjour salut bonsoir commande merci ou je ma mon plainte revoir')],
  ['es', words('hola pedido gracias buenos buenas donde mi quiero queja adios')],
];
const COMPLAINT_STATUSES = ['open', 'in_progress', 'resolved', 'closed'];
/** Where a reason starts; the reason is the rest of that line. */
const REASON_STARTS: readonly string[][] = [
  ['because'],
  ['since'],
  ['due', 'to'],
  ['reason', ':'],
  ['reason', 'is'],
  ['reason'],
  ['weil'],
  ['parce', 'que'],
  ['porque'],
];

function languageOf(tokens: readonly Token[]): Lang {
  for (const [lang, set] of LANGS) if (tokens.some((t) => set.has(t.word))) return lang;
  return 'en';
}

/** The reason of a cancellation and the index of the first token after the request part. */
function reasonOf(text: string, tokens: readonly Token[]): { reason?: string; end: number } {
  for (let i = 0; i < tokens.length; i++) {
    for (const start of REASON_STARTS) {
      if (indexOfPhrase(tokens.slice(i, i + start.length), start) !== 0) continue;
      const from = tokens[i + start.length]?.start ?? text.length;
      const rest = text.slice(from);
      const newline = rest.indexOf('\n');
      const reason = trimTrailing(newline >= 0 ? rest.slice(0, newline) : rest, ') \t\r.').trim();
      return { ...(reason === '' ? {} : { reason }), end: i };
    }
  }
  return { end: tokens.length };
}

/** What went wrong: the text after a colon, or after the words that open the complaint. */
function descriptionOf(text: string, tokens: readonly Token[]): string | undefined {
  const colon = tokens.find((t) => t.raw === ':');
  let from = colon?.end;
  if (from === undefined) {
    let i = tokens.findIndex((t) => COMPLAINT.has(t.word));
    if (i < 0) return undefined;
    i++;
    // "… about (my) order 42", "… regarding order no. 12"
    if (['about', 'regarding', 'concerning', 'for', 'on'].includes(tokens[i]?.word ?? '')) {
      let j = i + 1;
      if (tokens[j]?.word === 'my') j++;
      if (tokens[j] && isOrderWord(tokens[j]!.word)) {
        j++;
        while (j < tokens.length && j < i + 7 && !/^\d+$/.test(tokens[j]!.raw)) j++;
        if (j < tokens.length) i = j + 1;
      }
    }
    while (tokens[i] && /^[,.:;!-]$/.test(tokens[i]!.raw)) i++;
    from = tokens[i]?.start ?? text.length;
  }
  return cleanDescription(text.slice(from));
}

/** The complaint text without the sentences that only give a name or an e-mail address. */
export function cleanDescription(text: string): string | undefined {
  const sentences = text
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && findOwnName(tokenize(s)) === undefined && findEmail(s) === undefined);
  const description = sentences.join(' ').trim();
  return description.split(/\s+/).length >= 2 ? description : undefined;
}

/** "orders for Jane Doe", "orders of customer Bob Smith", "customer named Eve". */
function customerNameOf(tokens: readonly Token[]): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!.word;
    let j = -1;
    if (isOrderWord(word)) {
      j = i + 1;
      if (tokens[j]?.word === 'placed') j++;
      if (!['for', 'of', 'by', 'from'].includes(tokens[j]?.word ?? '')) continue;
      j++;
      if (tokens[j]?.word === 'the') j++;
      if (tokens[j]?.word === 'customer') j++;
    } else if (word === 'customer') {
      j = i + 1;
      if (tokens[j]?.word === 'named') j++;
    }
    const name = j >= 0 ? nameAt(tokens, j) : undefined;
    if (name !== undefined) return name;
  }
  return undefined;
}

function complaintStatusOf(tokens: readonly Token[]): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!.word;
    if (word === 'in' && ['progress', '-'].includes(tokens[i + 1]?.word ?? '')) return 'in_progress';
    if (COMPLAINT_STATUSES.includes(word) && COMPLAINTS_PLURAL.has(tokens[i + 1]?.word ?? '')) return word;
  }
  return undefined;
}

/** "file a complaint", "make a formal complaint", "have another complaint": a verb, articles, the noun. */
function filesComplaint(tokens: readonly Token[]): boolean {
  for (let i = 0; i < tokens.length; i++) {
    if (!COMPLAINT.has(tokens[i]!.word) || COMPLAINTS_PLURAL.has(tokens[i]!.word)) continue;
    let j = i - 1;
    while (j >= 0 && j >= i - 3 && ARTICLES.has(tokens[j]!.word)) j--;
    if (j >= 0 && FILE_VERBS.has(tokens[j]!.word)) return true;
  }
  return false;
}

function intentOf(r: Omit<Request, 'intent'>, has: (set: Set<string>) => boolean): Intent {
  const { tokens } = r;
  const plain = tokens.filter(isWord);
  const first = plain[0]?.word ?? '';
  const orderWord = tokens.some((t) => isOrderWord(t.word));
  if (has(COMPLAINT) || r.complaintId !== undefined) {
    if (has(FILE_COMPLAINT) || filesComplaint(tokens)) return 'complaint';
    if (r.complaintId !== undefined) return 'complaint_lookup';
    if (has(COMPLAINTS_PLURAL) || r.email !== undefined) return 'complaint_list';
    return 'complaint_lookup';
  }
  if (has(CANCEL)) return 'cancel';
  // "yes", "yes please", "please do", "go ahead"
  const yes =
    plain.every((t) => YES_FILLER.has(t.word) || YES.has(t.word)) && (YES.has(first) || first === 'please');
  if (!r.question && plain.length > 0 && plain.length <= 6 && yes) return 'yes';
  if (!r.question && NO.has(first) && plain.length <= 6 && r.orderId === undefined) return 'no';
  if (has(HUMAN)) return 'human';
  if (has(CONFIRMATION) || (has(SEND) && tokens.some((t) => t.word.startsWith('confirm')))) {
    return 'confirmation_mail';
  }
  if (has(SEND) && (has(STATUS_UPDATE) || has(STATUS)) && r.orderId !== undefined) return 'status_mail';
  if (has(POLICY)) return 'policy';
  const listed = has(PLURAL_ORDERS) || (has(LIST) && orderWord);
  if (listed && (r.email !== undefined || r.name !== undefined || r.orderId === undefined))
    return 'list_orders';
  if ((r.orderId !== undefined || orderWord) && has(STATUS)) return 'status';
  if (r.orderId !== undefined || orderWord) return 'lookup';
  if (has(HELP) || plain.length === 0 || indexOfPhrase(tokens, ['what', 'can', 'you']) >= 0) return 'help';
  const courteous = (set: Set<string>) => plain.length <= 6 && plain.some((t) => set.has(t.word));
  if (courteous(THANKS) || courteous(BYE)) return 'goodbye';
  if (r.greeted && plain.length <= 5) return 'greeting';
  if (r.email !== undefined || r.name !== undefined || r.number !== undefined) return 'details';
  return 'unknown';
}

/**
 * Reads at most `maxChars` of the message (the default keeps every message cheap to scan; tests pass
 * more to check that parsing stays linear on long input).
 */
export function parseRequest(message: string, maxChars = MAX_SCANNED_CHARS): Request {
  const text = message.length > maxChars ? message.slice(0, maxChars) : message;
  const tokens = tokenize(text);
  const present = new Set(tokens.map((t) => t.word));
  const has = (set: Set<string>) => {
    for (const word of set) if (present.has(word)) return true;
    return false;
  };
  const { reason, end } = has(CANCEL) ? reasonOf(text, tokens) : { end: tokens.length };
  const request = tokens.slice(0, end);
  const plain = tokens.filter(isWord);
  const orderId = findOrderId(tokens);
  const number = orderId ?? bareNumber(tokens);
  const email = findEmail(text);
  const name = findOwnName(tokens);
  const customer = has(PLURAL_ORDERS) || has(LIST) ? customerNameOf(tokens) : undefined;
  const complaintId = findComplaintId(tokens);
  const slots: Omit<Request, 'intent'> = {
    text,
    tokens,
    ...(orderId === undefined ? {} : { orderId }),
    ...(number === undefined ? {} : { number }),
    ...(email === undefined ? {} : { email }),
    ...(name === undefined ? {} : { name }),
    ...(customer === undefined ? {} : { customer }),
    ...(complaintId === undefined ? {} : { complaintId }),
    ...(reason === undefined ? {} : { reason }),
    negated: request.some(
      (t, i) => NEGATION.has(t.word) && !(t.word === 'no' && i > 0 && isNumberWord(request, i)),
    ),
    affirmed: YES.has(plain[0]?.word ?? ''),
    question: text.includes('?'),
    own:
      present.has('my') ||
      present.has('mine') ||
      present.has('meine') ||
      present.has('mes') ||
      present.has('mis'),
    lang: languageOf(tokens),
    greeted: GREETINGS.has(plain[0]?.word ?? ''),
    thanked: has(THANKS),
  };
  const intent = intentOf(slots, has);
  const status = intent === 'complaint_list' ? complaintStatusOf(tokens) : undefined;
  const description = intent === 'complaint' ? descriptionOf(text, tokens) : undefined;
  return {
    intent,
    ...slots,
    ...(status === undefined ? {} : { status }),
    ...(description === undefined ? {} : { description }),
  };
}

const isWord = (token: Token): boolean => /[\p{L}\p{N}]/u.test(token.raw);

/** "order no. 8": this "no" means number, not a refusal. */
function isNumberWord(tokens: readonly Token[], i: number): boolean {
  return (
    isOrderWord(tokens[i - 1]?.word ?? '') ||
    /^\d/.test(tokens[i + 1]?.raw ?? '') ||
    tokens[i + 1]?.raw === '.'
  );
}
