// The admin API, with the admin key from this tab's session storage (never localStorage: it leaves with the tab).
const STORE = 'keymux.adminKey';

export const session = {
  get: () => sessionStorage.getItem(STORE) ?? '',
  set: (key) => sessionStorage.setItem(STORE, key),
  clear: () => sessionStorage.removeItem(STORE),
};

/** An answer that was not 2xx: its status and the API's error code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * One call to /admin. Bodies are JSON, and every POST carries one: keymux refuses a browser's POST that is not
 * application/json when it runs without proxy keys.
 */
export async function api(path, { method = 'GET', body, key = session.get() } = {}) {
  const headers = { authorization: `Bearer ${key}` };
  const init = { method, headers, cache: 'no-store' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body ?? {});
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = {};
  }
  if (!res.ok) throw new ApiError(res.status, json.error?.code ?? '', json.error?.message ?? `${res.status} ${res.statusText}`);
  return json;
}

/** A key's path under /admin/keys, naming its provider (two providers may hold the same key). */
export const keyPath = (k, action) => `/admin/keys/${encodeURIComponent(k.id)}${action ? `/${action}` : ''}?provider=${encodeURIComponent(k.provider)}`;
