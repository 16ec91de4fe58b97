/**
 * `text` as one flat string. V8 builds a JSON.stringify result as a rope of parts, and flattening one
 * in place still leaves a 32-byte wrapper in front of the flat text. A one-byte text (what JSON of
 * ASCII and Latin-1 is) is copied into a fresh flat string instead; any other is flattened in place
 * (converting it to a number, NaN here, does that), after which the collector drops the parts.
 */
export function flatString(text: string): string {
  if (!/[\u0100-\uffff]/.test(text)) return Buffer.from(text, 'latin1').toString('latin1');
  void Number(text);
  return text;
}
