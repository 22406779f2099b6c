import {FaError} from '../errors.js'
import type {JsonObject} from '../records/record.js'

/** A column as BigQuery's schema describes it (the client's ITableFieldSchema). */
export interface SchemaField {
  name?: string | null
  type?: string | null
  mode?: string | null
  fields?: SchemaField[] | null
}

/**
 * A row as the client decodes it (with `wrapIntegers: true`, `parseJSON: true`) to plain JSON,
 * column by column from the schema, so each type's form is chosen here, not left to
 * JSON.stringify of the client's wrapper classes:
 * TIMESTAMP → ISO-8601 UTC (milliseconds, or microseconds when present); DATE, DATETIME, TIME →
 * BigQuery's own string; INT64 → number when safe, else string; NUMERIC, BIGNUMERIC → decimal
 * string; FLOAT64 → number ('NaN', 'Infinity', '-Infinity' as strings); BYTES → base64;
 * GEOGRAPHY → WKT; INTERVAL → its string; JSON → its parsed value; RECORD → object; REPEATED → array.
 */
export function rowToJson(row: Record<string, unknown>, fields: readonly SchemaField[]): JsonObject {
  const json: JsonObject = {}
  for (const field of fields) {
    const name = field.name ?? ''
    json[name] = columnToJson(row[name], field)
  }
  return json
}

function columnToJson(value: unknown, field: SchemaField): unknown {
  if (field.mode === 'REPEATED') return ((value ?? []) as unknown[]).map((item) => valueToJson(item, field))
  return valueToJson(value, field)
}

function valueToJson(value: unknown, field: SchemaField): unknown {
  if (value === null || value === undefined) return null
  switch (field.type) {
    case 'STRING':
    case 'BOOL':
    case 'BOOLEAN':
    case 'JSON':
    case 'INTERVAL':
      return value
    case 'INTEGER':
    case 'INT64': {
      // BigQueryInt keeps the exact decimal string in `value`.
      const digits = (value as {value: string}).value
      const number = Number(digits)
      return Number.isSafeInteger(number) ? number : digits
    }
    case 'FLOAT':
    case 'FLOAT64':
      return Number.isFinite(value) ? value : String(value)
    case 'NUMERIC':
    case 'BIGNUMERIC':
      // big.js: toFixed() without arguments never uses exponent notation.
      return (value as {toFixed(): string}).toFixed()
    case 'TIMESTAMP':
      return isoTimestamp((value as {value: string}).value)
    case 'DATE':
    case 'DATETIME':
    case 'TIME':
    case 'GEOGRAPHY':
      return (value as {value: string}).value
    case 'BYTES':
      return (value as Buffer).toString('base64')
    case 'RECORD':
    case 'STRUCT':
      return rowToJson(value as Record<string, unknown>, field.fields ?? [])
    default:
      throw new FaError(`column ${field.name}: BigQuery type ${field.type} has no JSON conversion`, {
        exit: 'source',
        hint: 'select it as a supported type, e.g. CAST(... AS STRING)',
      })
  }
}

/**
 * The client gives `2024-05-01T10:00:00.123Z`, or nine fraction digits when there are
 * microseconds; BigQuery keeps microseconds, so that is the most this keeps.
 */
function isoTimestamp(value: string): string {
  const match = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?Z$/.exec(value)
  if (!match) return new Date(value).toISOString()
  const micros = (match[2] ?? '').padEnd(6, '0').slice(0, 6)
  return `${match[1]}.${micros.endsWith('000') ? micros.slice(0, 3) : micros}Z`
}
