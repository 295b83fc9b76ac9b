import { useState, type ReactNode } from 'react';
import type { JsonObject, JsonSchema, JsonValue } from '../api/types.js';
import { CredentialField } from '../credentials/CredentialField.js';
import { CodeField } from './CodeField.js';
import { ConditionField } from './ConditionField.js';
import { useExpressionSuggestions } from './expressions.js';
import { JsonField } from './JsonField.js';
import { fieldKind } from './model.js';

interface FormProps {
  schema: JsonSchema;
  value: JsonObject;
  onChange: (value: JsonObject) => void;
  /** Field path (within this object) → message, from the server's validation. */
  errors: Map<string, string>;
  testPrefix: string;
}

/** A JSON value as form text. */
const text = (value: JsonValue | undefined): string =>
  typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);

const label = (key: string): string =>
  key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());

/** A form generated from a JSON Schema object: one field per property. */
export function SchemaForm({ schema, value, onChange, errors, testPrefix }: FormProps) {
  const properties = Object.entries(schema.properties ?? {});
  if (properties.length === 0) return <p className="muted">This node has nothing to configure.</p>;
  const required = new Set(schema.required ?? []);
  return (
    <div className="schema-form">
      {properties.map(([key, field]) => {
        const error =
          errors.get(key) ??
          [...errors].find(([path]) => path.startsWith(`${key}.`) || path.startsWith(`${key}[`))?.[1];
        const set = (next: JsonValue | undefined): void => {
          const copy = { ...value };
          if (next === undefined) delete copy[key];
          else copy[key] = next;
          onChange(copy);
        };
        return (
          <div
            key={key}
            className={`field${error ? ' field--invalid' : ''}`}
            data-testid={`field-${testPrefix}${key}`}
          >
            <span className="field__label">
              {field.title ?? (field.format === 'credential' ? 'Credential' : label(key))}
              {required.has(key) && field.default === undefined && <em className="required">*</em>}
            </span>
            <Field
              schema={field}
              value={value[key]}
              onChange={set}
              testId={`input-${testPrefix}${key}`}
              errors={errors}
              path={key}
            />
            {field.description && <small className="hint">{field.description}</small>}
            {error && (
              <small className="field__error" data-testid={`field-error-${testPrefix}${key}`}>
                {error}
              </small>
            )}
          </div>
        );
      })}
    </div>
  );
}

interface FieldProps {
  schema: JsonSchema;
  value: JsonValue | undefined;
  onChange: (value: JsonValue | undefined) => void;
  testId: string;
  errors: Map<string, string>;
  path: string;
}

function Field({ schema, value, onChange, testId, errors, path }: FieldProps) {
  switch (fieldKind(schema)) {
    case 'code':
      return <CodeField value={typeof value === 'string' ? value : ''} onChange={onChange} testId={testId} />;
    case 'logic':
      return <ConditionField value={value} onChange={onChange} testId={testId} />;
    case 'credential':
      return (
        <CredentialField
          value={typeof value === 'string' ? value : undefined}
          types={(schema as JsonSchema & { credentialTypes?: unknown }).credentialTypes}
          onChange={onChange}
          testId={testId}
        />
      );
    case 'enum':
      return (
        <select
          value={value === undefined ? '' : text(value)}
          onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
          data-testid={testId}
        >
          <option value="">{schema.default !== undefined ? `Default (${text(schema.default)})` : '—'}</option>
          {(schema.enum ?? []).map((option) => (
            <option key={text(option)} value={text(option)}>
              {text(option)}
            </option>
          ))}
        </select>
      );
    case 'string':
      return (schema.maxLength ?? 0) > 500 ? (
        <textarea
          rows={3}
          value={typeof value === 'string' ? value : ''}
          onChange={(e) => onChange(e.target.value)}
          data-testid={testId}
        />
      ) : (
        <ExpressionInput
          value={typeof value === 'string' ? value : ''}
          onChange={(next) => onChange(next === '' ? undefined : next)}
          testId={testId}
        />
      );
    case 'number':
      return (
        <input
          type="number"
          value={typeof value === 'number' ? value : ''}
          placeholder={schema.default !== undefined ? text(schema.default) : ''}
          onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
          data-testid={testId}
        />
      );
    case 'boolean':
      return (
        <label className="switch">
          <input
            type="checkbox"
            checked={typeof value === 'boolean' ? value : schema.default === true}
            onChange={(e) => onChange(e.target.checked)}
            data-testid={testId}
          />
          <span>{(typeof value === 'boolean' ? value : schema.default === true) ? 'On' : 'Off'}</span>
        </label>
      );
    case 'stringArray': {
      const items = Array.isArray(value) ? value.map((item) => text(item)) : [];
      return (
        <ListEditor
          items={items}
          onChange={onChange}
          blank=""
          testId={testId}
          render={(item, set) => <input value={item} onChange={(e) => set(e.target.value)} />}
        />
      );
    }
    case 'objectArray': {
      const items = Array.isArray(value)
        ? (value.filter((v) => v && typeof v === 'object' && !Array.isArray(v)) as JsonObject[])
        : [];
      const itemSchema = schema.items ?? {};
      return (
        <ListEditor
          items={items}
          onChange={onChange}
          blank={{}}
          testId={testId}
          render={(item, set, index) => (
            <SchemaForm
              schema={itemSchema}
              value={item}
              onChange={set}
              errors={nested(errors, `${path}[${index}]`)}
              testPrefix={`${path}-${index}-`}
            />
          )}
        />
      );
    }
    case 'record':
      return (
        <RecordEditor
          value={value}
          onChange={onChange}
          valueSchema={schema.additionalProperties as JsonSchema}
          testId={testId}
        />
      );
    case 'object': {
      const object = value && typeof value === 'object' && !Array.isArray(value) ? value : {};
      return (
        <div className="nested">
          <SchemaForm
            schema={schema}
            value={object}
            onChange={onChange}
            errors={nested(errors, path)}
            testPrefix={`${path}-`}
          />
        </div>
      );
    }
    default:
      return <JsonField value={value} onChange={onChange} testId={testId} />;
  }
}

function nested(errors: Map<string, string>, prefix: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const [path, message] of errors) {
    if (path.startsWith(`${prefix}.`)) result.set(path.slice(prefix.length + 1), message);
  }
  return result;
}

function ListEditor<T extends JsonValue>(props: {
  items: T[];
  onChange: (items: JsonValue[]) => void;
  blank: T;
  testId: string;
  render: (item: T, set: (item: T) => void, index: number) => ReactNode;
}) {
  const { items, onChange } = props;
  return (
    <div className="list-editor" data-testid={props.testId}>
      {items.map((item, index) => (
        <div key={index} className="list-editor__item">
          <div className="list-editor__body">
            {props.render(item, (next) => onChange(items.map((old, i) => (i === index ? next : old))), index)}
          </div>
          <button
            type="button"
            className="btn btn--ghost btn--icon"
            aria-label="Remove"
            onClick={() => onChange(items.filter((_, i) => i !== index))}
          >
            ×
          </button>
        </div>
      ))}
      <button
        type="button"
        className="btn btn--small"
        onClick={() => onChange([...items, props.blank])}
        data-testid={`${props.testId}-add`}
      >
        + Add
      </button>
    </div>
  );
}

function RecordEditor(props: {
  value: JsonValue | undefined;
  onChange: (value: JsonObject) => void;
  valueSchema: JsonSchema;
  testId: string;
}) {
  const record =
    props.value && typeof props.value === 'object' && !Array.isArray(props.value) ? props.value : {};
  const entries = Object.entries(record);
  const stringValues = fieldKind(props.valueSchema) === 'string';
  const write = (next: Array<[string, JsonValue]>): void => props.onChange(Object.fromEntries(next));
  return (
    <div className="list-editor" data-testid={props.testId}>
      {entries.map(([key, value], index) => (
        <div key={index} className="kv">
          <input
            value={key}
            placeholder="key"
            onChange={(e) =>
              write(entries.map((entry, i) => (i === index ? [e.target.value, entry[1]] : entry)))
            }
          />
          <input
            value={stringValues ? text(value) : JSON.stringify(value)}
            placeholder="value"
            onChange={(e) => {
              let next: JsonValue = e.target.value;
              if (!stringValues) {
                try {
                  next = JSON.parse(e.target.value) as JsonValue;
                } catch {
                  /* a plain string */
                }
              }
              write(entries.map((entry, i) => (i === index ? [entry[0], next] : entry)));
            }}
          />
          <button
            type="button"
            className="btn btn--ghost btn--icon"
            aria-label="Remove"
            onClick={() => write(entries.filter((_, i) => i !== index))}
          >
            ×
          </button>
        </div>
      ))}
      <button
        type="button"
        className="btn btn--small"
        onClick={() => write([...entries, [`key${entries.length + 1}`, '']])}
      >
        + Add
      </button>
    </div>
  );
}

let datalistCounter = 0;

/** A text input that offers `{{ expression }}` completions from the node's scope. */
function ExpressionInput(props: { value: string; onChange: (value: string) => void; testId: string }) {
  const suggestions = useExpressionSuggestions();
  const [id] = useState(() => `expr-${++datalistCounter}`);
  return (
    <>
      <input
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        list={id}
        data-testid={props.testId}
      />
      <datalist id={id}>
        {suggestions.map((suggestion) => (
          <option
            key={suggestion}
            value={
              props.value.includes('{{') || props.value === '' ? suggestion : `${props.value} ${suggestion}`
            }
          />
        ))}
      </datalist>
    </>
  );
}
