import { useState, type ChangeEvent } from 'react';
import { api, messageOf } from '../api/client.js';
import type { Workflow } from '../api/types.js';
import { Badge } from '../ui/bits.js';
import { Modal } from '../ui/Modal.js';

/** What POST .../workflows/import answers (api/workflows/import/index.ts). */
export interface ImportReport {
  source: 'n8n';
  workflowName: string;
  summary: { nodes: number; mapped: number; partial: number; unmapped: number; stickyNotes: number };
  nodes: Array<{
    name: string;
    n8nType: string;
    typeVersion: number;
    id: string;
    type: string;
    status: 'mapped' | 'partial' | 'unmapped';
    reasons: string[];
    todo: string[];
    helpers: string[];
  }>;
  warnings: string[];
}
export type ImportedWorkflow = Workflow & { importReport?: ImportReport | null };

const STATUS_BADGE = { mapped: 'succeeded', partial: 'waiting', unmapped: 'failed' } as const;

/** Send a file's or a paste's JSON to the import route (our document or an n8n workflow). */
export async function importWorkflow(base: string, text: string): Promise<ImportedWorkflow> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new Error('That is not valid JSON');
  }
  return api.post<ImportedWorkflow>(`${base}/import`, document);
}

/** The per-node report of an n8n import: what each node became, and what is left to do. */
export function ImportReportView({ report }: { report: ImportReport }) {
  const { summary } = report;
  return (
    <div data-testid="import-report">
      <p data-testid="import-summary">
        {summary.nodes} n8n nodes: {summary.mapped} mapped, {summary.partial} partly, {summary.unmapped} not
        mapped{summary.stickyNotes > 0 ? ` · ${summary.stickyNotes} sticky notes in the description` : ''}.
        The workflow is a draft: check the points below, then publish.
      </p>
      <table className="table">
        <thead>
          <tr>
            <th>n8n node</th>
            <th>Became</th>
            <th>Status</th>
            <th>Notes</th>
          </tr>
        </thead>
        <tbody>
          {report.nodes.map((node) => (
            <tr key={node.id} data-testid="import-node">
              <td>
                {node.name}
                <div className="muted">
                  {node.n8nType.replace('n8n-nodes-base.', '')} v{node.typeVersion}
                </div>
              </td>
              <td>
                <code>{node.type}</code>
                {node.helpers.length > 0 && <div className="muted">+ {node.helpers.join(', ')}</div>}
              </td>
              <td>
                <Badge status={STATUS_BADGE[node.status]} testId={`import-status-${node.id}`} />
                <span className="sr-only">{node.status}</span>
              </td>
              <td>
                <ul className="plain">
                  {node.reasons.map((reason) => (
                    <li key={reason} className="form-error">
                      {reason}
                    </li>
                  ))}
                  {node.todo.map((todo) => (
                    <li key={todo}>{todo}</li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {report.warnings.length > 0 && (
        <ul className="plain" data-testid="import-warnings">
          {report.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Paste or upload a workflow JSON (ours or n8n's); an n8n import shows its report before opening. */
export function ImportDialog(props: {
  base: string;
  initial?: ImportedWorkflow;
  onClose: () => void;
  onOpen: (workflowId: string) => void;
}) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<ImportedWorkflow | undefined>(props.initial);

  const submit = async (json: string): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const created = await importWorkflow(props.base, json);
      if (created.importReport) setResult(created);
      else props.onOpen(created.id);
    } catch (caught) {
      setError(messageOf(caught));
    } finally {
      setBusy(false);
    }
  };
  const upload = async (event: ChangeEvent<HTMLInputElement>): Promise<void> => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (file) await submit(await file.text());
  };

  return (
    <Modal
      title={result ? `Imported “${result.name}”` : 'Import a workflow'}
      onClose={props.onClose}
      testId="import-dialog"
      wide
      footer={
        result ? (
          <button
            className="btn btn--primary"
            onClick={() => props.onOpen(result.id)}
            data-testid="import-open"
          >
            Open the draft
          </button>
        ) : (
          <>
            <label className="btn">
              Upload file…
              <input
                type="file"
                accept="application/json,.json"
                hidden
                onChange={(e) => void upload(e)}
                data-testid="import-dialog-file"
              />
            </label>
            <button
              className="btn btn--primary"
              disabled={busy || text.trim() === ''}
              onClick={() => void submit(text)}
              data-testid="import-submit"
            >
              {busy ? 'Importing…' : 'Import'}
            </button>
          </>
        )
      }
    >
      {result?.importReport ? (
        <ImportReportView report={result.importReport} />
      ) : (
        <>
          <p>
            Paste a Revflow workflow document or an n8n workflow (copied from the n8n editor or exported as
            JSON).
          </p>
          <textarea
            className="input"
            rows={12}
            value={text}
            onChange={(event) => setText(event.target.value)}
            placeholder='{ "name": "My n8n workflow", "nodes": [...], "connections": {...} }'
            data-testid="import-text"
            aria-label="Workflow JSON"
          />
          {error && (
            <p className="form-error" data-testid="import-error">
              {error}
            </p>
          )}
        </>
      )}
    </Modal>
  );
}
