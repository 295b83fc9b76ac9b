import { api, ws } from '../api/client.js';
import type { List, Member, Role, WorkspaceSummary } from '../api/types.js';
import { useSession } from '../app/session.js';
import { useToast } from '../app/toasts.js';
import { Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';

export const ROLES: Role[] = ['viewer', 'member', 'admin', 'owner'];

export function MembersSection({ workspace, admin }: { workspace: WorkspaceSummary; admin: boolean }) {
  const toast = useToast();
  const { me } = useSession();
  const base = `${ws(workspace.id)}/members`;
  const members = useLoad(() => api.get<List<Member>>(base), [base]);
  const setRole = async (member: Member, role: Role): Promise<void> => {
    try {
      await api.patch(`${base}/${member.userId}`, { role });
      toast.show('success', `${member.name} is now ${role}`);
      await members.reload();
    } catch (error) {
      toast.error(error);
    }
  };
  const remove = async (member: Member): Promise<void> => {
    if (!window.confirm(`Remove ${member.name} from ${workspace.name}?`)) return;
    try {
      await api.delete(`${base}/${member.userId}`);
      await members.reload();
    } catch (error) {
      toast.error(error);
    }
  };
  return (
    <section className="card section" data-testid="members">
      <h2>Members</h2>
      {!members.data ? (
        <Skeleton rows={2} />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Role</th>
              <th>Joined</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {members.data.items.map((member) => (
              <tr key={member.userId} data-testid="member-row">
                <td className="table__main">{member.name}</td>
                <td>{member.email}</td>
                <td>
                  {admin && member.userId !== me?.user.id ? (
                    <select
                      value={member.role}
                      onChange={(e) => void setRole(member, e.target.value as Role)}
                    >
                      {ROLES.map((role) => (
                        <option key={role}>{role}</option>
                      ))}
                    </select>
                  ) : (
                    member.role
                  )}
                </td>
                <td>{timeAgo(member.joinedAt)}</td>
                <td className="table__actions">
                  {(admin || member.userId === me?.user.id) && (
                    <button
                      className="btn btn--ghost btn--small btn--danger-text"
                      onClick={() => void remove(member)}
                    >
                      {member.userId === me?.user.id ? 'Leave' : 'Remove'}
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
