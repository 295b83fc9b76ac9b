import type { WorkspaceSummary } from '../api/types.js';
import { Link, match } from '../app/router.js';
import { PageHeader } from '../ui/bits.js';
import { CampaignDetail, CampaignsView } from './CampaignsView.js';
import { ImportWizard } from './ImportWizard.js';
import { LeadDetailView } from './LeadDetail.js';
import { LeadsView } from './LeadsView.js';
import { SettingsView } from './SettingsView.js';
import { SuppressionView } from './SuppressionView.js';
import './outbound.css';

/** Outbound (issue 13): leads, the import wizard, campaigns with their learning, the suppression list. */
export function OutboundPage({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  const root = `/w/${workspace.id}/outbound`;
  const sub = path.slice(root.length).replace(/\/$/, '') || '/leads';
  const lead = match('/leads/:id', sub);
  const campaign = match('/campaigns/:id', sub);
  const section = sub.startsWith('/campaigns')
    ? 'campaigns'
    : sub.startsWith('/suppression')
      ? 'suppression'
      : sub.startsWith('/settings')
        ? 'settings'
        : 'leads';
  const canEdit = workspace.role !== 'viewer';
  const isAdmin = workspace.role === 'admin' || workspace.role === 'owner';
  let view;
  if (sub === '/import') view = <ImportWizard workspace={workspace} />;
  else if (lead && lead.id !== 'import') view = <LeadDetailView workspace={workspace} leadId={lead.id!} />;
  else if (campaign) view = <CampaignDetail workspace={workspace} campaignId={campaign.id!} />;
  else if (section === 'campaigns') view = <CampaignsView workspace={workspace} />;
  else if (section === 'suppression') view = <SuppressionView workspace={workspace} />;
  else if (section === 'settings') view = <SettingsView workspace={workspace} />;
  else view = <LeadsView workspace={workspace} canEdit={canEdit} />;
  return (
    <div className="page outbound" data-testid="outbound-page">
      <PageHeader title="Outbound">
        {canEdit && section === 'leads' && (
          <Link to={`${root}/import`} className="btn btn--primary" testId="outbound-import-open">
            Import CSV
          </Link>
        )}
      </PageHeader>
      <nav className="tabs outbound__tabs" aria-label="Outbound sections">
        <Link
          to={`${root}/leads`}
          className={`tabs__link${section === 'leads' ? ' on' : ''}`}
          testId="outbound-tab-leads"
        >
          Leads
        </Link>
        <Link
          to={`${root}/campaigns`}
          className={`tabs__link${section === 'campaigns' ? ' on' : ''}`}
          testId="outbound-tab-campaigns"
        >
          Campaigns
        </Link>
        <Link
          to={`${root}/suppression`}
          className={`tabs__link${section === 'suppression' ? ' on' : ''}`}
          testId="outbound-tab-suppression"
        >
          Suppression list
        </Link>
        {isAdmin && (
          <Link
            to={`${root}/settings`}
            className={`tabs__link${section === 'settings' ? ' on' : ''}`}
            testId="outbound-tab-settings"
          >
            Inbound webhook
          </Link>
        )}
      </nav>
      {view}
    </div>
  );
}
