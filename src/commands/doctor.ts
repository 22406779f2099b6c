import {BaseCommand} from '../lib/cli/base-command.js'
import {runDoctor, renderDoctor, type DoctorReport} from '../lib/doctor/run.js'
import {colorFor} from '../lib/output/color.js'

export default class Doctor extends BaseCommand {
  static override summary =
    'Check everything fa needs, one line each with the fix: config, Kafka, topics, groups, Slack, BigQuery.'
  static override description = `Checks, each with ✓ (passed), ✗ (failed, with the fix) or – (not configured, skipped):
- config: the file is valid and its alert types load;
- kafka: the brokers are reachable and accept the credentials, and their version;
- topic …: every topic the pipelines use exists, with kafka.partitions partitions, and tables, slack-responses and fa-checkpoints are compacted;
- group …: the state and members of the enrich and send consumer groups;
- schema registry: GET /subjects answers (when schemaRegistry is configured);
- slack: auth.test with the bot token, and the scopes fa send needs;
- bigquery: credentials and project, by a free dry run (when a project or producer modules are configured).

Every check has its own timeout, so doctor answers within about 15 s even when nothing is reachable. Exit code 0 only when no check failed, 1 otherwise.`

  static override examples = [
    {description: 'Check the configured setup', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON, for a script or a CI step', command: '<%= config.bin %> <%= command.id %> --json'},
    {description: 'Another config', command: '<%= config.bin %> <%= command.id %> -c staging.yaml'},
  ]

  static override enableJsonFlag = true

  async run(): Promise<DoctorReport> {
    const {flags} = await this.parse(Doctor)
    this.verbose ||= flags.verbose
    let report: DoctorReport
    try {
      report = await runDoctor(() => this.loadConfig(flags.config))
    } finally {
      // A check cut off by its timeout may leave a kafkajs retry or socket behind.
      setTimeout(() => process.exit(), 1_000).unref()
    }
    if (!report.ok) process.exitCode = 1
    this.log(renderDoctor(report, colorFor(process.stdout)).trimEnd())
    return report
  }
}
