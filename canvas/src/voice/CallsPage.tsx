import { useState, type FormEvent } from 'react';
import { messageOf } from '../api/client.js';
import type { WorkspaceSummary } from '../api/types.js';
import { Link, match, navigate } from '../app/router.js';
import { Badge, Empty, PageHeader, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { CallView } from './CallView.js';
import { voiceApi } from './api.js';
import './voice.css';

/** Calls (Voice-to-Action, Enterprise): the list and upload, or one call's transcript and items. */
export function CallsPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  const status = useLoad(() => voiceApi.status(workspace.id), [workspace.id]);
  const one = match(`/w/${workspace.id}/calls/:callId`, path);
  if (!status.data) {
    return (
      <div className="page" data-testid="calls-page">
        <PageHeader title="Calls" />
        {status.error ? <div className="card section">{status.error}</div> : <Skeleton />}
      </div>
    );
  }
  if (!status.data.enabled) {
    return (
      <div className="page" data-testid="calls-page">
        <PageHeader title="Calls" />
        <div className="card section" data-testid="calls-upgrade">
          <h2>Turn calls into tasks</h2>
          <p>
            Voice-to-Action — upload a call transcript, get its action items with owners and due dates, review
            them and make tasks — is part of the <strong>Enterprise</strong> plan. This workspace is on{' '}
            <strong>{status.data.plan}</strong>.
          </p>
          <Link to={`/w/${workspace.id}/billing`} className="btn btn--primary">
            See plans
          </Link>
        </div>
      </div>
    );
  }
  if (one?.callId) return <CallView key={one.callId} workspace={workspace} callId={one.callId} />;
  return <CallList workspace={workspace} speech={status.data.speech} />;
}

function CallList({ workspace, speech }: { workspace: WorkspaceSummary; speech: boolean }) {
  const calls = useLoad(() => voiceApi.list(workspace.id), [workspace.id]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const canUpload = workspace.role !== 'viewer';

  const onSubmit = async (event: FormEvent<HTMLFormElement>): Promise<void> => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const file = form.get('file');
    if (!(file instanceof File) || file.size === 0) {
      setError('Choose a transcript file (VTT, SRT, text or JSON) or an audio file');
      return;
    }
    if (/^(audio|video)\//.test(file.type) && !speech) {
      setError(
        'Audio needs a speech provider, and this deployment has none (REVFLOW_SPEECH_BASE_URL). Upload a transcript instead.',
      );
      return;
    }
    for (const key of ['title', 'startedAt'] as const) if (form.get(key) === '') form.delete(key);
    const started = form.get('startedAt');
    if (typeof started === 'string') form.set('startedAt', new Date(started).toISOString());
    const rawNames = form.get('participantNames');
    const names = (typeof rawNames === 'string' ? rawNames : '')
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean);
    form.delete('participantNames');
    if (names.length > 0) form.set('participants', JSON.stringify(names.map((name) => ({ name }))));
    setBusy(true);
    setError(null);
    try {
      const call = await voiceApi.upload(workspace.id, form);
      navigate(`/w/${workspace.id}/calls/${call.id}`);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page voice" data-testid="calls-page">
      <PageHeader title="Calls" />
      {canUpload && (
        <form
          className="card section voice__upload"
          onSubmit={(e) => void onSubmit(e)}
          data-testid="call-upload"
        >
          <h2>Upload a call</h2>
          <p className="muted">
            WebVTT, SRT, “Speaker: text” lines or JSON segments.{' '}
            {speech
              ? 'Audio files are transcribed too.'
              : 'Audio needs a speech provider, which this deployment does not have.'}
          </p>
          <div className="voice__fields">
            <label>
              File
              <input type="file" name="file" accept=".vtt,.srt,.txt,.json,audio/*" data-testid="call-file" />
            </label>
            <label>
              Title
              <input name="title" placeholder="From the file name" maxLength={300} data-testid="call-title" />
            </label>
            <label>
              Started at
              <input type="datetime-local" name="startedAt" data-testid="call-started" />
            </label>
            <label>
              Participants
              <input
                name="participantNames"
                placeholder="Maria Lopez, Tom Becker"
                data-testid="call-participants"
              />
            </label>
          </div>
          {error && (
            <div className="voice__error" role="alert" data-testid="call-upload-error">
              {error}
            </div>
          )}
          <button className="btn btn--primary" type="submit" disabled={busy} data-testid="call-upload-submit">
            {busy ? 'Reading the call…' : 'Upload and find action items'}
          </button>
        </form>
      )}
      <div className="card section">
        {calls.error && <div>{calls.error}</div>}
        {!calls.data && !calls.error && <Skeleton />}
        {calls.data && calls.data.items.length === 0 && (
          <Empty title="No calls yet">Upload a transcript to see its action items.</Empty>
        )}
        {calls.data && calls.data.items.length > 0 && (
          <table className="table" data-testid="calls-list">
            <thead>
              <tr>
                <th>Call</th>
                <th>Started</th>
                <th>Length</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {calls.data.items.map((call) => (
                <tr key={call.id}>
                  <td>
                    <Link to={`/w/${workspace.id}/calls/${call.id}`} testId="call-link">
                      {call.title}
                    </Link>
                  </td>
                  <td title={call.startedAt}>{timeAgo(call.startedAt)}</td>
                  <td>{Math.round(call.durationSeconds / 60)} min</td>
                  <td>
                    <Badge status={call.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}
