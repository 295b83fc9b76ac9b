import { useEffect, useState } from 'react';
import type { WorkspaceSummary } from '../api/types.js';
import { Link } from '../app/router.js';
import { useToast } from '../app/toasts.js';
import { PageHeader, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { kindTitles, knowledgeApi, type KnowledgeDocument, type Section } from './api.js';

const sourceTitles = { call: 'Call', email: 'Email', run: 'Workflow run', text: 'Pasted text' } as const;

/** One document: its sections (with who wrote each), sources, history and who viewed it. */
export function DocumentView({ workspace, documentId }: { workspace: WorkspaceSummary; documentId: string }) {
  const doc = useLoad(() => knowledgeApi.get(workspace.id, documentId), [workspace.id, documentId]);
  const history = useLoad(() => knowledgeApi.history(workspace.id, documentId), [workspace.id, documentId]);
  const viewers = useLoad(() => knowledgeApi.viewers(workspace.id, documentId), [workspace.id, documentId]);
  // Opening the document counts as a view, once per open.
  useEffect(() => {
    void knowledgeApi
      .view(workspace.id, documentId)
      .then(() => viewers.reload())
      .catch(() => undefined);
  }, [workspace.id, documentId]);
  const back = (
    <Link to={`/w/${workspace.id}/knowledge`} className="btn btn--ghost">
      ← Library
    </Link>
  );
  if (!doc.data)
    return (
      <>
        <PageHeader title="Knowledge">{back}</PageHeader>
        {doc.error ? <div className="card section">{doc.error}</div> : <Skeleton />}
      </>
    );
  const document = doc.data;
  const replace = (next: KnowledgeDocument): void => {
    doc.setData(() => next);
    void history.reload();
  };
  return (
    <>
      <PageHeader title={document.title}>{back}</PageHeader>
      <div className="knowledge__doc-meta muted" data-testid="knowledge-doc-meta">
        {kindTitles[document.kind]}
        {document.competitor ? ` · ${document.competitor}` : ''} · version {document.version} · written by{' '}
        {document.provider} · updated {timeAgo(document.updatedAt)} · {document.views.total} views by{' '}
        {document.views.viewers} people
      </div>
      <div className="knowledge__layout">
        <article className="card section" data-testid="knowledge-document">
          {document.sections.map((section) => (
            <SectionView
              key={section.key}
              workspace={workspace}
              document={document}
              section={section}
              onSaved={replace}
            />
          ))}
        </article>
        <aside className="knowledge__aside">
          <section className="card section" data-testid="knowledge-sources">
            <h2>Sources</h2>
            {document.sources.length === 0 ? <p className="muted">Written by hand.</p> : null}
            <ul className="knowledge__list">
              {document.sources.map((source) => (
                <li key={`${source.sourceType}:${source.sourceRef}`}>
                  <strong>{sourceTitles[source.sourceType]}:</strong>{' '}
                  {source.sourceType === 'call' ? (
                    <Link to={`/w/${workspace.id}/calls/${source.sourceRef}`}>{source.label}</Link>
                  ) : source.sourceType === 'run' ? (
                    <Link to={`/w/${workspace.id}/runs/${source.sourceRef}`}>{source.label}</Link>
                  ) : (
                    source.label
                  )}
                  <div className="muted knowledge__excerpt">{source.excerpt}</div>
                </li>
              ))}
            </ul>
          </section>
          <section className="card section" data-testid="knowledge-history">
            <h2>History</h2>
            <ul className="knowledge__list">
              {history.data?.items.map((v) => (
                <li key={v.version}>
                  v{v.version} · {v.change} · {v.provider} · {timeAgo(v.createdAt)}
                  {v.humanSections.length > 0 ? (
                    <span className="muted"> · {v.humanSections.length} human-edited section(s)</span>
                  ) : null}
                </li>
              ))}
            </ul>
          </section>
          <section className="card section" data-testid="knowledge-viewers">
            <h2>Views</h2>
            <ul className="knowledge__list">
              {viewers.data?.items.map((v) => (
                <li key={v.userId}>
                  {v.name ?? v.email ?? v.userId} · {v.count}× · last {timeAgo(v.lastViewedAt)}
                </li>
              ))}
            </ul>
          </section>
        </aside>
      </div>
    </>
  );
}

function SectionView({
  workspace,
  document,
  section,
  onSaved,
}: {
  workspace: WorkspaceSummary;
  document: KnowledgeDocument;
  section: Section;
  onSaved: (doc: KnowledgeDocument) => void;
}) {
  const toast = useToast();
  const [editing, setEditing] = useState<string | null>(null);
  const canWrite = workspace.role !== 'viewer';
  const save = async (): Promise<void> => {
    try {
      onSaved(
        await knowledgeApi.editSection(
          workspace.id,
          document.id,
          document.version,
          section.key,
          editing ?? '',
        ),
      );
      setEditing(null);
    } catch (error) {
      toast.error(error);
    }
  };
  const release = async (): Promise<void> => {
    try {
      onSaved(await knowledgeApi.release(workspace.id, document.id, section.key));
    } catch (error) {
      toast.error(error);
    }
  };
  return (
    <section className="knowledge__section" data-testid="knowledge-section" data-key={section.key}>
      <header className="knowledge__section-head">
        <h2>{section.heading}</h2>
        <span className={`knowledge__provider${section.humanEdited ? ' knowledge__provider--human' : ''}`}>
          {section.humanEdited
            ? 'edited by a person (kept on regeneration)'
            : `written by ${section.provider}`}
          {section.quotes > 0 ? ` · ${section.quotes} quote${section.quotes === 1 ? '' : 's'}` : ''}
        </span>
        {canWrite && editing === null ? (
          <button className="btn btn--small" onClick={() => setEditing(section.markdown)}>
            Edit
          </button>
        ) : null}
        {canWrite && section.humanEdited && section.quotes > 0 && editing === null ? (
          <button className="btn btn--small btn--ghost" onClick={() => void release()}>
            Regenerate from quotes
          </button>
        ) : null}
      </header>
      {editing !== null ? (
        <div>
          <textarea
            className="knowledge__textarea"
            rows={10}
            value={editing}
            onChange={(e) => setEditing(e.target.value)}
            aria-label={`Edit ${section.heading}`}
          />
          <div className="row-actions">
            <button className="btn btn--primary btn--small" onClick={() => void save()}>
              Save
            </button>
            <button className="btn btn--small" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        // Sanitised on the server (marked + sanitize-html); the CSP forbids inline scripts besides.
        <div className="markdown" dangerouslySetInnerHTML={{ __html: section.html }} />
      )}
    </section>
  );
}
