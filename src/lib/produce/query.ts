import {readFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

import type {BigQuery} from '@google-cloud/bigquery'

import type {BigQuerySettings} from '../bigquery/client.js'
import {NamedQuery} from '../bigquery/query.js'
import {FaError} from '../errors.js'
import {checkSql, type Producer} from './producer.js'
import type {Window} from './window.js'

/** The producer's SQL text, read from its file when it names one. */
async function producerSql(producer: Producer): Promise<string> {
  if (typeof producer.sql === 'string') return producer.sql
  const file = fileURLToPath(producer.sql)
  let sql: string
  try {
    sql = await readFile(file, 'utf8')
  } catch (error) {
    throw new FaError(
      `producer "${producer.name}": cannot read its SQL file ${file}: ` +
        `${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    )
  }
  checkSql(producer.name, sql, producer.params)
  return sql
}

/** The producer's query over a window, with the window bounds it takes as parameters. */
export async function producerQuery(
  producer: Producer,
  options: {client: BigQuery; settings: BigQuerySettings; window: Window; pageSize?: number},
): Promise<NamedQuery> {
  const params = Object.fromEntries(producer.params.map((param) => [param, options.window[param]]))
  const sql = await producerSql(producer)
  return new NamedQuery(options.client, options.settings, {
    name: producer.name,
    sql,
    params,
    pageSize: options.pageSize,
  })
}
