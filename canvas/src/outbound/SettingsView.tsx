import { useState } from 'react';
import type { WorkspaceSummary } from '../api/types.js';
import { useToast } from '../app/toasts.js';
import { Empty, Skeleton } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { outboundApi } from './api.js';

/**
 * The inbound webhook (admins): where the mail provider posts replies, bounces, unsubscribes and
 * booked meetings, and the secret it signs them with. Members and viewers never see the secret.
 */
export function SettingsView({ workspace }: { workspace: WorkspaceSummary }) {
  const toast = useToast();
  const [shown, setShown] = useState(false);
  const [busy, setBusy] = useState(false);
  const isAdmin = workspace.role === 'admin' || workspace.role === 'owner';
  const settings = useLoad(
    () => (isAdmin ? outboundApi.settings(workspace.id) : Promise.resolve(undefined)),
    [workspace.id, isAdmin],
  );
  if (!isAdmin)
    return (
      <Empty title="Admins only">
        <p className="muted">Ask an admin of this workspace for the inbound webhook.</p>
      </Empty>
    );
  if (!settings.data) return <Skeleton />;
  const rotate = async () => {
    if (
      !window.confirm(
        'Rotate the secret? The mail provider must get the new one, and old unsubscribe links stop working.',
      )
    )
      return;
    setBusy(true);
    try {
      await outboundApi.rotateSecret(workspace.id);
      await settings.reload();
      setShown(true);
    } catch (error) {
      toast.error(error);
    } finally {
      setBusy(false);
    }
  };
  const { inboundUrl, signatureHeader, secret } = settings.data;
  return (
    <section className="card outbound__settings" data-testid="outbound-settings">
      <p className="muted">
        Point your mail provider&apos;s inbound (reply, bounce, complaint) webhook here. Each request carries{' '}
        <code>
          {signatureHeader}: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, &quot;t.body&quot;)&gt;
        </code>
        ; unsigned, forged or stale requests (over 5 minutes) are refused, and an event id seen before changes
        nothing.
      </p>
      <dl className="outbound__fields">
        <dt>Webhook URL</dt>
        <dd>
          <code data-testid="inbound-url">{inboundUrl}</code>
        </dd>
        <dt>Signing secret</dt>
        <dd>
          <code data-testid="inbound-secret">{shown ? secret : '•'.repeat(24)}</code>{' '}
          <button
            type="button"
            className="btn btn--small btn--ghost"
            onClick={() => setShown(!shown)}
            data-testid="inbound-secret-toggle"
          >
            {shown ? 'Hide' : 'Reveal'}
          </button>
          <button
            type="button"
            className="btn btn--small btn--ghost"
            disabled={busy}
            onClick={() => void rotate()}
            data-testid="inbound-secret-rotate"
          >
            Rotate
          </button>
        </dd>
      </dl>
      <p className="muted">
        Body: one JSON event, e.g.{' '}
        <code>
          {
            '{"id":"<provider event id>","type":"reply","inReplyTo":"<Message-ID>","from":"lead@…","text":"…"}'
          }
        </code>{' '}
        (types: reply, bounce, complaint, unsubscribe, meeting).
      </p>
    </section>
  );
}
