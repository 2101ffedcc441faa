/**
 * A base URL may carry credentials: `http://user:pass@host` (a gateway behind basic auth) or `?key=…` (a
 * provider that takes its key in the query). Wherever keymux shows a URL — the providers list, log lines,
 * error messages — it goes through here first, so a screenshot or a shared log leaks no secret.
 */

/** Query parameters whose values are harmless and help debugging; every other value is hidden. */
const SHOWN_PARAMS: ReadonlySet<string> = new Set(['api-version', 'alt']);

const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i;

/** The URL as written, minus its userinfo and the values of query parameters not known to be harmless. */
export function shownUrl(url: string): string {
  const bare = url.replace(USERINFO, '$1');
  const q = bare.indexOf('?');
  if (q < 0) return bare;
  const hash = bare.indexOf('#', q);
  const query = bare.slice(q + 1, hash < 0 ? undefined : hash);
  const shown = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 0) return pair;
      return SHOWN_PARAMS.has(decodeName(pair.slice(0, eq))) ? pair : `${pair.slice(0, eq)}=***`;
    })
    .join('&');
  return `${bare.slice(0, q)}?${shown}`;
}

function decodeName(s: string): string {
  try {
    return decodeURIComponent(s).toLowerCase();
  } catch {
    return s.toLowerCase();
  }
}

/** Every http(s) URL in a free text (an error message, a warning), shown as shownUrl shows it. */
export function redactText(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(/\bhttps?:\/\/[^\s"'<>]+/gi, (u) => shownUrl(u));
}
