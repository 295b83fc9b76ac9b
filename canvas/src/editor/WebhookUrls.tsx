import { useEffect, useState } from 'react';
import { api, ws } from '../api/client.js';
import type { WorkspaceSummary } from '../api/types.js';
import { useToast } from '../app/toasts.js';

interface WebhookItem {
  nodeId: string;
  url: string;
  method: string;
  signed: boolean;
  secret: string | null;
}

/**
 * A webhook trigger's addresses (issue 18): the production URL (live while the workflow is
 * active) and how to test without it, each with a copy button; admins see the signing secret
 * and can rotate it.
 */
export function WebhookUrls(props: {
  workspace: WorkspaceSummary;
  workflowId: string;
  nodeId: string;
  path: string;
  signed: boolean;
}) {
  const toast = useToast();
  const admin = props.workspace.role === 'admin' || props.workspace.role === 'owner';
  const [item, setItem] = useState<WebhookItem | null>(null);
  const [testUrl, setTestUrl] = useState<string | null>(null);
  const base = `${ws(props.workspace.id)}/workflows/${props.workflowId}`;
  useEffect(() => {
    if (props.workspace.role === 'viewer') return;
    let live = true;
    api
      .get<{ url: string }>(`${base}/test-hook`)
      .then((answer) => live && setTestUrl(answer.url))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [base, props.workspace.role]);
  useEffect(() => {
    if (!admin) return;
    let live = true;
    api
      .get<{ items: WebhookItem[] }>(`${base}/webhooks`)
      .then((list) => live && setItem(list.items.find((i) => i.nodeId === props.nodeId) ?? null))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [admin, base, props.nodeId]);
  const production = `${location.origin}/hooks/${props.workspace.id}/${props.path}`;
  const copy = (text: string, what: string): void => {
    void navigator.clipboard?.writeText(text).then(
      () => toast.show('success', `${what} copied`),
      () => toast.show('info', text),
    );
  };
  const rotate = async (): Promise<void> => {
    try {
      const { secret } = await api.post<{ secret: string }>(`${base}/webhooks/${props.nodeId}/rotate-secret`, {});
      setItem((current) => (current ? { ...current, secret } : current));
      toast.show('success', 'New signing secret: senders need it from now on');
    } catch (error) {
      toast.error(error);
    }
  };
  return (
    <div className="webhook-urls" data-testid="webhook-urls">
      <h4 className="panel__subtitle">Webhook addresses</h4>
      <UrlRow label="Production URL (while active)" value={production} testId="webhook-production-url" onCopy={copy} />
      {testUrl && (
        <UrlRow label="Test URL (listens for test events)" value={testUrl} testId="webhook-test-url" onCopy={copy} />
      )}
      <p className="muted small">
        A POST to the test URL is captured as this trigger’s pinned data and starts a test run of the draft; it
        never goes through the production URL. Later test runs reuse the captured request.
      </p>
      {admin && props.signed && (
        <div className="field">
          <span className="field__label">Signing secret (admins)</span>
          <code className="secret" data-testid="webhook-secret">
            {item?.secret ?? 'Activate the workflow to create its secret'}
          </code>
          {item?.secret && (
            <div className="node-data__actions">
              <button className="btn btn--small" onClick={() => copy(item.secret!, 'Secret')}>
                Copy
              </button>
              <button className="btn btn--small" onClick={() => void rotate()} data-testid="rotate-secret">
                Rotate
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}

function UrlRow(props: { label: string; value: string; testId: string; onCopy: (text: string, what: string) => void }) {
  return (
    <div className="field">
      <span className="field__label">{props.label}</span>
      <div className="url-row">
        <code data-testid={props.testId}>{props.value}</code>
        <button className="btn btn--small" onClick={() => props.onCopy(props.value, props.label)}>
          Copy
        </button>
      </div>
    </div>
  );
}
