import { aiMetaOf } from './api.js';
import './ai.css';

const tokens = (value: number): string => value.toLocaleString('en-US');

/** Provider, model, tokens and latency of an AI step, for the run viewer's step panel. */
export function AiStepFacts({ output }: { output: unknown }) {
  const meta = aiMetaOf(output);
  if (!meta) return null;
  return (
    <dl className="facts ai-step-facts" data-testid="ai-step-facts">
      <dt>Provider</dt>
      <dd data-testid="ai-step-provider">{meta.provider}</dd>
      <dt>Model</dt>
      <dd data-testid="ai-step-model">{meta.model}</dd>
      <dt>Tokens</dt>
      <dd data-testid="ai-step-tokens">
        {tokens(meta.usage.totalTokens)}{' '}
        <small className="muted">
          ({tokens(meta.usage.inputTokens)} in · {tokens(meta.usage.outputTokens)} out)
        </small>
      </dd>
      <dt>Latency</dt>
      <dd data-testid="ai-step-latency">
        {meta.latencyMs < 1000
          ? `${Math.round(meta.latencyMs)} ms`
          : `${(meta.latencyMs / 1000).toFixed(1)} s`}
      </dd>
    </dl>
  );
}
