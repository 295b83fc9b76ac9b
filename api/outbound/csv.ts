import Papa from 'papaparse';
import { z } from 'zod';
import { invalidInput } from '../../engine/errors.js';
import type { Lead } from '../../nodes/outbound/service.js';
import { leadInputSchema, normaliseEmail, type LeadInput } from './leads.js';

/**
 * CSV import and export of leads (issue 13), with papaparse. Import is two calls: a preview
 * (columns, a suggested mapping, the first rows as they would be stored, and every row's errors)
 * and the import itself with the mapping the user confirmed. No row is skipped silently: each
 * bad row comes back with its number, field and reason. Export escapes formula cells (=, +, -,
 * @, tab, CR) so a spreadsheet never runs a cell as a command.
 */

export const MAX_IMPORT_ROWS = 10_000;
const MAX_COLUMNS = 100;
const MAX_CELL = 2000;

export const leadFields = [
  'email',
  'name',
  'company',
  'title',
  'domain',
  'timezone',
  'country',
  'source',
] as const;

/** A target: a lead field, `attributes.<name>`, or `ignore`. */
export const mappingTarget = z.union([
  z.enum(leadFields),
  z.literal('ignore'),
  z.string().regex(/^attributes\.[A-Za-z0-9_ -]{1,60}$/, 'a lead field, attributes.<name> or ignore'),
]);
export const mappingSchema = z.record(z.string().max(200), mappingTarget);
export type Mapping = z.infer<typeof mappingSchema>;

export interface RowError {
  /** 1-based data row (the header is row 0). */
  row: number;
  field: string;
  message: string;
}

export interface ParsedCsv {
  columns: string[];
  rows: string[][];
}

const SYNONYMS: Record<(typeof leadFields)[number], RegExp> = {
  email: /^(e-?mail|email address|mail|work email)$/i,
  name: /^(name|full name|contact|contact name|person)$/i,
  company: /^(company|organisation|organization|account|company name)$/i,
  title: /^(title|job title|position|role)$/i,
  domain: /^(domain|website|company domain)$/i,
  timezone: /^(time ?zone|tz)$/i,
  country: /^(country|country code)$/i,
  source: /^(source|lead source)$/i,
};

export function parseCsv(text: string): ParsedCsv {
  const clean = text.replace(/^\uFEFF/, '');
  const parsed = Papa.parse<string[]>(clean, { skipEmptyLines: 'greedy' });
  const [header, ...rows] = parsed.data;
  if (!header || header.length === 0 || header.every((cell) => cell.trim() === ''))
    throw invalidInput('csv', 'has no header row: the first line must name the columns');
  if (header.length > MAX_COLUMNS)
    throw invalidInput('csv', `has ${header.length} columns; at most ${MAX_COLUMNS}`);
  if (rows.length > MAX_IMPORT_ROWS)
    throw invalidInput(
      'csv',
      `has ${rows.length.toLocaleString('en-US')} rows; import at most ${MAX_IMPORT_ROWS.toLocaleString('en-US')} at a time`,
      'too_many_rows',
    );
  return { columns: header.map((cell) => cell.trim()), rows };
}

export function suggestMapping(columns: string[]): Mapping {
  const mapping: Mapping = {};
  const taken = new Set<string>();
  for (const column of columns) {
    const field = leadFields.find(
      (candidate) => !taken.has(candidate) && SYNONYMS[candidate].test(column.trim()),
    );
    if (field) {
      mapping[column] = field;
      taken.add(field);
    } else {
      const name = column
        .replace(/[^A-Za-z0-9_ -]/g, '')
        .trim()
        .slice(0, 60);
      mapping[column] = name ? `attributes.${name}` : 'ignore';
    }
  }
  return mapping;
}

/** Rows as lead inputs, or the row's errors. */
export function mapRows(
  parsed: ParsedCsv,
  mapping: Mapping,
): Array<{ row: number; lead?: LeadInput; errors: RowError[]; duplicateOf?: number }> {
  const unknown = Object.keys(mapping).find((column) => !parsed.columns.includes(column));
  if (unknown !== undefined) throw invalidInput(`mapping.${unknown}`, 'is not a column of the CSV');
  if (!Object.values(mapping).includes('email')) throw invalidInput('mapping', 'map one column to email');
  const seen = new Map<string, number>();
  return parsed.rows.map((cells, index) => {
    const row = index + 1;
    const errors: RowError[] = [];
    const record: Record<string, string> = {};
    const attributes: Record<string, string> = {};
    if (cells.length !== parsed.columns.length)
      errors.push({
        row,
        field: 'row',
        message: `has ${cells.length} cells; the header has ${parsed.columns.length}`,
      });
    parsed.columns.forEach((column, at) => {
      const target = mapping[column] ?? 'ignore';
      const value = (cells[at] ?? '').trim();
      if (target === 'ignore' || value === '') return;
      if (value.includes('\uFFFD'))
        errors.push({
          row,
          field: column,
          message: 'is not valid UTF-8: save the file as UTF-8 and import again',
        });
      else if (value.length > MAX_CELL)
        errors.push({ row, field: column, message: `is longer than ${MAX_CELL} characters` });
      else if (target.startsWith('attributes.')) attributes[target.slice('attributes.'.length)] = value;
      else record[target] = value;
    });
    const email = typeof record.email === 'string' ? normaliseEmail(record.email) : undefined;
    if (!record.email) errors.push({ row, field: 'email', message: 'is empty' });
    else if (!email)
      errors.push({ row, field: 'email', message: `"${record.email.slice(0, 80)}" is not an email address` });
    // A repeated email is not an error: it merges into the same lead by the merge rule.
    const duplicateOf = email ? seen.get(email) : undefined;
    if (email && duplicateOf === undefined) seen.set(email, row);
    if (errors.length > 0) return { row, errors };
    const parsedLead = leadInputSchema.safeParse({ ...record, attributes });
    if (!parsedLead.success) {
      for (const issue of parsedLead.error.issues)
        errors.push({ row, field: issue.path.join('.') || 'row', message: issue.message });
      return { row, errors };
    }
    return { row, lead: parsedLead.data, errors, ...(duplicateOf !== undefined && { duplicateOf }) };
  });
}

const exportColumns = [
  'email',
  'name',
  'company',
  'title',
  'domain',
  'timezone',
  'country',
  'source',
  'status',
  'score',
  'createdAt',
] as const;

export function leadsToCsv(leads: Lead[]): string {
  const attributeNames = [...new Set(leads.flatMap((lead) => Object.keys(lead.attributes)))]
    .sort()
    .slice(0, 200);
  const rows = leads.map((lead) => [
    ...exportColumns.map((column) => {
      const value = lead[column];
      return value === null || value === undefined ? '' : String(value);
    }),
    ...attributeNames.map((name) => {
      const value = lead.attributes[name];
      return value === null || value === undefined
        ? ''
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);
    }),
  ]);
  // escapeFormulae: a cell starting with = + - @ tab or CR is prefixed with ' (no spreadsheet injection).
  return Papa.unparse(
    { fields: [...exportColumns, ...attributeNames.map((name) => `attributes.${name}`)], data: rows },
    { escapeFormulae: true },
  );
}
