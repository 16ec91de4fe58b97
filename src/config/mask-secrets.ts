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
