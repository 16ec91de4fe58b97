import { SessionAttributesError } from './errors.js';
import type { SessionAttributes, SessionAttributesPatch } from './types.js';

/** Attributes are labels, not storage: a few short strings per session. */
export const MAX_ATTRIBUTES = 32;
export const MAX_ATTRIBUTE_NAME_LENGTH = 64;
export const MAX_ATTRIBUTE_VALUE_LENGTH = 1024;

export const EMPTY_ATTRIBUTES: SessionAttributes = Object.freeze({});

/** Checks a patch before any store applies it; throws SessionAttributesError. */
export function checkAttributesPatch(patch: SessionAttributesPatch): Array<[string, string | null]> {
  const entries = Object.entries(patch);
  if (entries.length > MAX_ATTRIBUTES) {
    throw new SessionAttributesError(`at most ${MAX_ATTRIBUTES} attributes per session`);
  }
  for (const [name, value] of entries) {
    if (name.length === 0 || name.length > MAX_ATTRIBUTE_NAME_LENGTH) {
      throw new SessionAttributesError(
        `attribute names are 1 to ${MAX_ATTRIBUTE_NAME_LENGTH} characters long`,
      );
    }
    if (value !== null && (typeof value !== 'string' || value.length > MAX_ATTRIBUTE_VALUE_LENGTH)) {
      throw new SessionAttributesError(
        `attribute "${name}" must be null or a string of at most ${MAX_ATTRIBUTE_VALUE_LENGTH} characters`,
      );
    }
  }
  return entries;
}

/** The attributes after `patch`, frozen; throws SessionAttributesError when too many would remain. */
export function applyAttributesPatch(
  current: SessionAttributes,
  entries: ReadonlyArray<readonly [string, string | null]>,
): SessionAttributes {
  if (entries.length === 0) return current;
  const next: Record<string, string> = { ...current };
  for (const [name, value] of entries) {
    if (value === null) delete next[name];
    else next[name] = value;
  }
  if (Object.keys(next).length > MAX_ATTRIBUTES) {
    throw new SessionAttributesError(`at most ${MAX_ATTRIBUTES} attributes per session`);
  }
  return Object.freeze(next);
}

/** Reads attributes stored as JSON, keeping only string values (anything else is dropped). */
export function parseAttributes(json: string | null | undefined): SessionAttributes {
  if (!json) return EMPTY_ATTRIBUTES;
  const value: unknown = JSON.parse(json);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return EMPTY_ATTRIBUTES;
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) if (typeof v === 'string') out[name] = v;
  return Object.freeze(out);
}
