import { useState } from 'react';
import { messageOf } from '../api/client.js';
import type { WorkspaceSummary } from '../api/types.js';
import { useToast } from '../app/toasts.js';
import { feedbackApi, type FeedbackKind } from './api.js';

const KINDS: Array<{ id: FeedbackKind; title: string; hint: string }> = [
  {
    id: 'idea',
    title: 'Idea',
    hint: 'What should Revflow do next? Ideas go on the board for others to vote on.',
  },
  { id: 'problem', title: 'Problem', hint: 'What went wrong? Only you and the Revflow team see it.' },
  { id: 'praise', title: 'Praise', hint: 'What do you like? Only you and the Revflow team see it.' },
];

/** The feedback button on every page: kind, text, and the page it was given on. */
export function FeedbackWidget({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const [kind, setKind] = useState<FeedbackKind>('idea');
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const send = async (): Promise<void> => {
    setBusy(true);
    setProblem(null);
    try {
      await feedbackApi.give(workspace.id, { kind, text, page: path.slice(0, 500) });
      setText('');
      setOpen(false);
      toast.show(
        'success',
        kind === 'idea' ? 'Thanks! Your idea is on the board.' : 'Thanks for the feedback!',
      );
    } catch (failure) {
      setProblem(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  if (!open)
    return (
      <button className="btn feedback-fab" onClick={() => setOpen(true)} data-testid="feedback-open">
        ✎ Feedback
      </button>
    );
  return (
    <section className="card feedback-widget" data-testid="feedback-widget" aria-label="Give feedback">
      <header className="feedback-widget__head">
        <strong>Feedback</strong>
        <button className="btn btn--ghost btn--icon" aria-label="Close" onClick={() => setOpen(false)}>
          ×
        </button>
      </header>
      <div className="segmented" role="radiogroup" aria-label="Kind">
        {KINDS.map((option) => (
          <button
            key={option.id}
            role="radio"
            aria-checked={kind === option.id}
            className={kind === option.id ? 'on' : ''}
            onClick={() => setKind(option.id)}
            data-testid={`feedback-kind-${option.id}`}
          >
            {option.title}
          </button>
        ))}
      </div>
      <p className="muted small">{KINDS.find((option) => option.id === kind)?.hint}</p>
      <textarea
        rows={4}
        maxLength={5000}
        value={text}
        onChange={(event) => setText(event.target.value)}
        placeholder="Tell us…"
        data-testid="feedback-text"
        aria-label="Your feedback"
      />
      {problem && <div className="form-error">{problem}</div>}
      <div className="feedback-widget__foot">
        <span className="muted small" title={path}>
          From {path.length > 40 ? `…${path.slice(-40)}` : path}
        </span>
        <button
          className="btn btn--primary btn--small"
          disabled={busy || text.trim() === ''}
          onClick={() => void send()}
          data-testid="feedback-send"
        >
          Send
        </button>
      </div>
    </section>
  );
}
