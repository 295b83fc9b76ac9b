import { api, ws } from '../api/client.js';
import type { List, Run } from '../api/types.js';
import { Link } from '../app/router.js';
import { Badge, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';

/** View mode's side panel (phones): the latest run of the workflow and where to see it. */
export function RunStatusPanel(props: { workspaceId: string; workflowId: string; testRun: Run | null }) {
  const latest = useLoad(
    () =>
      api.get<List<Run>>(
        `${ws(props.workspaceId)}/runs?workflowId=${encodeURIComponent(props.workflowId)}&limit=1`,
      ),
    [props.workspaceId, props.workflowId],
  );
  const run = props.testRun ?? latest.data?.items[0];
  return (
    <aside className="panel" data-testid="run-status-panel">
      <h4 className="panel__subtitle">Latest run</h4>
      {run ? (
        <p>
          <Badge status={run.status} testId="latest-run-status" /> {timeAgo(run.createdAt)} ·{' '}
          <Link to={`/w/${props.workspaceId}/runs/${run.id}`}>Open the run</Link>
        </p>
      ) : (
        <p className="muted">{latest.loading ? 'Loading…' : 'No run yet.'}</p>
      )}
      <Link to={`/w/${props.workspaceId}/runs`}>All runs</Link>
    </aside>
  );
}
