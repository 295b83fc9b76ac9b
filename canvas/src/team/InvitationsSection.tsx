import { useState, type FormEvent } from 'react';
import { api, ws } from '../api/client.js';
import type { Invitation, List, Role, WorkspaceSummary } from '../api/types.js';
import { useToast } from '../app/toasts.js';
import { Badge, Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { CopyBox } from './CopyBox.js';
import { ROLES } from './MembersSection.js';

export function InvitationsSection({ workspace }: { workspace: WorkspaceSummary }) {
  const toast = useToast();
  const base = `${ws(workspace.id)}/invitations`;
  const invitations = useLoad(() => api.get<List<Invitation> & { mailConfigured?: boolean }>(base), [base]);
  const mailConfigured = invitations.data?.mailConfigured;
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [link, setLink] = useState<string | null>(null);
  // Say what really happened to the email: sent, not configured, or failed (the link works anyway).
  const tell = (invitation: Invitation, sent: string): void => {
    const delivery = invitation.delivery;
    if (!delivery || delivery.status === 'sent') toast.show('success', sent);
    else if (delivery.status === 'not_configured')
      toast.show('info', `Invitation created for ${invitation.email}. Mail is not configured: share the link below.`);
    else toast.show('error', delivery.detail ?? `The email to ${invitation.email} could not be sent`);
  };
  const send = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    try {
      const created = await api.post<Invitation>(base, { email, role });
      setLink(created.acceptUrl ?? null);
      setEmail('');
      tell(created, `Invitation emailed to ${created.email}`);
      await invitations.reload();
    } catch (error) {
      toast.error(error);
    }
  };
  const resend = async (invitation: Invitation): Promise<void> => {
    try {
      const renewed = await api.post<Invitation>(`${base}/${invitation.id}/resend`, {});
      setLink(renewed.acceptUrl ?? null);
      tell(renewed, `Emailed again to ${invitation.email}`);
      await invitations.reload();
    } catch (error) {
      toast.error(error);
    }
  };
  const revoke = async (invitation: Invitation): Promise<void> => {
    try {
      await api.delete(`${base}/${invitation.id}`);
      await invitations.reload();
    } catch (error) {
      toast.error(error);
    }
  };
  return (
    <section className="card section" data-testid="invitations">
      <h2>Invitations</h2>
      {mailConfigured === false && (
        <p className="muted" data-testid="invite-mail-off">
          Mail is not configured on this server (SMTP_URL is not set): invitations are not emailed. Copy the
          link shown after inviting and send it yourself.
        </p>
      )}
      <form className="inline-form" onSubmit={(event) => void send(event)}>
        <input
          type="email"
          required
          placeholder="teammate@company.com"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          data-testid="invite-email"
        />
        <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="invite-role">
          {ROLES.filter((r) => workspace.role === 'owner' || r !== 'owner').map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
        <button className="btn btn--primary" type="submit" data-testid="invite-send">
          Send invitation
        </button>
      </form>
      {link && (
        <CopyBox
          label={
            mailConfigured === false
              ? 'Invitation link (not emailed: share it yourself)'
              : 'Invitation link (also emailed to the invitee)'
          }
          value={link}
          testId="invite-link"
        />
      )}
      {!invitations.data ? (
        <Skeleton rows={2} />
      ) : invitations.data.items.length === 0 ? (
        <p className="muted">No invitations yet.</p>
      ) : (
        <table className="table">
          <tbody>
            {invitations.data.items.map((invitation) => (
              <tr key={invitation.id} data-testid="invitation-row">
                <td className="table__main">{invitation.email}</td>
                <td>{invitation.role}</td>
                <td>
                  <Badge status={invitation.status} />
                </td>
                <td>
                  <small>sent {timeAgo(invitation.sentAt)}</small>
                </td>
                <td className="table__actions">
                  {(invitation.status === 'pending' || invitation.status === 'expired') && (
                    <button className="btn btn--ghost btn--small" onClick={() => void resend(invitation)}>
                      Resend
                    </button>
                  )}
                  {invitation.status === 'pending' && (
                    <button
                      className="btn btn--ghost btn--small btn--danger-text"
                      onClick={() => void revoke(invitation)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
