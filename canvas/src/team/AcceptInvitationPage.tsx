import { useState, type FormEvent } from 'react';
import { api, messageOf } from '../api/client.js';
import type { InvitationPreview, WorkspaceSummary } from '../api/types.js';
import { navigate } from '../app/router.js';
import { useSession } from '../app/session.js';
import { Skeleton } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';

/** Reached from the invitation link: join as the logged-in user, or create an account. */
export function AcceptInvitationPage({ token }: { token: string }) {
  const { me, refresh, loading } = useSession();
  const preview = useLoad(
    () => api.get<InvitationPreview>(`/api/v1/invitations/${encodeURIComponent(token)}`),
    [token],
  );
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const accept = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await api.post<{ workspace: WorkspaceSummary }>(
        `/api/v1/invitations/${encodeURIComponent(token)}/accept`,
        me ? {} : { name, password },
      );
      await refresh();
      navigate(`/w/${result.workspace.id}/workflows`, { replace: true });
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  const invitation = preview.data;
  return (
    <div className="auth">
      <form
        className="card auth__card"
        onSubmit={(event) => void accept(event)}
        data-testid="accept-invitation"
      >
        <div className="brand brand--large">
          <span className="brand__mark">◆</span> Revflow
        </div>
        {preview.error ? (
          <p className="form-error">{preview.error}</p>
        ) : !invitation || loading ? (
          <Skeleton rows={3} />
        ) : (
          <>
            <h1>Join {invitation.workspace.name}</h1>
            <p>
              {invitation.inviter ?? 'Someone'} invited <strong>{invitation.email}</strong> as{' '}
              <strong>{invitation.role}</strong>.
            </p>
            {invitation.status !== 'pending' ? (
              <p className="form-error">This invitation is {invitation.status}.</p>
            ) : me ? (
              <p className="muted">You are logged in as {me.user.email}.</p>
            ) : (
              <>
                <label className="field">
                  <span>Your name</span>
                  <input
                    required
                    value={name}
                    onChange={(e) => setName(e.target.value)}
                    data-testid="accept-name"
                  />
                </label>
                <label className="field">
                  <span>Choose a password</span>
                  <input
                    required
                    type="password"
                    value={password}
                    onChange={(e) => setPassword(e.target.value)}
                    autoComplete="new-password"
                    data-testid="accept-password"
                  />
                </label>
              </>
            )}
            {error && <p className="form-error">{error}</p>}
            {invitation.status === 'pending' && (
              <button className="btn btn--primary btn--block" disabled={busy} data-testid="accept-submit">
                {busy ? 'Joining…' : `Join ${invitation.workspace.name}`}
              </button>
            )}
          </>
        )}
      </form>
    </div>
  );
}
