import type { WorkspaceSummary } from '../api/types.js';
import { WhatsNewPanel } from '../releases/WhatsNewPanel.js';
import { FeedbackWidget } from './FeedbackWidget.js';
import { NpsModal } from './NpsModal.js';
import { ShippedNotice } from './ShippedNotice.js';
import './feedback.css';

/** What every page shows around its content: the feedback widget and the NPS survey when due. */
export function GlobalWidgets({ workspace, path }: { workspace: WorkspaceSummary; path: string }) {
  return (
    <>
      <FeedbackWidget workspace={workspace} path={path} />
      <ShippedNotice workspace={workspace} />
      <WhatsNewPanel workspace={workspace} path={path} />
      <NpsModal workspace={workspace} />
    </>
  );
}
