package fa.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Keeps a global store as fa's TableStore.apply does (pipeline/table.ts): rows checked against
 * the table's schema, keyed by the record key, keys normalized (emails trimmed
 * and lowercased), tombstones delete. A global store's processor cannot forward, so a bad row is
 * counted and skipped where fa writes a dead letter.
 */
final class TableProcessor implements Processor<byte[], byte[], Void, Void> {
  /** One of fa's two tables: its store, the required field and whether keys are emails. */
  record Spec(String store, String required, boolean emailKeys) {}

  static final Spec ASSIGNMENTS = new Spec("assignments", "csdrEmail", false);
  static final Spec SLACK_USERS = new Spec("slack-users", "slackUserId", true);
  static final String[][] OPTIONAL = {{"orgId", "orgName", "csdrName"}, {"email", "displayName"}};

  static final LongAdder badRows = new LongAdder();

  private final Spec spec;
  private KeyValueStore<String, byte[]> rows;

  TableProcessor(Spec spec) {
    this.spec = spec;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    rows = context.getStateStore(spec.store());
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    if (record.value() == null) {
      if (key == null || key.isEmpty()) badRows.increment();
      else rows.delete(normalize(key));
      return;
    }
    Events.Decoded decoded = Values.decode(record.value());
    if (decoded.value() == null || !valid(decoded.value())) {
      badRows.increment();
      return;
    }
    // Keyed by the record key only, as fa's tables are.
    if (key == null || key.isEmpty()) badRows.increment();
    else rows.put(normalize(key), record.value());
  }

  private boolean valid(JsonNode row) {
    String required = Events.optionalText(row, spec.required());
    if (required == null || required == Events.INVALID || required.isEmpty()) return false;
    for (String field : OPTIONAL[spec == ASSIGNMENTS ? 0 : 1]) {
      if (Events.optionalText(row, field) == Events.INVALID) return false;
    }
    return true;
  }

  String normalize(String key) {
    return spec.emailKeys() ? normalizeEmail(key) : key;
  }

  static String normalizeEmail(String email) {
    return Mrkdwn.trim(email).toLowerCase(Locale.ROOT);
  }
}
