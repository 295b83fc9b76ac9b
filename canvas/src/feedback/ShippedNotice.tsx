import { useCallback, useEffect, useState } from 'react';
import type { WorkspaceSummary } from '../api/types.js';
import { navigate } from '../app/router.js';
import { FEEDBACK_CHANGED, feedbackApi, type Notification } from './api.js';

const POLL_MS = 60_000;

/** In-app: "an idea you voted for shipped", until read. */
export function ShippedNotice({ workspace }: { workspace: WorkspaceSummary }) {
  const [items, setItems] = useState<Notification[]>([]);
  const load = useCallback(() => {
    feedbackApi.notifications(workspace.id).then(
      (answer) => setItems(answer.items.filter((item) => !item.read)),
      () => undefined,
    );
  }, [workspace.id]);
  useEffect(() => {
    load();
    const timer = setInterval(load, POLL_MS);
    window.addEventListener(FEEDBACK_CHANGED, load);
    return () => {
      clearInterval(timer);
      window.removeEventListener(FEEDBACK_CHANGED, load);
    };
  }, [load]);
  const first = items[0];
  if (!first) return null;
  const read = (then?: string): void => {
    void feedbackApi.readNotification(workspace.id, first.id).catch(() => undefined);
    setItems((list) => list.slice(1));
    if (then) navigate(then);
  };
  return (
    <aside className="card shipped-notice" role="status" data-testid="shipped-notice">
      <div className="shipped-notice__title">{first.title}</div>
      <p className="small">{first.body}</p>
      <div className="row-actions">
        {first.releaseNoteId && (
          <button
            className="btn btn--primary btn--small"
            data-testid="shipped-notice-open"
            onClick={() => read(`/w/${workspace.id}/releases/${first.releaseNoteId}`)}
          >
            See the release
          </button>
        )}
        <button
          className="btn btn--ghost btn--small"
          onClick={() => read()}
          data-testid="shipped-notice-dismiss"
        >
          Dismiss
        </button>
      </div>
    </aside>
  );
}
