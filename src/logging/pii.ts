/**
 * Masks personal data in free text: e-mail addresses, IBANs (mod-97 checked), card numbers (Luhn
 * checked, issuer digit 2-6) and phone numbers. The checks keep order ids, amounts, timestamps,
 * UUIDs and durations readable. Every pattern has bounded repetition, so the cost is linear in the
 * text, and text without a digit or an @ is returned at once.
 */

export const PII_MASKS = { email: '[email]', iban: '[iban]', card: '[card]', phone: '[phone]' } as const;

const EMAIL = /[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;
const IBAN =
  /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?(?![A-Za-z0-9])/g;
const CARD = /(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])/g;
// `+…` may follow anything but a word character (tel:+44…); the other shapes may not follow a colon,
// dot or slash, so times, versions, addresses and paths stay as they are.
const PHONE =
  /(?:(?<![\w+])\+\d[\d ().-]{6,20}\d|(?<![\w.+/:-])(?:\(?0\d[\d ().-]{5,18}\d|\(\d{2,4}\)[ .-]?\d[\d .-]{4,14}\d|\d{3}[ .-]\d{3}[ .-]\d{4}))(?![\w/:-]|\.\d)/g;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** A card number: 13-19 digits, a payment-card issuer digit (2-6) and a valid Luhn check digit. */
export function isCardNumber(candidate: string): boolean {
  const digits = candidate.replace(/[ -]/g, '');
  if (digits.length < 13 || digits.length > 19 || !/^[2-6]\d+$/.test(digits)) return false;
  return luhnValid(digits);
}

/** ISO 13616: move the first four characters to the end, letters to numbers, the remainder mod 97 is 1. */
export function ibanValid(candidate: string): boolean {
  const iban = candidate.replace(/ /g, '').toUpperCase();
  if (iban.length < 15 || iban.length > 34 || !/^[A-Z]{2}\d{2}[A-Z0-9]+$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const char of rearranged) {
    const code = char.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : char;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

function isPhoneNumber(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '').length;
  if (digits < 7 || digits > 15) return false;
  // Dates and times written with dashes or dots are not phone numbers.
  return !/^\d{4}[-.]\d{2}[-.]\d{2}/.test(candidate) && !/^\d{2}[-.]\d{2}[-.]\d{4}/.test(candidate);
}

/** Every pattern above needs an @ or a run of at least seven digits and separators. */
const MAYBE_PII = /@|\d[\d ().-]{5,}\d/;
const DIGIT_RUN = /\d[\d ().-]{5,}\d/;

export function maskPii(text: string): string {
  if (!MAYBE_PII.test(text)) return text;
  let out = text;
  if (out.includes('@')) out = out.replace(EMAIL, PII_MASKS.email);
  if (!DIGIT_RUN.test(out)) return out;
  out = out.replace(IBAN, (match) => (ibanValid(match) ? PII_MASKS.iban : match));
  out = out.replace(CARD, (match) => (isCardNumber(match) ? PII_MASKS.card : match));
  out = out.replace(PHONE, (match) => (isPhoneNumber(match) ? PII_MASKS.phone : match));
  return out;
}
