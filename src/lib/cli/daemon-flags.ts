import {Flags} from '@oclif/core'

/** `--metrics-port` of the daemons (`fa enrich --follow`, `fa send --follow`). */
export const metricsPortFlag = Flags.integer({
  description:
    'with --follow: serve /metrics, /healthz and /readyz on this port (default: metrics.port in ' +
    'the config; bound to metrics.host, 127.0.0.1)',
  dependsOn: ['follow'],
  min: 0,
  max: 65_535,
  helpValue: 'PORT',
})
