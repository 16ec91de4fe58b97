const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Not in the base64url alphabet, so it tells a packed UUID apart; doubled, it escapes itself. */
const MARK = '~';

/**
 * An id for a packed record: a lowercase UUID (what turn and request ids are) as `~` and the
 * base64url of its 16 bytes, 23 characters instead of 36; any other id as it is, with a leading `~`
 * doubled. `unpackId` gives back exactly the id given.
 */
export function packId(id: string): string {
  if (UUID.test(id)) return MARK + Buffer.from(id.replaceAll('-', ''), 'hex').toString('base64url');
  return id.startsWith(MARK) ? MARK + id : id;
}

export function unpackId(packed: string): string {
  if (!packed.startsWith(MARK)) return packed;
  if (packed.startsWith(MARK, 1)) return packed.slice(1);
  const hex = Buffer.from(packed.slice(1), 'base64url').toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
