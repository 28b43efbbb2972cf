/**
 * This editor tab's session key: names its recovery file and the folder where the runs of a
 * never-saved project are kept until its first save. Kept in the tab's session storage, so a
 * reload finds its own autosave (and its runs) again.
 */
export const SESSION_KEY = ((): string => {
  const fresh = `s${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  try {
    const kept = sessionStorage.getItem('layerloom.sessionKey');
    if (kept && /^s[a-z0-9]{4,40}$/.test(kept)) return kept;
    sessionStorage.setItem('layerloom.sessionKey', fresh);
  } catch {
    // Storage unavailable: a reload then offers the autosave like any other.
  }
  return fresh;
})();
