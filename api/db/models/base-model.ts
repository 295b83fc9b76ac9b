import { Model, snakeCaseMappers } from 'objection';

/**
 * Models are thin: properties are camelCase, columns snake_case. Query builders still take
 * column names (`where('workspace_id', ...)`). Bind a model to a database per query
 * (`WorkflowModel.query(knex)`) when several databases live in one process (tests);
 * openDatabase also binds them globally.
 */
export class BaseModel extends Model {
  static override columnNameMappers = snakeCaseMappers();
}
