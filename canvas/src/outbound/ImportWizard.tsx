import { useState, type ChangeEvent } from 'react';
import { messageOf } from '../api/client.js';
import type { WorkspaceSummary } from '../api/types.js';
import { Link } from '../app/router.js';
import { outboundApi, type ImportPreview, type ImportResult, type RowError } from './api.js';

const TARGETS = ['email', 'name', 'company', 'title', 'domain', 'timezone', 'country', 'source'];

function Errors({ errors }: { errors: RowError[] }) {
  if (errors.length === 0) return null;
  return (
    <div className="outbound__errors" data-testid="import-errors">
      <h3>{errors.length} row error(s)</h3>
      <table className="table">
        <thead>
          <tr>
            <th>Row</th>
            <th>Field</th>
            <th>Problem</th>
          </tr>
        </thead>
        <tbody>
          {errors.slice(0, 200).map((error, index) => (
            <tr key={`${error.row}-${error.field}-${index}`}>
              <td>{error.row}</td>
              <td>{error.field}</td>
              <td>{error.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Import wizard: a CSV (file or pasted) → column mapping and preview with every row error → import. */
export function ImportWizard({ workspace }: { workspace: WorkspaceSummary }) {
  const [csv, setCsv] = useState('');
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [mergeRule, setMergeRule] = useState('fill');
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (step: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await step();
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  const loadPreview = (text: string, chosen?: Record<string, string>) =>
    run(async () => {
      const answer = await outboundApi.preview(workspace.id, text, chosen);
      setPreview(answer);
      setMapping(answer.mapping);
      setResult(null);
    });
  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (!file) return;
    const text = await file.text();
    setCsv(text);
    await loadPreview(text);
  };
  const attributeName = (column: string) =>
    `attributes.${
      column
        .replace(/[^A-Za-z0-9_ -]/g, '')
        .trim()
        .slice(0, 60) || 'field'
    }`;

  return (
    <section className="outbound__import" data-testid="import-wizard">
      <p>
        <Link to={`/w/${workspace.id}/outbound/leads`}>← Leads</Link>
      </p>
      <div className="card">
        <h2>1. Choose a CSV</h2>
        <p className="muted">
          UTF-8, a header row first, at most 10,000 rows. A repeated email merges into one lead.
        </p>
        <input
          type="file"
          accept=".csv,text/csv"
          aria-label="CSV file"
          data-testid="import-file"
          onChange={(event) => void onFile(event)}
        />
        <textarea
          className="outbound__csv"
          aria-label="Or paste CSV"
          placeholder="email,name,company&#10;ada@example.com,Ada,Acme"
          data-testid="import-text"
          value={csv}
          onChange={(event) => setCsv(event.target.value)}
        />
        <button
          type="button"
          className="btn"
          disabled={busy || !csv.trim()}
          onClick={() => void loadPreview(csv)}
          data-testid="import-preview"
        >
          Preview
        </button>
      </div>
      {error && (
        <p className="form-error" data-testid="import-error">
          {error}
        </p>
      )}
      {preview && (
        <div className="card" data-testid="import-mapping">
          <h2>2. Map columns</h2>
          <div className="outbound__mapping">
            {preview.columns.map((column) => (
              <label key={column} className="field">
                <span>{column}</span>
                <select
                  value={mapping[column] ?? 'ignore'}
                  data-testid={`map-${column}`}
                  onChange={(event) => setMapping({ ...mapping, [column]: event.target.value })}
                >
                  {TARGETS.map((target) => (
                    <option key={target} value={target}>
                      {target}
                    </option>
                  ))}
                  <option value={attributeName(column)}>custom: {attributeName(column).slice(11)}</option>
                  <option value="ignore">ignore</option>
                </select>
              </label>
            ))}
          </div>
          <button
            type="button"
            className="btn"
            disabled={busy}
            onClick={() => void loadPreview(csv, mapping)}
          >
            Check again
          </button>
          <h3>
            Preview: {preview.valid} of {preview.total} row(s) ready
          </h3>
          <div className="outbound__table-wrap">
            <table className="table" data-testid="import-preview-table">
              <thead>
                <tr>
                  <th>Row</th>
                  <th>Email</th>
                  <th>Name</th>
                  <th>Company</th>
                </tr>
              </thead>
              <tbody>
                {preview.rows.map((row) => (
                  <tr key={row.row} className={row.lead ? '' : 'outbound__row--bad'}>
                    <td>{row.row}</td>
                    <td>{row.lead?.email ?? '—'}</td>
                    <td>{row.lead?.name ?? ''}</td>
                    <td>{row.lead?.company ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Errors errors={preview.errors} />
          <h2>3. Import</h2>
          <label className="field">
            <span>When the email exists</span>
            <select
              value={mergeRule}
              onChange={(event) => setMergeRule(event.target.value)}
              data-testid="import-merge"
            >
              <option value="fill">Keep what is there, fill blanks</option>
              <option value="overwrite">Overwrite with the CSV</option>
              <option value="skip">Leave the lead as it is</option>
            </select>
          </label>
          <button
            type="button"
            className="btn btn--primary"
            disabled={busy || preview.valid === 0}
            data-testid="import-submit"
            onClick={() =>
              void run(async () => {
                setResult(await outboundApi.importCsv(workspace.id, csv, mapping, mergeRule));
              })
            }
          >
            Import {preview.valid} lead(s)
          </button>
        </div>
      )}
      {result && (
        <div className="card" data-testid="import-result">
          <h2>Imported</h2>
          <p>
            {result.created} created, {result.merged} merged, {result.unchanged} unchanged, {result.failed}{' '}
            not imported.
          </p>
          <Errors errors={result.errors} />
          <Link to={`/w/${workspace.id}/outbound/leads`} className="btn btn--primary" testId="import-done">
            See the leads
          </Link>
        </div>
      )}
    </section>
  );
}
