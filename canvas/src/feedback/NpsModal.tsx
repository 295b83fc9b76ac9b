import { useEffect, useState } from 'react';
import { messageOf } from '../api/client.js';
import type { WorkspaceSummary } from '../api/types.js';
import { useToast } from '../app/toasts.js';
import { feedbackApi } from './api.js';

/** How long after the page opens the survey waits: nobody is asked the second they arrive. */
const DELAY_MS = 1500;

/**
 * The NPS survey: asked only when the server says it is due (the rules are the server's), a
 * display recorded when it opens, one answer or a dismissal per display.
 */
export function NpsModal({ workspace }: { workspace: WorkspaceSummary }) {
  const toast = useToast();
  const [displayId, setDisplayId] = useState<string | null>(null);
  const [score, setScore] = useState<number | null>(null);
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    const timer = setTimeout(() => {
      void (async () => {
        const due = await feedbackApi.survey(workspace.id);
        if (!due.eligible || cancelled) return;
        const shown = due.displayId ? { displayId: due.displayId } : await feedbackApi.display(workspace.id);
        if (!cancelled) setDisplayId(shown.displayId);
      })().catch(() => undefined);
    }, DELAY_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [workspace.id]);
  if (!displayId) return null;
  const close = (): void => {
    void feedbackApi.dismiss(workspace.id, displayId).catch(() => undefined);
    setDisplayId(null);
  };
  const submit = async (): Promise<void> => {
    if (score === null) return;
    try {
      await feedbackApi.respond(workspace.id, displayId, {
        score,
        ...(comment.trim() ? { comment: comment.trim() } : {}),
      });
      setDisplayId(null);
      toast.show('success', 'Thank you for your answer!');
    } catch (failure) {
      setProblem(messageOf(failure));
    }
  };
  return (
    <div className="modal-backdrop nps-backdrop">
      <div
        className="modal nps"
        role="dialog"
        aria-label="How likely are you to recommend Revflow?"
        data-testid="nps-modal"
      >
        <header className="modal__header">
          <h2>How likely are you to recommend Revflow to a friend or colleague?</h2>
          <button
            className="btn btn--ghost btn--icon"
            aria-label="Not now"
            onClick={close}
            data-testid="nps-dismiss"
          >
            ×
          </button>
        </header>
        <div className="modal__body">
          <div className="nps__scale" role="radiogroup" aria-label="Score from 0 to 10">
            {Array.from({ length: 11 }, (_, value) => (
              <button
                key={value}
                role="radio"
                aria-checked={score === value}
                className={`nps__score${score === value ? ' nps__score--on' : ''}`}
                onClick={() => setScore(value)}
                data-testid={`nps-score-${value}`}
              >
                {value}
              </button>
            ))}
          </div>
          <div className="nps__ends muted small">
            <span>Not at all likely</span>
            <span>Extremely likely</span>
          </div>
          {score !== null && (
            <label className="field nps__comment">
              <span>
                {score >= 9
                  ? 'What do you love most?'
                  : score >= 7
                    ? 'What would make it a 10?'
                    : 'What should we do better?'}{' '}
                (optional)
              </span>
              <textarea
                rows={3}
                maxLength={2000}
                value={comment}
                onChange={(e) => setComment(e.target.value)}
                data-testid="nps-comment"
              />
            </label>
          )}
          {problem && <div className="form-error">{problem}</div>}
        </div>
        <footer className="modal__footer">
          <button className="btn btn--ghost" onClick={close}>
            Not now
          </button>
          <button
            className="btn btn--primary"
            disabled={score === null}
            onClick={() => void submit()}
            data-testid="nps-submit"
          >
            Send
          </button>
        </footer>
      </div>
    </div>
  );
}
