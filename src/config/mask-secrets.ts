/** Variable names whose values are secrets. */
const SECRET_NAME = /(KEY|SECRET|PASSWORD|TOKEN|CREDENTIAL|HEADERS)/i;

function maskOneUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  const credentials = url.username !== '' || url.password !== '' ? '****@' : '';
  const query = [...url.searchParams.keys()].map((key) => `${key}=****`).join('&');
  return `${url.protocol}//${credentials}${url.host}${url.pathname}${query ? `?${query}` : ''}`;
}

/**
 * Masks what a URL can carry as a secret: user:password (https://user:pass@host/) and every query
 * value (?token=…), in a URL or in any text that contains URLs.
 */
export function maskUrlCredentials(value: string): string {
  const parsed = value.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>,]+/gi, maskOneUrl);
  // A second, purely textual pass catches user info the URL parser could not read (bad port, broken
  // IPv6, URLs run together), so a password never survives because its URL was malformed.
  return parsed.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s:,]+(:[^/@\s,]*)?@/gi, '$1****@');
}

/**
 * The secret values a config holds (secret-named variables, API keys, passwords inside URLs), for the
 * log redactor to cut wherever they appear, e.g. in a provider's error body that echoes the key.
 */
export function configSecrets(config: object): string[] {
  const found: string[] = [];
  for (const [name, value] of Object.entries(config)) {
    if (name === 'API_KEYS' && Array.isArray(value)) {
      for (const entry of value as Array<{ key?: unknown }>)
        if (typeof entry.key === 'string') found.push(entry.key);
    } else if (typeof value === 'string' && SECRET_NAME.test(name) && value !== '') {
      found.push(value);
    } else if (typeof value === 'string' && value.includes('://')) {
      try {
        const password = decodeURIComponent(new URL(value).password);
        if (password) found.push(password);
      } catch {
        // Not a URL: nothing to take from it.
      }
    }
  }
  return found;
}
