import { useState } from 'react';
import { messageOf } from '../api/client.js';
import type { WorkspaceSummary } from '../api/types.js';
import { Link, navigate } from '../app/router.js';
import { Badge, PageHeader, Skeleton } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { voiceApi, type CallItem, type ItemPatch } from './api.js';

const clock = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  const mm = String(Math.floor(s / 60) % 60).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
};

/** One call: extracted items to review (accept, edit, reassign, drop), tasks made, and the transcript. */
export function CallView({ workspace, callId }: { workspace: WorkspaceSummary; callId: string }) {
  const call = useLoad(() => voiceApi.get(workspace.id, callId), [workspace.id, callId]);
  const segments = useLoad(() => voiceApi.segments(workspace.id, callId), [workspace.id, callId]);
  const members = useLoad(() => voiceApi.members(workspace.id), [workspace.id]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const canEdit = workspace.role !== 'viewer';
  const admin = workspace.role === 'admin' || workspace.role === 'owner';

  if (!call.data) {
    return (
      <div className="page" data-testid="calls-page">
        <PageHeader title="Call" />
        {call.error ? <div className="card section">{call.error}</div> : <Skeleton />}
      </div>
    );
  }
  const data = call.data;
  const actions = data.items.filter((i) => i.kind === 'action');
  const accepted = actions.filter((i) => i.status === 'accepted').length;

  const act = async (work: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await work();
      await call.reload();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  const review = (item: CallItem, patch: ItemPatch) =>
    act(() => voiceApi.review(workspace.id, callId, item.id, patch));

  return (
    <div className="page voice" data-testid="calls-page">
      <PageHeader title={data.title}>
        <Link to={`/w/${workspace.id}/calls`} className="btn btn--ghost">
          All calls
        </Link>
        {admin && (
          <button
            className="btn btn--danger-text"
            disabled={busy}
            onClick={() =>
              void act(async () => {
                await voiceApi.remove(workspace.id, callId);
                navigate(`/w/${workspace.id}/calls`);
              })
            }
          >
            Delete call
          </button>
        )}
      </PageHeader>
      <p className="muted" data-testid="call-meta">
        {new Date(data.startedAt).toLocaleString()} · {Math.round(data.durationSeconds / 60)} min ·{' '}
        {(data.participants.length > 0 ? data.participants.map((p) => p.name) : (data.speakers ?? [])).join(
          ', ',
        )}
        {' · '}
        <Badge status={data.status} />
      </p>
      {error && (
        <div className="voice__error" role="alert" data-testid="call-error">
          {error}
        </div>
      )}
      <div className="voice__grid">
        <section className="card section" data-testid="call-items">
          <div className="section__header">
            <h2>Action items ({actions.length})</h2>
            {canEdit && (
              <button
                className="btn btn--ghost"
                disabled={busy}
                data-testid="call-extract"
                onClick={() => void act(() => voiceApi.extract(workspace.id, callId))}
              >
                Extract again
              </button>
            )}
            {canEdit && (
              <button
                className="btn btn--primary"
                disabled={busy || accepted === 0}
                data-testid="call-create-tasks"
                onClick={() => void act(() => voiceApi.createTasks(workspace.id, callId))}
              >
                Create {accepted} task{accepted === 1 ? '' : 's'}
              </button>
            )}
          </div>
          {actions.length === 0 && <p className="muted">No action items were found in this call.</p>}
          <ul className="voice__items">
            {actions.map((item) => (
              <ItemRow
                key={item.id}
                item={item}
                workspaceId={workspace.id}
                canEdit={canEdit}
                busy={busy}
                members={members.data?.items ?? []}
                onReview={(patch) => void review(item, patch)}
              />
            ))}
          </ul>
          <Notes
            title="Decisions"
            items={data.items.filter((i) => i.kind === 'decision')}
            testId="call-decisions"
          />
          <Notes
            title="Follow-up questions"
            items={data.items.filter((i) => i.kind === 'question')}
            testId="call-questions"
          />
        </section>
        <section className="card section voice__transcript" data-testid="call-transcript">
          <h2>Transcript</h2>
          {!segments.data && <Skeleton />}
          {segments.data?.items.map((segment, index) => (
            <p key={index} className="voice__segment">
              <span className="voice__time">{segment.at}</span>{' '}
              <strong>{segment.speaker || 'Unknown'}</strong> {segment.text}
            </p>
          ))}
        </section>
      </div>
    </div>
  );
}

function Notes({ title, items, testId }: { title: string; items: CallItem[]; testId: string }) {
  if (items.length === 0) return null;
  return (
    <div data-testid={testId}>
      <h3>{title}</h3>
      <ul className="voice__notes">
        {items.map((item) => (
          <li key={item.id}>
            <span className="voice__time">{clock(item.startMs)}</span> {item.text}
            {item.speaker && <span className="muted"> — {item.speaker}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

function ItemRow(props: {
  item: CallItem;
  workspaceId: string;
  canEdit: boolean;
  busy: boolean;
  members: Array<{ userId: string; name: string; email: string }>;
  onReview: (patch: ItemPatch) => void;
}) {
  const { item, canEdit, busy, members, onReview } = props;
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(item.text);
  const [due, setDue] = useState(item.dueDate ?? '');
  const [priority, setPriority] = useState(item.priority);
  const [owner, setOwner] = useState(item.owner?.userId ?? (item.owner ? 'keep' : ''));
  const save = (): void => {
    const patch: ItemPatch = { text, dueDate: due || null, priority };
    if (owner === '') patch.owner = null;
    else if (owner !== 'keep') patch.owner = { userId: owner };
    onReview(patch);
    setEditing(false);
  };
  return (
    <li
      className={`voice__item voice__item--${item.status}`}
      data-testid="call-item"
      data-status={item.status}
    >
      {editing ? (
        <div className="voice__edit">
          <input
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-label="Text"
            data-testid="item-text"
          />
          <input type="date" value={due} onChange={(e) => setDue(e.target.value)} aria-label="Due date" />
          <select
            value={priority}
            onChange={(e) => setPriority(e.target.value as CallItem['priority'])}
            aria-label="Priority"
          >
            {(['low', 'normal', 'high', 'urgent'] as const).map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
          <select
            value={owner}
            onChange={(e) => setOwner(e.target.value)}
            aria-label="Owner"
            data-testid="item-owner"
          >
            <option value="">Unassigned</option>
            {item.owner && !item.owner.userId && <option value="keep">{item.owner.name}</option>}
            {members.map((m) => (
              <option key={m.userId} value={m.userId}>
                {m.name || m.email}
              </option>
            ))}
          </select>
          <button
            className="btn btn--primary btn--small"
            onClick={save}
            disabled={busy}
            data-testid="item-save"
          >
            Save
          </button>
          <button className="btn btn--ghost btn--small" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <>
          <div className="voice__item-head">
            <strong data-testid="item-title">{item.text}</strong> <Badge status={item.status} />
            {item.priority !== 'normal' && (
              <span className={`voice__priority voice__priority--${item.priority}`}>{item.priority}</span>
            )}
          </div>
          <div className="voice__item-meta">
            <span data-testid="item-owner-name">{item.owner ? item.owner.name : 'Unassigned'}</span>
            {!item.owner && item.ownerReason && <span className="muted"> ({item.ownerReason})</span>}
            {' · '}
            <span data-testid="item-due">{item.dueDate ? `due ${item.dueDate}` : 'no due date'}</span>
          </div>
          <blockquote className="voice__quote">
            <span className="voice__time">{clock(item.startMs)}</span>{' '}
            {item.speaker && <strong>{item.speaker}: </strong>}
            {item.quote}
          </blockquote>
          {item.taskId && (
            <Link to={`/w/${props.workspaceId}/tasks`} testId="item-task-link">
              Task created →
            </Link>
          )}
          {canEdit && item.status !== 'created' && (
            <div className="voice__actions">
              {item.status !== 'accepted' && (
                <button
                  className="btn btn--small"
                  disabled={busy}
                  onClick={() => onReview({ action: 'accept' })}
                  data-testid="item-accept"
                >
                  Accept
                </button>
              )}
              <button
                className="btn btn--small btn--ghost"
                disabled={busy}
                onClick={() => setEditing(true)}
                data-testid="item-edit"
              >
                Edit
              </button>
              {item.status !== 'dropped' ? (
                <button
                  className="btn btn--small btn--danger-text"
                  disabled={busy}
                  onClick={() => onReview({ action: 'drop' })}
                  data-testid="item-drop"
                >
                  Drop
                </button>
              ) : (
                <button
                  className="btn btn--small btn--ghost"
                  disabled={busy}
                  onClick={() => onReview({ action: 'reopen' })}
                >
                  Reopen
                </button>
              )}
            </div>
          )}
        </>
      )}
    </li>
  );
}
