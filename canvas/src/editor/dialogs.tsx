import { useState } from 'react';
import { api, messageOf, ws } from '../api/client.js';
import type { JsonValue, List, Version, VersionSummary } from '../api/types.js';
import { timeAgo } from '../ui/bits.js';
import { Modal } from '../ui/Modal.js';
import { useLoad } from '../ui/useLoad.js';
import { JsonField } from './JsonField.js';

export function PublishModal(props: { onClose: () => void; onPublish: (note: string) => Promise<void> }) {
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const publish = async (): Promise<void> => {
    setBusy(true);
    try {
      await props.onPublish(note.trim());
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title="Publish a new version"
      onClose={props.onClose}
      testId="publish-dialog"
      footer={
        <button
          className="btn btn--primary"
          disabled={busy}
          onClick={() => void publish()}
          data-testid="publish-confirm"
        >
          {busy ? 'Publishing…' : 'Publish'}
        </button>
      }
    >
      <p className="muted">
        The draft is frozen as a new version; manual runs and active triggers use the latest published
        version.
      </p>
      <label className="field">
        <span className="field__label">What changed?</span>
        <textarea
          rows={3}
          value={note}
          onChange={(e) => setNote(e.target.value)}
          placeholder="e.g. Offer the professional plan above 80% usage"
          data-testid="publish-note"
          autoFocus
        />
      </label>
    </Modal>
  );
}

export function RunModal(props: {
  sample: JsonValue | undefined;
  onClose: () => void;
  onRun: (input: JsonValue) => Promise<void>;
  draftAhead: boolean;
}) {
  const [input, setInput] = useState<JsonValue | undefined>(props.sample ?? {});
  const [busy, setBusy] = useState(false);
  const run = async (): Promise<void> => {
    setBusy(true);
    try {
      await props.onRun(input ?? {});
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title="Run the published version"
      onClose={props.onClose}
      testId="run-dialog"
      footer={
        <button
          className="btn btn--primary"
          disabled={busy}
          onClick={() => void run()}
          data-testid="run-confirm"
        >
          {busy ? 'Starting…' : '▶ Run'}
        </button>
      }
    >
      {props.draftAhead && (
        <p className="notice">
          The draft has changes that are not published: the run uses the last published version.
        </p>
      )}
      <label className="field">
        <span className="field__label">Input (JSON) — what the manual trigger outputs</span>
        <JsonField value={input} onChange={setInput} rows={10} testId="run-input" />
      </label>
    </Modal>
  );
}

/** Published versions, newest first; one can be loaded into the draft (a rollback). */
export function VersionsModal(props: {
  workspaceId: string;
  workflowId: string;
  current: { nodes: number; edges: number };
  onClose: () => void;
  onRestore: (version: Version) => void;
}) {
  const base = `${ws(props.workspaceId)}/workflows/${props.workflowId}/versions`;
  const list = useLoad(() => api.get<List<VersionSummary>>(base), [base]);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [details, setDetails] = useState<Record<string, Version>>({});
  const load = async (id: string): Promise<Version> => {
    const version = details[id] ?? (await api.get<Version>(`${base}/${id}`));
    setDetails((all) => ({ ...all, [id]: version }));
    return version;
  };
  const restore = async (id: string): Promise<void> => {
    setBusy(id);
    try {
      props.onRestore(await load(id));
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(null);
    }
  };
  return (
    <Modal title="Version history" onClose={props.onClose} testId="versions-dialog" wide>
      {error && <p className="form-error">{error}</p>}
      {list.loading && !list.data ? (
        <p className="muted">Loading…</p>
      ) : (list.data?.items.length ?? 0) === 0 ? (
        <p className="muted">Nothing published yet.</p>
      ) : (
        <ul className="versions">
          {list.data?.items.map((version) => {
            const doc = details[version.id]?.document;
            return (
              <li key={version.id} data-testid="version-row">
                <div>
                  <strong>v{version.number}</strong>{' '}
                  <small className="muted">{timeAgo(version.createdAt)}</small>
                  <div>{version.note || <span className="muted">No note</span>}</div>
                  {doc && (
                    <small className="muted">
                      {doc.nodes.length} nodes ({signed(doc.nodes.length - props.current.nodes)} vs draft),{' '}
                      {doc.edges.length} edges ({signed(doc.edges.length - props.current.edges)})
                    </small>
                  )}
                </div>
                <div className="row-actions">
                  {!doc && (
                    <button className="btn btn--small btn--ghost" onClick={() => void load(version.id)}>
                      Compare
                    </button>
                  )}
                  <button
                    className="btn btn--small"
                    disabled={busy !== null}
                    onClick={() => void restore(version.id)}
                    data-testid="version-restore"
                  >
                    Load into draft
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </Modal>
  );
}

const signed = (n: number): string => (n > 0 ? `+${n}` : String(n));
