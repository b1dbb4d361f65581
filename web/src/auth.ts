// The token lives in sessionStorage (one tab's session); a sign-in link carries it in the
// URL fragment, which browsers never send to the server, and the page removes it at once.
const KEY = "pm.token";

export interface Claims {
  sub: string;
  tenant_id: string;
  exp: number;
}

export function takeTokenFromFragment(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return;
  setToken(decodeURIComponent(match[1]));
  history.replaceState(null, "", location.pathname + location.search + "#/");
}

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token.trim());
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}

/** The token's claims, read (not verified: the server does that) to show who is signed in. */
export function claims(token: string): Claims | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const value = JSON.parse(json) as Partial<Claims>;
    if (typeof value.sub !== "string" || typeof value.tenant_id !== "string") return null;
    return { sub: value.sub, tenant_id: value.tenant_id, exp: Number(value.exp ?? 0) };
  } catch {
    return null;
  }
}
