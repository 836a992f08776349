/**
 * The API token the user typed, kept in `sessionStorage` (gone when the tab closes, never in
 * `localStorage` or a cookie) so a reload does not ask again.
 */
const KEY = "dawsos.apiToken";

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function writeToken(token: string | null): void {
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // storage disabled: the token lives only as long as this page
  }
}
