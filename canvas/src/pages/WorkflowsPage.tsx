import { useRef, useState, type ChangeEvent } from 'react';
import { api, ws } from '../api/client.js';
import type { List, Workflow, WorkflowDocument, WorkflowSummary, WorkspaceSummary } from '../api/types.js';
import { Link, navigate } from '../app/router.js';
import { useToast } from '../app/toasts.js';
import { Badge, Empty, PageHeader, Skeleton, timeAgo } from '../ui/bits.js';
import { ConfirmModal, Modal } from '../ui/Modal.js';
import { useLoad } from '../ui/useLoad.js';
import { TEMPLATES } from './templates.js';
import { ImportDialog, importWorkflow, type ImportedWorkflow } from '../import/ImportDialog.js';

/** The workflows of a workspace: search, create (blank or template), import, and per-row actions. */
export function WorkflowsPage({ workspace }: { workspace: WorkspaceSummary }) {
  const toast = useToast();
  const [query, setQuery] = useState('');
  const [creating, setCreating] = useState(false);
  const [renaming, setRenaming] = useState<WorkflowSummary | null>(null);
  const [deleting, setDeleting] = useState<WorkflowSummary | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const list = useLoad(() => api.get<List<WorkflowSummary>>(`${ws(workspace.id)}/workflows`), [workspace.id]);
  const base = `${ws(workspace.id)}/workflows`;
  const canEdit = workspace.role !== 'viewer';

  const items = (list.data?.items ?? []).filter((w) =>
    w.name.toLowerCase().includes(query.trim().toLowerCase()),
  );

  const create = async (document: WorkflowDocument): Promise<void> => {
    try {
      const created = await api.post<Workflow>(base, document);
      navigate(`/w/${workspace.id}/workflows/${created.id}`);
    } catch (error) {
      toast.error(error);
    }
  };

  const duplicate = async (workflow: WorkflowSummary): Promise<void> => {
    try {
      const full = await api.get<Workflow>(`${base}/${workflow.id}`);
      await api.post<Workflow>(base, { ...full.draft, name: `${full.draft.name} (copy)`.slice(0, 200) });
      toast.show('success', `Duplicated “${workflow.name}”`);
      await list.reload();
    } catch (error) {
      toast.error(error);
    }
  };

  const exportJson = async (workflow: WorkflowSummary): Promise<void> => {
    try {
      const document = await api.get<WorkflowDocument>(`${base}/${workflow.id}/export`);
      const blob = new Blob([JSON.stringify(document, null, 2)], { type: 'application/json' });
      const link = Object.assign(window.document.createElement('a'), {
        href: URL.createObjectURL(blob),
        download: `${workflow.name.replace(/[^A-Za-z0-9_-]+/g, '-') || 'workflow'}.json`,
      });
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (error) {
      toast.error(error);
    }
  };

  const [importing, setImporting] = useState<{ initial?: ImportedWorkflow } | null>(null);
  const importJson = async (event: ChangeEvent<HTMLInputElement>): Promise<void> => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    try {
      const created = await importWorkflow(base, await file.text());
      // An n8n file shows its per-node report first (issue 19).
      if (created.importReport) return setImporting({ initial: created });
      toast.show('success', `Imported “${created.name}”`);
      navigate(`/w/${workspace.id}/workflows/${created.id}`);
    } catch (error) {
      toast.error(error);
    }
  };

  const rename = async (workflow: WorkflowSummary, name: string): Promise<void> => {
    try {
      const full = await api.get<Workflow>(`${base}/${workflow.id}`);
      await api.put<Workflow>(`${base}/${workflow.id}`, { ...full.draft, name });
      setRenaming(null);
      await list.reload();
    } catch (error) {
      toast.error(error);
    }
  };

  const remove = async (workflow: WorkflowSummary): Promise<void> => {
    setDeleting(null);
    try {
      await api.delete(`${base}/${workflow.id}`);
      toast.show('success', `Deleted “${workflow.name}”`);
      await list.reload();
    } catch (error) {
      toast.error(error);
    }
  };

  return (
    <div className="page" data-testid="workflows-page">
      <PageHeader title="Workflows">
        <input
          className="search"
          placeholder="Search workflows"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="workflow-search"
        />
        {canEdit && (
          <>
            <button className="btn" onClick={() => setImporting({})} data-testid="import-workflow">
              Import…
            </button>
            {importing && (
              <ImportDialog
                base={base}
                {...importing}
                onClose={() => setImporting(null)}
                onOpen={(id) => navigate(`/w/${workspace.id}/workflows/${id}`)}
              />
            )}
            <input
              ref={fileInput}
              type="file"
              accept="application/json,.json"
              hidden
              onChange={(event) => void importJson(event)}
              data-testid="import-file"
            />
            <button className="btn btn--primary" onClick={() => setCreating(true)} data-testid="new-workflow">
              New workflow
            </button>
          </>
        )}
      </PageHeader>
      {list.loading && !list.data ? (
        <Skeleton rows={5} />
      ) : list.error ? (
        <p className="form-error">{list.error}</p>
      ) : items.length === 0 ? (
        <Empty title={query ? 'No workflow matches' : 'No workflows yet'}>
          {!query && canEdit && (
            <>
              <p>Start from a template or a blank canvas.</p>
              <TemplateGrid onPick={(t) => void create(t.document)} />
            </>
          )}
        </Empty>
      ) : (
        <table className="table" data-testid="workflow-list">
          <thead>
            <tr>
              <th>Name</th>
              <th>Status</th>
              <th>Last run</th>
              <th>Updated</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {items.map((workflow) => (
              <tr key={workflow.id} data-testid="workflow-row">
                <td>
                  <Link to={`/w/${workspace.id}/workflows/${workflow.id}`} className="table__main">
                    {workflow.name}
                  </Link>
                </td>
                <td>
                  <Badge status={workflow.status} />
                </td>
                <td>
                  {workflow.lastRun ? (
                    <Link to={`/w/${workspace.id}/runs/${workflow.lastRun.id}`}>
                      <Badge status={workflow.lastRun.status} />{' '}
                      <small>{timeAgo(workflow.lastRun.createdAt)}</small>
                    </Link>
                  ) : (
                    <small className="muted">never</small>
                  )}
                </td>
                <td>
                  <small>{timeAgo(workflow.updatedAt)}</small>
                </td>
                <td className="table__actions">
                  {canEdit && (
                    <button className="btn btn--ghost btn--small" onClick={() => setRenaming(workflow)}>
                      Rename
                    </button>
                  )}
                  {canEdit && (
                    <button className="btn btn--ghost btn--small" onClick={() => void duplicate(workflow)}>
                      Duplicate
                    </button>
                  )}
                  <button
                    className="btn btn--ghost btn--small"
                    onClick={() => void exportJson(workflow)}
                    data-testid="export-workflow"
                  >
                    Export
                  </button>
                  {canEdit && (
                    <button
                      className="btn btn--ghost btn--small btn--danger-text"
                      onClick={() => setDeleting(workflow)}
                      data-testid="delete-workflow"
                    >
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {creating && (
        <NewWorkflowModal onClose={() => setCreating(false)} onCreate={(document) => void create(document)} />
      )}
      {renaming && (
        <RenameModal
          workflow={renaming}
          onClose={() => setRenaming(null)}
          onRename={(name) => void rename(renaming, name)}
        />
      )}
      {deleting && (
        <ConfirmModal
          title="Delete workflow"
          text={`Delete “${deleting.name}”? Its versions and runs stay on record, but it can no longer be edited or run.`}
          confirm="Delete"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={() => void remove(deleting)}
        />
      )}
    </div>
  );
}

function TemplateGrid({ onPick }: { onPick: (template: (typeof TEMPLATES)[number]) => void }) {
  return (
    <div className="templates">
      {TEMPLATES.map((template) => (
        <button
          key={template.id}
          className="template card"
          onClick={() => onPick(template)}
          data-testid={`template-${template.id}`}
        >
          <strong>{template.title}</strong>
          <small>{template.description}</small>
        </button>
      ))}
    </div>
  );
}

function NewWorkflowModal({
  onClose,
  onCreate,
}: {
  onClose: () => void;
  onCreate: (document: WorkflowDocument) => void;
}) {
  const [name, setName] = useState('');
  const pick = (template: (typeof TEMPLATES)[number]): void =>
    onCreate({ ...template.document, name: name.trim() || template.document.name });
  return (
    <Modal title="New workflow" onClose={onClose} testId="new-workflow-dialog" wide>
      <label className="field">
        <span>Name</span>
        <input
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="e.g. Trial ending nudge"
          data-testid="new-workflow-name"
          autoFocus
        />
      </label>
      <p className="muted">Start from:</p>
      <TemplateGrid onPick={pick} />
    </Modal>
  );
}

function RenameModal({
  workflow,
  onClose,
  onRename,
}: {
  workflow: WorkflowSummary;
  onClose: () => void;
  onRename: (name: string) => void;
}) {
  const [name, setName] = useState(workflow.name);
  return (
    <Modal
      title="Rename workflow"
      onClose={onClose}
      footer={
        <button className="btn btn--primary" disabled={!name.trim()} onClick={() => onRename(name.trim())}>
          Rename
        </button>
      }
    >
      <label className="field">
        <span>Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} autoFocus />
      </label>
    </Modal>
  );
}
