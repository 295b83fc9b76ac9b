import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { duration } from '../ui/bits.js';
import { useCanvasInfo } from './canvasContext.js';
import { inputTop, outputTop, type FlowNode } from './model.js';

const ICONS: Record<string, string> = {
  play: '▶',
  'git-branch': 'IF',
  split: 'SW',
  code: '{ }',
  pencil: 'SET',
  clock: '◷',
  merge: 'M',
};

/** The problem without the "Node "x": " prefix the card already shows. */
export const shortMessage = (message: string): string => message.replace(/^Node "[^"]+":\s*/, '');

/** A node on the canvas: title, id, typed ports, problems and run status. */
function RevflowNodeView({ id, data, selected }: NodeProps<FlowNode>) {
  const { types, issues, steps } = useCanvasInfo();
  const type = types.get(data.spec.type);
  const problems = issues.get(id) ?? [];
  const step = steps.get(id);
  const classes = ['rf-node', `rf-node--${type?.family ?? 'unknown'}`];
  if (selected) classes.push('rf-node--selected');
  if (problems.length > 0) classes.push('rf-node--invalid');
  if (step) classes.push(`rf-node--${step.status}`);
  const outputs = data.outputs;
  return (
    <div
      className={classes.join(' ')}
      data-testid={`node-${id}`}
      data-status={step?.status ?? ''}
      data-invalid={problems.length > 0 ? 'true' : 'false'}
    >
      {data.inputs.map((port, index) => (
        <Handle
          key={port}
          id={port}
          type="target"
          position={Position.Left}
          style={{ top: inputTop(index, data.inputs.length) }}
          data-testid={`handle-in-${id}-${port}`}
        />
      ))}
      <div className="rf-node__head">
        <span className="rf-node__icon">
          {ICONS[type?.icon ?? ''] ?? (type?.title ?? '?').slice(0, 2).toUpperCase()}
        </span>
        <div className="rf-node__titles">
          <strong>{data.spec.name || type?.title || data.spec.type}</strong>
          <small>{id}</small>
        </div>
      </div>
      {step && (
        <div className={`rf-node__status status--${step.status}`} data-testid={`node-status-${id}`}>
          <span>{step.status}</span>
          <span>
            {step.attempts > 1 ? `${step.attempts} attempts · ` : ''}
            {duration(step.durationMs)}
          </span>
        </div>
      )}
      {outputs.length > 1 && (
        <div className="rf-node__ports">
          {outputs.map((port) => (
            <span key={port} className={`rf-node__port${port === 'error' ? ' rf-node__port--error' : ''}`}>
              {port}
            </span>
          ))}
        </div>
      )}
      {problems.length > 0 && (
        <div
          className="rf-node__problem"
          data-testid={`node-problem-${id}`}
          title={problems.map((p) => p.message).join('\n')}
        >
          {shortMessage(problems[0]!.message)}
          {problems.length > 1 ? ` (+${problems.length - 1})` : ''}
        </div>
      )}
      {step?.error && <div className="rf-node__problem">{step.error.message}</div>}
      {outputs.map((port, index) => (
        <Handle
          key={port}
          id={port}
          type="source"
          position={Position.Right}
          className={port === 'error' ? 'handle--error' : undefined}
          style={{ top: outputTop(index, outputs.length, Boolean(step)) }}
          data-testid={`handle-out-${id}-${port}`}
          title={port}
        />
      ))}
    </div>
  );
}

export const RevflowNode = memo(RevflowNodeView);
export const nodeTypes = { revflow: RevflowNode };
