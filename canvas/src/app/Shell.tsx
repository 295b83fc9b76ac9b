import { useEffect, useState, type ChangeEvent, type ReactNode } from 'react';
import { api } from '../api/client.js';
import type { WorkspaceSummary } from '../api/types.js';
import { EditorPage } from '../editor/EditorPage.js';
import { WorkflowsPage } from '../pages/WorkflowsPage.js';
import { RunPage } from '../run/RunPage.js';
import { RunsPage } from '../run/RunsPage.js';
import { BillingPage } from '../billing/BillingPage.js';
import { TeamPage } from '../team/TeamPage.js';
import { WorkItemsPage } from '../work-items/WorkItemsPage.js';
import { ApprovalsPage } from '../approvals/ApprovalsPage.js';
import { OutboundPage } from '../outbound/OutboundPage.js';
import { CallsPage } from '../voice/CallsPage.js';
import { KnowledgePage } from '../knowledge/KnowledgePage.js';
import { SalesboardPage } from '../salesboard/SalesboardPage.js';
import { AnalyticsPage } from '../analytics/AnalyticsPage.js';
import { SafetyPage } from '../safety/SafetyPage.js';
import { ReleasesPage } from '../releases/ReleasesPage.js';
import { FeedbackPage } from '../feedback/FeedbackPage.js';
import { GlobalWidgets } from '../feedback/GlobalWidgets.js';
import { UnreadBadge } from '../releases/UnreadBadge.js';
import { ErrorBoundary } from './ErrorBoundary.js';
import { Link, match, navigate } from './router.js';
import { useSession } from './session.js';
import { useToast } from './toasts.js';
import type { useTheme } from './theme.js';
import { NotFound } from '../ui/NotFound.js';
import '../ui/responsive.css';

/** The logged-in frame: sidebar (workspace, navigation, account) and the current page. */
export function Shell({ path, theme }: { path: string; theme: ReturnType<typeof useTheme> }) {
  const { me, logout } = useSession();
  const toast = useToast();
  const params = match('/w/:ws/*', path.split('/').slice(0, 3).join('/') + '/*');
  const workspaceId = params?.ws ?? '';
  const workspace = me?.workspaces.find((w) => w.id === workspaceId);
  const section = path.split('/')[3] ?? 'workflows';
  // Phones: the sidebar is a menu (responsive.css), closed again by every navigation.
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [path]);

  if (!me) return null;
  if (!workspace) {
    return (
      <NotFound
        title="Workspace not found"
        detail="This workspace is not yours or does not exist."
        back={{ to: '/', label: 'Back to my workspaces' }}
      />
    );
  }

  return (
    <div className={`shell${menuOpen ? ' shell--menu-open' : ''}`}>
      <header className="mobilebar">
        <button
          className="btn btn--ghost btn--small"
          aria-expanded={menuOpen}
          aria-label="Menu"
          onClick={() => setMenuOpen((open) => !open)}
          data-testid="menu-button"
        >
          {menuOpen ? '✕' : '☰'}
        </button>
        <span className="mobilebar__title">◆ Revflow · {workspace.name}</span>
      </header>
      <aside className="sidebar" data-testid="sidebar">
        <div className="brand">
          <span className="brand__mark">◆</span> Revflow
        </div>
        <WorkspaceSwitcher current={workspace} workspaces={me.workspaces} />
        <nav className="nav" aria-label="Main">
          <NavLink
            to={`/w/${workspaceId}/workflows`}
            active={section === 'workflows'}
            label="Workflows"
            icon="◇"
          />
          <NavLink to={`/w/${workspaceId}/runs`} active={section === 'runs'} label="Runs" icon="▶" />
          <NavLink
            to={`/w/${workspaceId}/tasks`}
            active={section === 'tasks' || section === 'tickets'}
            label="Tasks & tickets"
            icon="☑"
          />
          <NavLink
            to={`/w/${workspaceId}/approvals`}
            active={section === 'approvals'}
            label="Approvals"
            icon="✓"
          />
          <NavLink
            to={`/w/${workspaceId}/billing`}
            active={section === 'billing'}
            label="Billing & Usage"
            icon="$"
          />
          <NavLink
            to={`/w/${workspaceId}/team`}
            active={section === 'team'}
            label="Team & settings"
            icon="◎"
          />
          <div className="nav__group">Revenue</div>
          <NavLink
            to={`/w/${workspaceId}/outbound`}
            active={section === 'outbound'}
            label="Outbound"
            icon="✉"
          />
          <NavLink to={`/w/${workspaceId}/calls`} active={section === 'calls'} label="Calls" icon="☎" />
          <NavLink
            to={`/w/${workspaceId}/knowledge`}
            active={section === 'knowledge'}
            label="Knowledge"
            icon="❖"
          />
          <NavLink
            to={`/w/${workspaceId}/salesboard`}
            active={section === 'salesboard'}
            label="Salesboard"
            icon="★"
          />
          <div className="nav__group">Growth &amp; safety</div>
          <NavLink
            to={`/w/${workspaceId}/analytics`}
            active={section === 'analytics'}
            label="Analytics"
            icon="◔"
          />
          <NavLink to={`/w/${workspaceId}/safety`} active={section === 'safety'} label="AI Safety" icon="⛨" />
          <NavLink
            to={`/w/${workspaceId}/releases`}
            active={section === 'releases'}
            label="What's new"
            icon="✦"
            badge={<UnreadBadge workspace={workspace} />}
          />
          <NavLink
            to={`/w/${workspaceId}/feedback`}
            active={section === 'feedback'}
            label="Feedback"
            icon="✎"
          />
        </nav>
        <div className="sidebar__footer">
          <div className="user" data-testid="current-user">
            <span className="avatar">{me.user.name.slice(0, 1).toUpperCase()}</span>
            <span className="user__name">
              {me.user.name}
              <small>{me.user.email}</small>
            </span>
          </div>
          <div className="sidebar__buttons">
            <button
              className="btn btn--ghost btn--small"
              onClick={theme.toggle}
              data-testid="theme-toggle"
              title="Toggle dark mode"
            >
              {theme.dark ? '☀ Light' : '☾ Dark'}
            </button>
            <button
              className="btn btn--ghost btn--small"
              data-testid="logout"
              onClick={() => void logout().then(() => navigate('/login'), toast.error)}
            >
              Log out
            </button>
          </div>
        </div>
      </aside>
      <main className="main">
        <ErrorBoundary resetKey={path}>
          <Page path={path} workspace={workspace} />
        </ErrorBoundary>
        <GlobalWidgets workspace={workspace} path={path} />
      </main>
    </div>
  );
}

function NavLink(props: { to: string; active: boolean; label: string; icon: string; badge?: ReactNode }) {
  return (
    <Link
      to={props.to}
      className={`nav__link${props.active ? ' nav__link--active' : ''}`}
      testId={`nav-${props.to.split('/').pop() ?? ''}`}
    >
      <span className="nav__icon">{props.icon}</span>
      {props.label}
      {props.badge}
    </Link>
  );
}

function WorkspaceSwitcher({
  current,
  workspaces,
}: {
  current: WorkspaceSummary;
  workspaces: WorkspaceSummary[];
}) {
  const { refresh } = useSession();
  const toast = useToast();
  const [creating, setCreating] = useState(false);
  const onChange = async (event: ChangeEvent<HTMLSelectElement>): Promise<void> => {
    const value = event.target.value;
    if (value !== '__new') {
      navigate(`/w/${value}/workflows`);
      return;
    }
    const name = window.prompt('Name of the new workspace');
    if (!name) return;
    setCreating(true);
    try {
      const created = await api.post<WorkspaceSummary>('/api/v1/workspaces', { name });
      await refresh();
      navigate(`/w/${created.id}/workflows`);
    } catch (error) {
      toast.error(error);
    } finally {
      setCreating(false);
    }
  };
  return (
    <label className="switcher">
      <span className="switcher__label">Workspace</span>
      <select
        value={current.id}
        onChange={(event) => void onChange(event)}
        disabled={creating}
        data-testid="workspace-switcher"
      >
        {workspaces.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name} · {w.role}
          </option>
        ))}
        <option value="__new">+ New workspace…</option>
      </select>
    </label>
  );
}

function Page({ path, workspace }: { path: string; workspace: WorkspaceSummary }) {
  const base = `/w/${workspace.id}`;
  const editor = match(`${base}/workflows/:id`, path);
  if (editor) return <EditorPage key={editor.id} workspace={workspace} workflowId={editor.id ?? ''} />;
  const run = match(`${base}/runs/:runId`, path);
  if (run) return <RunPage key={run.runId} workspace={workspace} runId={run.runId ?? ''} />;
  if (path.startsWith(`${base}/runs`)) return <RunsPage workspace={workspace} />;
  if (path.startsWith(`${base}/team`)) return <TeamPage key={workspace.id} workspace={workspace} />;
  if (path.startsWith(`${base}/billing`)) return <BillingPage key={workspace.id} workspace={workspace} />;
  if (path.startsWith(`${base}/approvals`)) return <ApprovalsPage key={workspace.id} workspace={workspace} />;
  if (path.startsWith(`${base}/tasks`)) return <WorkItemsPage workspace={workspace} kind="task" />;
  if (path.startsWith(`${base}/tickets`)) return <WorkItemsPage workspace={workspace} kind="ticket" />;
  if (path.startsWith(`${base}/outbound`))
    return <OutboundPage key={workspace.id} workspace={workspace} path={path} />;
  if (path.startsWith(`${base}/calls`))
    return <CallsPage key={workspace.id} workspace={workspace} path={path} />;
  if (path.startsWith(`${base}/knowledge`))
    return <KnowledgePage key={workspace.id} workspace={workspace} path={path} />;
  if (path.startsWith(`${base}/salesboard`))
    return <SalesboardPage key={workspace.id} workspace={workspace} path={path} />;
  if (path.startsWith(`${base}/analytics`))
    return <AnalyticsPage key={workspace.id} workspace={workspace} path={path} />;
  if (path.startsWith(`${base}/safety`))
    return <SafetyPage key={workspace.id} workspace={workspace} path={path} />;
  if (path.startsWith(`${base}/releases`))
    return <ReleasesPage key={workspace.id} workspace={workspace} path={path} />;
  if (path.startsWith(`${base}/feedback`))
    return <FeedbackPage key={workspace.id} workspace={workspace} path={path} />;
  if (path === base || path === `${base}/` || path.startsWith(`${base}/workflows`))
    return <WorkflowsPage key={workspace.id} workspace={workspace} />;
  return (
    <NotFound
      title="Page not found"
      detail={`Nothing lives at ${path}.`}
      back={{ to: `${base}/workflows`, label: 'Back to workflows' }}
    />
  );
}
