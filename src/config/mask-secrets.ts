const SECRET_NAME = /(KEY|SECRET|PASSWORD|TOKEN|CREDENTIAL|HEADERS)/i;

/** Shows enough of a secret to tell which one is configured, never enough to use it. */
export function maskValue(value: string): string {
  if (value.length <= 8) return '****';
  return `${value.slice(0, 2)}****${value.slice(-2)}`;
}

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
 * Returns a printable copy of a config-like object: values of secret-looking names are masked and
 * credentials inside URLs are removed. Nested arrays (API_KEYS) are masked entry by entry.
 */
export function maskSecrets<T extends object>(config: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(config)) {
    if (name === 'API_KEYS' && Array.isArray(value)) {
      out[name] = value.map((entry: { key: string; tenantId: string }) => ({
        key: maskValue(entry.key),
        tenantId: entry.tenantId,
      }));
    } else if (typeof value === 'string' && SECRET_NAME.test(name)) {
      out[name] = value === '' ? value : maskValue(value);
    } else if (typeof value === 'string') {
      out[name] = maskUrlCredentials(value);
    } else {
      out[name] = value;
    }
  }
  return out;
}
