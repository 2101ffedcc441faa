/**
 * Whether a client's model list lets it use a model. An entry is a name as the client sends it (an alias, a
 * group, `provider/model`), or `provider/*` for anything the request resolves to on that provider. Names are
 * matched as sent, not as resolved: allowing the alias `coder` must not allow its target under another name.
 */
export function modelAllowed(allowed: readonly string[] | undefined, asked: string, provider: string): boolean {
  if (allowed === undefined) return true;
  for (const entry of allowed) {
    if (entry === asked || entry === '*') return true;
    if (entry.endsWith('/*') && entry.length - 2 === provider.length && entry.startsWith(provider)) return true;
  }
  return false;
}
