import { useEffect, useState } from 'react';
import { messageOf } from '../api/client.js';
import { useToast } from '../app/toasts.js';
import { Badge, Skeleton } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { CATEGORIES, PLANS, releasesApi, ROLES, type NoteInput, type ReleaseNote } from './api.js';

const blank = (): NoteInput => ({
  title: '',
  body: '',
  category: 'new',
  version: null,
  featured: false,
  audience: { plans: [], roles: [] },
  status: 'draft',
  scheduledAt: null,
});

/** `datetime-local` speaks local time without a zone; the API wants an ISO instant. */
const toLocalInput = (iso: string | null): string => {
  if (!iso) return '';
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

/** Instance admins: write, schedule and publish release notes; every note with its status. */
export function ManageReleases() {
  const toast = useToast();
  const { data, loading, error, reload } = useLoad(() => releasesApi.all(), []);
  const [editing, setEditing] = useState<{ id: string | null; input: NoteInput } | null>(null);
  const act = async (work: () => Promise<unknown>, done: string): Promise<void> => {
    try {
      await work();
      toast.show('success', done);
      await reload();
    } catch (failure) {
      toast.error(failure);
    }
  };
  const edit = (note: ReleaseNote): void =>
    setEditing({
      id: note.id,
      input: {
        title: note.title,
        body: note.body,
        category: note.category,
        version: note.version,
        featured: note.featured,
        audience: note.audience,
        status: note.status === 'scheduled' ? 'scheduled' : 'draft',
        scheduledAt: note.scheduledAt,
      },
    });
  if (loading && !data) return <Skeleton rows={4} />;
  if (error) return <div className="form-error">{error}</div>;
  return (
    <div className="releases-admin">
      {editing ? (
        <NoteEditor
          initial={editing.input}
          published={data?.items.find((n) => n.id === editing.id)?.status === 'published'}
          onCancel={() => setEditing(null)}
          onSave={async (input, publishNow) => {
            const published = data?.items.find((n) => n.id === editing.id)?.status === 'published';
            // A published note keeps its publication: only its content changes.
            const { status, scheduledAt, ...content } = input;
            const saved = editing.id
              ? await releasesApi.update(
                  editing.id,
                  published ? content : { ...content, status, scheduledAt },
                )
              : await releasesApi.create(input);
            if (publishNow) await releasesApi.publish(saved.id);
            setEditing(null);
            toast.show(
              'success',
              publishNow ? 'Published' : input.status === 'scheduled' ? 'Scheduled' : 'Saved',
            );
            await reload();
          }}
        />
      ) : (
        <button
          className="btn btn--primary"
          onClick={() => setEditing({ id: null, input: blank() })}
          data-testid="release-new"
        >
          New release note
        </button>
      )}
      <table className="table releases-admin__table" data-testid="releases-admin-list">
        <thead>
          <tr>
            <th>Title</th>
            <th>Status</th>
            <th className="hide-narrow">Audience</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(data?.items ?? []).map((note) => (
            <tr key={note.id} data-testid="releases-admin-row">
              <td className="table__main">
                {note.title}
                {note.version && <span className="muted"> · {note.version}</span>}
              </td>
              <td>
                <Badge status={note.status} />
                {note.status === 'scheduled' && note.scheduledAt && (
                  <div className="muted small">{new Date(note.scheduledAt).toLocaleString()}</div>
                )}
              </td>
              <td className="hide-narrow muted">
                {note.public ? 'Everyone' : [...note.audience.plans, ...note.audience.roles].join(', ')}
              </td>
              <td className="table__actions">
                <button className="btn btn--ghost btn--small" onClick={() => edit(note)}>
                  Edit
                </button>
                {note.status !== 'published' && (
                  <button
                    className="btn btn--small"
                    data-testid="release-publish"
                    onClick={() => void act(() => releasesApi.publish(note.id), 'Published')}
                  >
                    Publish now
                  </button>
                )}
                <button
                  className="btn btn--ghost btn--small btn--danger-text"
                  onClick={() => void act(() => releasesApi.remove(note.id), 'Deleted')}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function NoteEditor(props: {
  initial: NoteInput;
  published: boolean;
  onCancel: () => void;
  onSave: (input: NoteInput, publishNow: boolean) => Promise<void>;
}) {
  const [input, setInput] = useState<NoteInput>(props.initial);
  const [preview, setPreview] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // The preview is the server's sanitised HTML: exactly what readers will get.
  useEffect(() => {
    const timer = setTimeout(() => {
      releasesApi.preview(input.body).then(
        (answer) => setPreview(answer.html),
        () => undefined,
      );
    }, 250);
    return () => clearTimeout(timer);
  }, [input.body]);
  const set = (patch: Partial<NoteInput>): void => setInput((current) => ({ ...current, ...patch }));
  const toggle = (list: string[], value: string): string[] =>
    list.includes(value) ? list.filter((item) => item !== value) : [...list, value];
  const save = async (publishNow: boolean): Promise<void> => {
    setBusy(true);
    setProblem(null);
    try {
      const body: NoteInput = publishNow ? { ...input, status: 'draft', scheduledAt: null } : input;
      await props.onSave(body, publishNow && !props.published);
    } catch (failure) {
      setProblem(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="card release-editor"
      data-testid="release-editor"
      onSubmit={(event) => event.preventDefault()}
    >
      <div className="release-editor__grid">
        <div>
          <label className="field">
            <span>Title</span>
            <input
              value={input.title}
              onChange={(e) => set({ title: e.target.value })}
              data-testid="release-title"
              maxLength={200}
            />
          </label>
          <div className="field-row">
            <label className="field">
              <span>Category</span>
              <select
                value={input.category}
                onChange={(e) => set({ category: e.target.value as NoteInput['category'] })}
                data-testid="release-category"
              >
                {CATEGORIES.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.title}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>Version</span>
              <input
                value={input.version ?? ''}
                onChange={(e) => set({ version: e.target.value || null })}
                placeholder="2.5.0"
                maxLength={40}
              />
            </label>
          </div>
          <label className="field">
            <span>Body (markdown)</span>
            <textarea
              rows={10}
              value={input.body}
              onChange={(e) => set({ body: e.target.value })}
              data-testid="release-body"
            />
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={input.featured}
              onChange={(e) => set({ featured: e.target.checked })}
            />{' '}
            Featured (shown in the “What's new” panel)
          </label>
          <fieldset className="release-editor__audience">
            <legend>Audience (none ticked: everyone, and the public feed)</legend>
            <div>
              {PLANS.map((plan) => (
                <label key={plan} className="check">
                  <input
                    type="checkbox"
                    checked={input.audience.plans.includes(plan)}
                    onChange={() =>
                      set({ audience: { ...input.audience, plans: toggle(input.audience.plans, plan) } })
                    }
                  />{' '}
                  {plan}
                </label>
              ))}
            </div>
            <div>
              {ROLES.map((role) => (
                <label key={role} className="check">
                  <input
                    type="checkbox"
                    checked={input.audience.roles.includes(role)}
                    onChange={() =>
                      set({ audience: { ...input.audience, roles: toggle(input.audience.roles, role) } })
                    }
                  />{' '}
                  {role}
                </label>
              ))}
            </div>
          </fieldset>
          {!props.published && (
            <label className="field">
              <span>Publish at (leave empty for a draft)</span>
              <input
                type="datetime-local"
                data-testid="release-schedule"
                value={toLocalInput(input.scheduledAt)}
                onChange={(e) =>
                  set(
                    e.target.value
                      ? { status: 'scheduled', scheduledAt: new Date(e.target.value).toISOString() }
                      : { status: 'draft', scheduledAt: null },
                  )
                }
              />
            </label>
          )}
        </div>
        <div className="release-editor__preview">
          <div className="field__label">Preview</div>
          <div
            className="markdown"
            data-testid="release-preview"
            dangerouslySetInnerHTML={{ __html: preview }}
          />
        </div>
      </div>
      {problem && <div className="form-error">{problem}</div>}
      <div className="row-actions">
        <button type="button" className="btn btn--ghost" onClick={props.onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className="btn"
          disabled={busy}
          onClick={() => void save(false)}
          data-testid="release-save"
        >
          {props.published ? 'Save' : input.status === 'scheduled' ? 'Schedule' : 'Save draft'}
        </button>
        {!props.published && (
          <button
            type="button"
            className="btn btn--primary"
            disabled={busy}
            onClick={() => void save(true)}
            data-testid="release-publish-now"
          >
            Publish now
          </button>
        )}
      </div>
    </form>
  );
}
