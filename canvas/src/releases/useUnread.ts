import { useCallback, useEffect, useState } from 'react';
import { RELEASES_CHANGED, releasesApi, type ReleaseNote } from './api.js';

const POLL_MS = 60_000;

/**
 * The unread notes of this person in this workspace, kept fresh: on load, when read state
 * changes anywhere in the app, when the tab comes back, and once a minute.
 */
export function useUnread(workspaceId: string): { unread: ReleaseNote[]; reload: () => void } {
  const [unread, setUnread] = useState<ReleaseNote[]>([]);
  const reload = useCallback(() => {
    releasesApi.changelog(workspaceId).then(
      (answer) => setUnread(answer.items.filter((note) => !note.read)),
      () => undefined,
    );
  }, [workspaceId]);
  useEffect(() => {
    reload();
    const timer = setInterval(reload, POLL_MS);
    const onVisible = (): void => {
      if (document.visibilityState === 'visible') reload();
    };
    window.addEventListener(RELEASES_CHANGED, reload);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      window.removeEventListener(RELEASES_CHANGED, reload);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [reload]);
  return { unread, reload };
}
