import { useState } from 'react';
import { api, messageOf, ws } from '../api/client.js';
import type { JsonValue, List, Version, VersionSummary, WorkflowDocument } from '../api/types.js';
import { timeAgo } from '../ui/bits.js';
import { Modal } from '../ui/Modal.js';
import { useLoad } from '../ui/useLoad.js';
import { diffDocuments, isEmptyDiff, showValue, type DocumentDiff } from './diff.js';
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

/** Published versions, newest first: each can be compared with the draft and loaded into it (a rollback). */
export function VersionsModal(props: {
  workspaceId: string;
  workflowId: string;
  current: WorkflowDocument;
  onClose: () => void;
  onRestore: (version: Version) => void;
}) {
  const base = `${ws(props.workspaceId)}/workflows/${props.workflowId}/versions`;
  const list = useLoad(() => api.get<List<VersionSummary>>(base), [base]);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [details, setDetails] = useState<Record<string, Version>>({});
  const [open, setOpen] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const load = async (id: string): Promise<Version> => {
    const version = details[id] ?? (await api.get<Version>(`${base}/${id}`));
    setDetails((all) => ({ ...all, [id]: version }));
    return version;
  };
  const compare = async (id: string): Promise<void> => {
    if (open === id) {
      setOpen(null);
      return;
    }
    try {
      await load(id);
      setOpen(id);
    } catch (failure) {
      setError(messageOf(failure));
    }
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
                <div className="versions__row">
                  <div>
                    <strong>v{version.number}</strong>{' '}
                    <small className="muted">{timeAgo(version.createdAt)}</small>
                    <div>{version.note || <span className="muted">No note</span>}</div>
                  </div>
                  <div className="row-actions">
                    <button
                      className="btn btn--small btn--ghost"
                      onClick={() => void compare(version.id)}
                      data-testid="version-compare"
                    >
                      {open === version.id ? 'Hide changes' : 'Compare with draft'}
                    </button>
                    {confirming === version.id ? (
                      <button
                        className="btn btn--small btn--primary"
                        disabled={busy !== null}
                        onClick={() => void restore(version.id)}
                        data-testid="version-restore-confirm"
                      >
                        Replace the draft with v{version.number}
                      </button>
                    ) : (
                      <button
                        className="btn btn--small"
                        disabled={busy !== null}
                        onClick={() => setConfirming(version.id)}
                        data-testid="version-restore"
                      >
                        Roll back to this
                      </button>
                    )}
                  </div>
                </div>
                {open === version.id && doc && <DiffView diff={diffDocuments(doc, props.current)} />}
              </li>
            );
          })}
        </ul>
      )}
    </Modal>
  );
}

/** What the draft changes relative to a version, node by node and field by field. */
export function DiffView({ diff }: { diff: DocumentDiff }) {
  if (isEmptyDiff(diff))
    return (
      <p className="diff diff--same muted" data-testid="version-diff">
        The draft is the same as this version.
      </p>
    );
  return (
    <div className="diff" data-testid="version-diff">
      <p className="muted diff__legend">From this version to the draft:</p>
      <ul>
        {diff.addedNodes.map((id) => (
          <li key={`+${id}`} className="diff__added" data-testid="diff-added">
            + node <code>{id}</code> added
          </li>
        ))}
        {diff.removedNodes.map((id) => (
          <li key={`-${id}`} className="diff__removed" data-testid="diff-removed">
            − node <code>{id}</code> removed
          </li>
        ))}
        {diff.changedNodes.map(({ id, fields }) => (
          <li key={`~${id}`} className="diff__changed" data-testid="diff-changed">
            ~ node <code>{id}</code> changed
            <ul>
              {fields.map((field) => (
                <li key={field.path} data-testid={`diff-field-${id}-${field.path}`}>
                  <code>{field.path}</code>: <del>{showValue(field.before)}</del> →{' '}
                  <ins>{showValue(field.after)}</ins>
                </li>
              ))}
            </ul>
          </li>
        ))}
        {diff.movedNodes.length > 0 && (
          <li className="muted">
            {diff.movedNodes.length} node{diff.movedNodes.length === 1 ? '' : 's'} moved on the canvas
          </li>
        )}
        {diff.addedEdges.map((edge) => (
          <li key={`+${edge}`} className="diff__added">
            + connection {edge}
          </li>
        ))}
        {diff.removedEdges.map((edge) => (
          <li key={`-${edge}`} className="diff__removed">
            − connection {edge}
          </li>
        ))}
        {diff.workflow.map((field) => (
          <li key={`w:${field.path}`} className="diff__changed">
            ~ workflow <code>{field.path}</code>: <del>{showValue(field.before)}</del> →{' '}
            <ins>{showValue(field.after)}</ins>
          </li>
        ))}
      </ul>
    </div>
  );
}
