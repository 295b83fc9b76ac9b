import { describe, expect, it } from 'vitest';
import {
  compileConfigTemplates,
  findTemplateStrings,
  hasTemplate,
  isSingleTemplate,
  parseTemplate,
  stringifyTemplateValue,
  TemplateSyntaxError,
} from '../engine/templates.js';

/** Expression sources of a template, in order. */
const sources = (text: string): string[] =>
  parseTemplate(text).flatMap((part) => (part.kind === 'expression' ? [part.source] : []));

describe('parseTemplate', () => {
  it('returns plain text as a single literal part', () => {
    expect(parseTemplate('hello')).toEqual([{ kind: 'text', text: 'hello' }]);
  });

  it('returns nothing for an empty string', () => {
    expect(parseTemplate('')).toEqual([]);
  });

  it('splits text and trimmed expressions, keeping where each template starts', () => {
    expect(parseTemplate('Hi {{ input.name }}, welcome')).toEqual([
      { kind: 'text', text: 'Hi ' },
      { kind: 'expression', source: 'input.name', start: 3 },
      { kind: 'text', text: ', welcome' },
    ]);
  });

  it('finds several templates in one string, including adjacent ones', () => {
    expect(sources('{{a}}{{ b }} and {{c}}')).toEqual(['a', 'b', 'c']);
  });

  it('does not end an expression at "}}" inside quotes or backticks', () => {
    expect(sources('{{ "}}" }}')).toEqual(['"}}"']);
    expect(sources("x {{ '}}' + 'a\\'}}' }} y")).toEqual(["'}}' + 'a\\'}}'"]);
    expect(sources('{{ `}}` }}')).toEqual(['`}}`']);
  });

  it('balances object literals and template-literal substitutions', () => {
    expect(sources('{{ {a: {b: 1}} }}')).toEqual(['{a: {b: 1}}']);
    expect(sources('{{ `${ {x: 1}.x }}` }}')).toEqual(['`${ {x: 1}.x }}`']);
  });

  it('keeps a stray "}" after the closing braces as text', () => {
    expect(parseTemplate('{{ a }}}')).toEqual([
      { kind: 'expression', source: 'a', start: 0 },
      { kind: 'text', text: '}' },
    ]);
  });

  it('rejects an unterminated "{{" and says where it starts', () => {
    expect(() => parseTemplate('Hello {{ input.name')).toThrowError(TemplateSyntaxError);
    try {
      parseTemplate('ok {{ a }} then {{ "}}"');
    } catch (error) {
      expect(error).toBeInstanceOf(TemplateSyntaxError);
      expect((error as TemplateSyntaxError).position).toBe(16);
      expect((error as TemplateSyntaxError).message).toContain('position 16');
    }
    expect.assertions(4);
  });

  it('rejects an empty template', () => {
    expect(() => parseTemplate('a {{  }} b')).toThrowError(/empty/);
  });
});

describe('hasTemplate and isSingleTemplate', () => {
  it('sees a template only where there is "{{"', () => {
    expect(hasTemplate('price: {{ input.price }}')).toBe(true);
    expect(hasTemplate('a { b } c')).toBe(false);
  });

  it('treats exactly one template, with whitespace around, as single', () => {
    expect(isSingleTemplate('{{ input.count }}')).toBe(true);
    expect(isSingleTemplate('  {{ input.count }}\n')).toBe(true);
  });

  it('does not treat mixed text, two templates, plain text or broken templates as single', () => {
    expect(isSingleTemplate('n = {{ input.count }}')).toBe(false);
    expect(isSingleTemplate('{{ a }}{{ b }}')).toBe(false);
    expect(isSingleTemplate('plain')).toBe(false);
    expect(isSingleTemplate('{{ a ')).toBe(false);
  });
});

describe('stringifyTemplateValue', () => {
  it('renders objects as JSON, null and undefined as nothing, others as text', () => {
    expect(stringifyTemplateValue({ a: [1] })).toBe('{"a":[1]}');
    expect(stringifyTemplateValue(null)).toBe('');
    expect(stringifyTemplateValue(undefined)).toBe('');
    expect(stringifyTemplateValue(false)).toBe('false');
    expect(stringifyTemplateValue(12.5)).toBe('12.5');
    expect(stringifyTemplateValue('x')).toBe('x');
  });
});

describe('findTemplateStrings', () => {
  it('lists every template string with its path and skips raw top-level fields', () => {
    const config = {
      source: 'return {{ not a template here }}',
      to: '{{ input.email }}',
      items: [{ note: 'x {{ a }}' }, 'plain'],
    };
    expect(findTemplateStrings(config, ['source'])).toEqual([
      { path: ['to'], text: '{{ input.email }}' },
      { path: ['items', 0, 'note'], text: 'x {{ a }}' },
    ]);
  });
});

describe('compileConfigTemplates', () => {
  it('returns the very same config object when there are no templates', () => {
    const config = { a: 1, b: ['x', { c: 'plain' }] };
    const compiled = compileConfigTemplates(config, []);
    expect(compiled.expressions).toEqual([]);
    expect(compiled.apply([])).toBe(config);
  });

  it('lists distinct expressions in first-seen order', () => {
    const config = { a: '{{ x }}', b: ['{{ y }} and {{ x }}'], c: { d: '{{ z }}' } };
    expect(compileConfigTemplates(config, []).expressions).toEqual(['x', 'y', 'z']);
  });

  it('keeps the type of a value that is exactly one template', () => {
    const compiled = compileConfigTemplates({ amount: '{{ input.amount }}', flags: ' {{ f }} ' }, []);
    expect(compiled.apply([42, { beta: true }])).toEqual({ amount: 42, flags: { beta: true } });
  });

  it('stringifies values inside mixed text: objects as JSON, null as nothing', () => {
    const compiled = compileConfigTemplates({ text: 'n={{ a }} o={{ b }} z={{ c }}!' }, []);
    expect(compiled.apply([3, { k: 'v' }, null])).toEqual({ text: 'n=3 o={"k":"v"} z=!' });
  });

  it('reuses one value for a repeated expression', () => {
    const compiled = compileConfigTemplates({ a: '{{ x }}', b: '{{x}}-{{ x }}' }, []);
    expect(compiled.expressions).toEqual(['x']);
    expect(compiled.apply(['v'])).toEqual({ a: 'v', b: 'v-v' });
  });

  it('copies only the paths that hold templates and shares untouched parts', () => {
    const untouched = { deep: { list: [1, 2, 3] } };
    const siblings = ['plain', { n: 1 }];
    const config = { untouched, nested: { list: [...siblings, '{{ a }}'], keep: { k: 1 } } };
    const compiled = compileConfigTemplates(config, []);
    const result = compiled.apply(['A']) as typeof config;

    expect(result).not.toBe(config);
    expect(result.untouched).toBe(untouched);
    expect(result.nested.keep).toBe(config.nested.keep);
    expect(result.nested.list).toEqual(['plain', { n: 1 }, 'A']);
    expect(result.nested.list[1]).toBe(siblings[1]);
    // The original is left as it was, so the cached compilation can be applied again.
    expect(config.nested.list[2]).toBe('{{ a }}');
    expect((compiled.apply(['B']) as typeof config).nested.list[2]).toBe('B');
  });

  it('leaves raw top-level fields verbatim and does not list their templates', () => {
    const config = { source: 'return `{{ x }}`', subject: 'Hi {{ input.name }}' };
    const compiled = compileConfigTemplates(config, ['source']);
    expect(compiled.expressions).toEqual(['input.name']);
    expect(compiled.apply(['Ada'])).toEqual({ source: 'return `{{ x }}`', subject: 'Hi Ada' });
  });

  it('applies to a raw-field name only at the top level', () => {
    const compiled = compileConfigTemplates({ nested: { source: '{{ a }}' } }, ['source']);
    expect(compiled.expressions).toEqual(['a']);
  });

  it('throws a TemplateSyntaxError naming the config path of a broken template', () => {
    expect(() => compileConfigTemplates({ headers: { auth: 'Bearer {{ vars.token' } }, [])).toThrowError(
      /config\.headers\.auth/,
    );
  });
});
