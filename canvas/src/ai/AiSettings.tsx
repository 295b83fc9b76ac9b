import { useEffect, useState, type FormEvent } from 'react';
import { messageOf } from '../api/client.js';
import type { WorkspaceSummary } from '../api/types.js';
import { useToast } from '../app/toasts.js';
import { useCredentials } from '../credentials/api.js';
import { NewCredentialDialog } from '../credentials/NewCredentialDialog.js';
import { Skeleton, timeAgo } from '../ui/bits.js';
import { useLoad } from '../ui/useLoad.js';
import { loadAiSettings, saveAiSettings, type AiProvider, type AiSettings } from './api.js';
import './ai.css';

const NEW = '__new';
const number = (value: number): string => value.toLocaleString('en-US');

const sourceText: Record<AiSettings['source'], string> = {
  workspace: 'Set for this workspace',
  deployment: 'The deployment default (LLM_BASE_URL)',
  builtin: 'The built-in default: the local provider, offline, no key',
};

/**
 * Team & settings → AI: the provider, model and endpoint credential AI nodes use unless a node
 * chooses otherwise, and this period's AI usage. Admins change it; members read it.
 */
export function AiSettingsSection({ workspace, admin }: { workspace: WorkspaceSummary; admin: boolean }) {
  const toast = useToast();
  const settings = useLoad(() => loadAiSettings(workspace.id), [workspace.id]);
  const { items: credentials } = useCredentials(workspace.id);
  const endpoints = (credentials ?? []).filter((c) => c.type === 'openaiCompatible');
  const [provider, setProvider] = useState<AiProvider>('local');
  const [credentialId, setCredentialId] = useState('');
  const [model, setModel] = useState('');
  const [creating, setCreating] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    const data = settings.data;
    if (!data) return;
    setProvider(data.provider);
    setCredentialId(data.credentialId ?? '');
    setModel(data.source === 'workspace' ? (data.model ?? '') : '');
  }, [settings.data]);

  const save = async (event: FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const saved = await saveAiSettings(workspace.id, {
        provider,
        model: provider === 'local' || model.trim() === '' ? null : model.trim(),
        credentialId: provider === 'local' || credentialId === '' ? null : credentialId,
      });
      settings.setData(() => saved);
      toast.show('success', 'AI settings saved');
    } catch (error) {
      setFailure(messageOf(error));
    } finally {
      setBusy(false);
    }
  };

  const data = settings.data;
  const usage = data?.usage;
  return (
    <section className="card section ai-settings" data-testid="ai-settings">
      <div className="section__header">
        <h2>AI</h2>
      </div>
      <p className="muted">
        What AI nodes (generate, extract, classify, summarize) use unless a node chooses otherwise. The local
        provider works offline with no key; it reads and fills in text, it does not write like a language
        model.
      </p>
      {settings.error && !data ? (
        <p className="form-error">{settings.error}</p>
      ) : !data || !usage ? (
        <Skeleton rows={3} />
      ) : (
        <>
          <dl className="facts">
            <dt>Provider</dt>
            <dd data-testid="ai-current-provider">
              {data.provider === 'local' ? 'Local (offline)' : 'OpenAI-compatible'}
              {data.model ? ` · ${data.model}` : ''}
            </dd>
            <dt>Source</dt>
            <dd data-testid="ai-source">
              {sourceText[data.source]}
              {data.updatedAt ? ` · ${timeAgo(data.updatedAt)}` : ''}
            </dd>
          </dl>
          <div className="ai-settings__usage" data-testid="ai-usage">
            <div>
              <strong data-testid="ai-usage-generations">
                {number(usage.generations)}
                {usage.limit !== null ? ` / ${number(usage.limit)}` : ''}
              </strong>
              <small className="muted">AI generations this period</small>
            </div>
            <div>
              <strong data-testid="ai-usage-tokens">{number(usage.totalTokens)}</strong>
              <small className="muted">
                tokens ({number(usage.inputTokens)} in · {number(usage.outputTokens)} out)
              </small>
            </div>
          </div>
          {admin ? (
            <form onSubmit={(event) => void save(event)} data-testid="ai-settings-form">
              <div className="ai-settings__form">
                <label className="field">
                  <span>Provider</span>
                  <select
                    value={provider}
                    onChange={(e) => setProvider(e.target.value as AiProvider)}
                    data-testid="ai-provider"
                  >
                    <option value="local">Local (offline, no key)</option>
                    <option value="openai-compatible">OpenAI-compatible endpoint</option>
                  </select>
                </label>
                <label className="field">
                  <span>Endpoint credential</span>
                  <select
                    value={credentialId}
                    disabled={provider === 'local'}
                    onChange={(e) =>
                      e.target.value === NEW ? setCreating(true) : setCredentialId(e.target.value)
                    }
                    data-testid="ai-credential"
                  >
                    <option value="">
                      {data.deployment.host ? `Deployment default (${data.deployment.host})` : '— choose —'}
                    </option>
                    {endpoints.map((c) => (
                      <option key={c.id} value={c.id}>
                        {c.name}
                      </option>
                    ))}
                    <option value={NEW}>New OpenAI-compatible credential…</option>
                  </select>
                </label>
                <label className="field">
                  <span>Model</span>
                  <input
                    value={model}
                    disabled={provider === 'local'}
                    placeholder={
                      provider === 'local' ? 'local-wink-1' : 'the credential’s model, e.g. gpt-4o-mini'
                    }
                    onChange={(e) => setModel(e.target.value)}
                    data-testid="ai-model"
                  />
                </label>
              </div>
              {failure && (
                <p className="form-error" data-testid="ai-settings-error">
                  {failure}
                </p>
              )}
              <div className="ai-settings__actions">
                <button className="btn btn--primary" type="submit" disabled={busy} data-testid="ai-save">
                  Save AI settings
                </button>
                <small className="muted ai-settings__hint">
                  OpenAI: https://api.openai.com/v1 · Ollama: http://localhost:11434/v1 · LM Studio:
                  http://localhost:1234/v1 · vLLM: http://host:8000/v1. A local address must be on the
                  outbound hosts list.
                </small>
              </div>
            </form>
          ) : (
            <p className="muted" data-testid="ai-settings-readonly">
              Owners and admins change these settings.
            </p>
          )}
        </>
      )}
      {creating && (
        <NewCredentialDialog
          workspaceId={workspace.id}
          types={['openaiCompatible']}
          onClose={() => setCreating(false)}
          onCreated={(credential) => {
            setCreating(false);
            setCredentialId(credential.id);
            setProvider('openai-compatible');
          }}
        />
      )}
    </section>
  );
}
