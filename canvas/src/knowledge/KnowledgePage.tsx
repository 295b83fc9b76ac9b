import { useEffect, useState } from 'react';
import type { WorkspaceSummary } from '../api/types.js';
import { Link, match } from '../app/router.js';
import { useToast } from '../app/toasts.js';
import { Empty, PageHeader, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { kinds, kindTitles, knowledgeApi, type Hit } from './api.js';
import { DocumentView } from './DocumentView.js';
import './knowledge.css';

/** Knowledge: the library (search and filters), a document with its sources, history and views. */
export function KnowledgePage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  const status = useLoad(() => knowledgeApi.status(workspace.id), [workspace.id]);
  const open = match('/w/:ws/knowledge/:documentId', path);
  if (!status.data) {
    return (
      <div className="page" data-testid="knowledge-page">
        <PageHeader title="Knowledge" />
        {status.error ? <div className="card section">{status.error}</div> : <Skeleton />}
      </div>
    );
  }
  if (!status.data.enabled) {
    return (
      <div className="page" data-testid="knowledge-page">
        <PageHeader title="Knowledge" />
        <div className="card section" data-testid="knowledge-upgrade">
          <h2>Battle cards, playbooks, objection handlers and FAQs from your calls</h2>
          <p>
            Knowledge Fusion is part of the <strong>{status.data.requiredPlan}</strong> plan and above.
          </p>
          <Link to={`/w/${workspace.id}/billing`} className="btn btn--primary">
            See plans
          </Link>
        </div>
      </div>
    );
  }
  return (
    <div className="page" data-testid="knowledge-page">
      {open ? (
        <DocumentView key={open.documentId} workspace={workspace} documentId={open.documentId!} />
      ) : (
        <Library workspace={workspace} />
      )}
    </div>
  );
}

function Library({ workspace }: { workspace: WorkspaceSummary }) {
  const [filters, setFilters] = useState({ q: '', kind: '', competitor: '', tag: '' });
  const [applied, setApplied] = useState(filters);
  // Search as you type, a moment after the last key.
  useEffect(() => {
    const timer = setTimeout(() => setApplied(filters), 250);
    return () => clearTimeout(timer);
  }, [filters]);
  const results = useLoad(() => knowledgeApi.search(workspace.id, applied), [workspace.id, applied]);
  const canWrite = workspace.role !== 'viewer';
  const canAdmin = workspace.role === 'admin' || workspace.role === 'owner';
  return (
    <>
      <PageHeader title="Knowledge" />
      <section className="card section knowledge__search">
        <input
          type="search"
          placeholder='Search: objection price, "battle card", Chorus -pricing'
          value={filters.q}
          onChange={(e) => setFilters({ ...filters, q: e.target.value })}
          aria-label="Search the knowledge library"
          data-testid="knowledge-search"
        />
        <select
          value={filters.kind}
          onChange={(e) => setFilters({ ...filters, kind: e.target.value })}
          aria-label="Kind"
          data-testid="knowledge-kind"
        >
          <option value="">All kinds</option>
          {kinds.map((kind) => (
            <option key={kind} value={kind}>
              {kindTitles[kind]}
            </option>
          ))}
        </select>
        <input
          placeholder="Competitor"
          value={filters.competitor}
          onChange={(e) => setFilters({ ...filters, competitor: e.target.value })}
          aria-label="Competitor"
        />
        <input
          placeholder="Tag"
          value={filters.tag}
          onChange={(e) => setFilters({ ...filters, tag: e.target.value })}
          aria-label="Tag"
        />
      </section>
      <section className="card section" data-testid="knowledge-results">
        {results.error ? <div className="form-error">{results.error}</div> : null}
        {!results.data ? (
          <Skeleton />
        ) : results.data.items.length === 0 ? (
          <Empty title={applied.q ? 'Nothing matches' : 'No documents yet'}>
            Generate documents from calls and emails (the knowledge.generate node, or paste a transcript
            below).
          </Empty>
        ) : (
          <>
            <p className="muted">
              {results.data.total.toLocaleString()}
              {results.data.totalCapped ? '+' : ''} document{results.data.total === 1 ? '' : 's'}
            </p>
            <ul className="knowledge__hits">
              {results.data.items.map((hit) => (
                <HitRow key={hit.id} workspaceId={workspace.id} hit={hit} />
              ))}
            </ul>
          </>
        )}
      </section>
      {canWrite ? <GeneratePanel workspaceId={workspace.id} onDone={() => void results.reload()} /> : null}
      {canAdmin ? <Competitors workspaceId={workspace.id} /> : null}
    </>
  );
}

function HitRow({ workspaceId, hit }: { workspaceId: string; hit: Hit }) {
  return (
    <li className="knowledge__hit" data-testid="knowledge-hit">
      <Link to={`/w/${workspaceId}/knowledge/${hit.id}`} className="knowledge__hit-title">
        {hit.title}
      </Link>
      <span className={`knowledge__kind knowledge__kind--${hit.kind}`}>{kindTitles[hit.kind]}</span>
      {hit.competitor ? <span className="knowledge__tag">{hit.competitor}</span> : null}
      {hit.tags.map((tag) => (
        <span key={tag} className="knowledge__tag">
          #{tag}
        </span>
      ))}
      <span className="muted knowledge__meta">
        v{hit.version} · {hit.provider} · {timeAgo(hit.updatedAt)}
      </span>
      {/* Runs of plain text; matches are <mark>ed by React, never HTML from the server. */}
      <p className="knowledge__snippet" data-testid="knowledge-snippet">
        {hit.snippet.map((run, index) =>
          run.hit ? <mark key={index}>{run.text}</mark> : <span key={index}>{run.text}</span>,
        )}
      </p>
    </li>
  );
}

function GeneratePanel({ workspaceId, onDone }: { workspaceId: string; onDone: () => void }) {
  const toast = useToast();
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (): Promise<void> => {
    setBusy(true);
    try {
      const result = await knowledgeApi.generateFromText(workspaceId, title || 'Pasted transcript', text);
      toast.show(
        'success',
        `Updated ${result.documents.length} document(s): ${result.found.objections} objections, ${result.found.questions} questions, ${result.found.competitorMentions} competitor mentions (${result.provider})`,
      );
      setText('');
      onDone();
    } catch (error) {
      toast.error(error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card section" data-testid="knowledge-generate">
      <h2>Build from a transcript or email</h2>
      <p className="muted">
        Paste &quot;Speaker: text&quot; lines. Calls uploaded on the Calls page and email replies are used by
        the knowledge.generate node and <code>POST …/knowledge/generate</code>.
      </p>
      <label className="field">
        <span>Title</span>
        <input
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          placeholder="Discovery call with Acme"
        />
      </label>
      <label className="field">
        <span>Transcript</span>
        <textarea
          rows={6}
          value={text}
          onChange={(e) => setText(e.target.value)}
          className="knowledge__textarea"
        />
      </label>
      <button
        className="btn btn--primary"
        disabled={busy || text.trim() === ''}
        onClick={() => void submit()}
      >
        {busy ? 'Building…' : 'Build documents'}
      </button>
    </section>
  );
}

function Competitors({ workspaceId }: { workspaceId: string }) {
  const toast = useToast();
  const settings = useLoad(() => knowledgeApi.settings(workspaceId), [workspaceId]);
  const [draft, setDraft] = useState<string | null>(null);
  const value = draft ?? settings.data?.competitors.join(', ') ?? '';
  const save = async (): Promise<void> => {
    try {
      const names = value
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean);
      const saved = await knowledgeApi.saveSettings(workspaceId, names);
      settings.setData(() => saved);
      setDraft(null);
      toast.show('success', 'Competitor list saved');
    } catch (error) {
      toast.error(error);
    }
  };
  return (
    <section className="card section">
      <h2>Competitors</h2>
      <p className="muted">
        A listed competitor gets a battle card at its first mention; any other company name once it comes up
        in two calls or emails.
      </p>
      <div className="inline-form">
        <input
          value={value}
          onChange={(e) => setDraft(e.target.value)}
          placeholder="Gong, Chorus, Outreach"
          aria-label="Competitors"
        />
        <button className="btn" onClick={() => void save()}>
          Save
        </button>
      </div>
    </section>
  );
}
