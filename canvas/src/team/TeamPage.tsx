import type { WorkspaceSummary } from '../api/types.js';
import { AiSettingsSection } from '../ai/AiSettings.js';
import { CredentialsSection } from '../credentials/CredentialsSection.js';
import { PageHeader } from '../ui/bits.js';
import { ApiKeysSection } from './ApiKeysSection.js';
import { AuditSection } from './AuditSection.js';
import { InvitationsSection } from './InvitationsSection.js';
import { MembersSection } from './MembersSection.js';

const atLeastAdmin = (role: WorkspaceSummary['role']): boolean => role === 'admin' || role === 'owner';

export function TeamPage({ workspace }: { workspace: WorkspaceSummary }) {
  const admin = atLeastAdmin(workspace.role);
  return (
    <div className="page" data-testid="team-page">
      <PageHeader title="Team & settings" />
      <MembersSection workspace={workspace} admin={admin} />
      {admin && <InvitationsSection workspace={workspace} />}
      {workspace.role !== 'viewer' && <ApiKeysSection workspace={workspace} />}
      {workspace.role !== 'viewer' && <CredentialsSection workspace={workspace} />}
      {workspace.role !== 'viewer' && <AiSettingsSection workspace={workspace} admin={admin} />}
      {admin && <AuditSection workspace={workspace} />}
    </div>
  );
}
