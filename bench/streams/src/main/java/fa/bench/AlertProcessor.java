package fa.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * fa's connector-provisioning-failed alert type (src/lib/alerts/), step for step: filter on
 * oldStatus, key from the record key or orgId, the same checks, joins to the two global stores,
 * the Block Kit message with fa's alert id and headers, dead letters with fa's headers. With
 * incidents, it runs after the repartition topic (IncidentKeys) on the incidents store: a recovery
 * resolves its connector's incident, an alert opens or updates it.
 */
final class AlertProcessor implements Processor<byte[], byte[], byte[], byte[]> {
  static final String PIPELINE = "connector-provisioning-failed";
  static final String[] TEXT_FIELDS = {
    "eventId", "connectorId", "connectorName", "connectorType", "clusterId",
    "environmentId", "oldStatus", "newStatus", "errorMessage", "occurredAt"
  };
  static final LongAdder alerts = new LongAdder();
  static final LongAdder deadLetters = new LongAdder();
  static final LongAdder updates = new LongAdder();
  /** With incidents: records read from the repartition topic, and the last offset read in each of its partitions. */
  static final LongAdder repartitioned = new LongAdder();
  static final Map<Integer, Long> lastRepartitionOffsets = new ConcurrentHashMap<>();
  static final Map<String, LongAdder> dropped = new ConcurrentHashMap<>();
  /** When the first and the latest event were processed, to tell start-up from processing time. */
  static final java.util.concurrent.atomic.AtomicLong firstRecordAt = new java.util.concurrent.atomic.AtomicLong();
  static volatile long lastRecordAt;

  private ProcessorContext<byte[], byte[]> context;
  private ReadOnlyKeyValueStore<String, byte[]> assignments;
  private ReadOnlyKeyValueStore<String, byte[]> slackUsers;
  private MessageDigest sha256;
  private final boolean withIncidents;
  private Incidents incidents;
  /** The record in process's source position (IncidentKeys' header), null when read from the source itself. */
  private String source;

  AlertProcessor(boolean withIncidents) {
    this.withIncidents = withIncidents;
  }

  @Override
  public void init(ProcessorContext<byte[], byte[]> context) {
    this.context = context;
    if (withIncidents) incidents = new Incidents(context.getStateStore(Incidents.STORE));
    assignments = context.getStateStore(TableProcessor.ASSIGNMENTS.store());
    slackUsers = context.getStateStore(TableProcessor.SLACK_USERS.store());
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean provisioning(JsonNode event) {
    JsonNode oldStatus = event.get("oldStatus");
    return oldStatus != null && oldStatus.isTextual() && oldStatus.textValue().toLowerCase(Locale.ROOT).equals("provisioning");
  }

  /** The alert type's resolve.when: the connector is Running. */
  static boolean recovers(JsonNode event) {
    JsonNode newStatus = event.get("newStatus");
    return newStatus != null && newStatus.isTextual() && newStatus.textValue().toLowerCase(Locale.ROOT).equals("running");
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    try {
      processRecord(record);
    } finally {
      if (withIncidents) repartitioned.increment();
    }
  }

  private void processRecord(Record<byte[], byte[]> repartitioned) {
    lastRecordAt = System.currentTimeMillis();
    firstRecordAt.compareAndSet(0, lastRecordAt);
    Header where = repartitioned.headers().lastHeader(IncidentKeys.SOURCE);
    source = where == null ? null : new String(where.value(), StandardCharsets.UTF_8);
    Record<byte[], byte[]> record = withIncidents ? sourceRecord(repartitioned) : repartitioned;
    if (withIncidents) {
      RecordMetadata meta = context.recordMetadata().orElseThrow();
      lastRepartitionOffsets.merge(meta.partition(), meta.offset(), Math::max);
    }
    Events.Decoded decoded = Values.decode(record.value());
    if (decoded.value() == null) {
      deadLetter(record, decoded.reason());
      return;
    }
    JsonNode event = decoded.value();
    if (withIncidents && recovers(event) && repartitioned.key().length > 0) {
      resolve(repartitioned, event);
      return;
    }
    if (!provisioning(event)) {
      drop("filtered");
      return;
    }
    Parts parts = parts(record, event);
    if (parts == null) return;
    String alertId = alertId(parts.text()[0], event, parts.recordKey(), record);
    Headers headers = new RecordHeaders();
    String value;
    if (!withIncidents) {
      value = message(alertId, parts, Decor.NONE);
    } else {
      Incidents.Incident incident = incidents.observe(parts.text()[1], record.timestamp(), alertId, parts.recordKey(), event.toString());
      if (incident.revision() == 0) {
        value = message(alertId, parts, Decor.NONE);
      } else {
        // The latest event by event time says what the update shows (a late one only counts).
        alertId = incident.alertId();
        Parts latest = incident.event().equals(event.toString()) ? parts : stored(incident, record);
        value = revision(message(alertId, latest, new Decor("", "", List.of(incident.seen()))), incident.revision());
        put(headers, "fa-revision", Integer.toString(incident.revision()));
      }
    }
    put(headers, "fa-alert-id", alertId);
    put(headers, "fa-pipeline", PIPELINE);
    origin(headers);
    if (headers.lastHeader("fa-revision") == null) alerts.increment();
    else updates.increment();
    context.forward(new Record<>(alertId.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8), record.timestamp(), headers));
  }

  /** What the message is made of: the org key, the event's text fields and the joined rows. */
  record Parts(String recordKey, String key, String[] text, JsonNode assignment, JsonNode slackUser) {}

  /** Header and text prefixes and context lines before the assignee's, for updates and resolutions. */
  record Decor(String header, String text, List<String> context) {
    static final Decor NONE = new Decor("", "", List.of());
  }

  /** The key, checks and joins; null when the event went to the dead letters or was dropped. */
  private Parts parts(Record<byte[], byte[]> record, JsonNode event) {
    String recordKey = record.key() == null ? "" : new String(record.key(), StandardCharsets.UTF_8);
    String key = recordKey;
    if (key.isEmpty()) {
      JsonNode orgId = event.get("orgId");
      key = orgId != null && orgId.isTextual() ? orgId.textValue() : "";
    }
    if (key.isEmpty()) {
      deadLetter(record, "no org id (record key or value.orgId)");
      return null;
    }
    String[] text = new String[TEXT_FIELDS.length];
    for (int i = 0; i < TEXT_FIELDS.length; i++) {
      text[i] = Events.optionalText(event, TEXT_FIELDS[i]);
      if (i == 1 && (text[i] == null || text[i] == Events.INVALID || text[i].isEmpty())) {
        deadLetter(record, "connectorId: must be a non-empty string");
        return null;
      }
      if (text[i] == Events.INVALID) {
        deadLetter(record, Events.typeError(event, TEXT_FIELDS[i]));
        return null;
      }
    }
    JsonNode assignment = row(assignments, key);
    if (assignment == null) {
      drop("unassigned");
      return null;
    }
    String csdrEmail = assignment.get("csdrEmail").textValue();
    JsonNode slackUser = csdrEmail.isEmpty() ? null : row(slackUsers, TableProcessor.normalizeEmail(csdrEmail));
    if (slackUser == null) {
      drop("no-slack-user");
      return null;
    }
    return new Parts(recordKey, key, text, assignment, slackUser);
  }

  /** The parts of the event an incident keeps (it passed every step when it was seen). */
  private Parts stored(Incidents.Incident incident, Record<byte[], byte[]> record) {
    byte[] key = incident.recordKey().isEmpty() ? null : incident.recordKey().getBytes(StandardCharsets.UTF_8);
    JsonNode event = Events.decodeObject(incident.event().getBytes(StandardCharsets.UTF_8)).value();
    return parts(record.withKey(key), event);
  }

  /** A recovery: the final update of its connector's open incident, marked resolved (fa's resolvedContent), else nothing. */
  private void resolve(Record<byte[], byte[]> repartitioned, JsonNode event) {
    Incidents.Incident open = incidents.resolve(new String(repartitioned.key(), StandardCharsets.UTF_8), repartitioned.timestamp());
    if (open == null) {
      drop("no-open-incident");
      return;
    }
    int revision = open.revision() + 1;
    Parts parts = stored(open, repartitioned);
    String at = Incidents.ISO.format(java.time.Instant.ofEpochMilli(repartitioned.timestamp()));
    String status = Events.optionalText(event, "newStatus");
    String line = "Resolved at " + at + (status == null || status == Events.INVALID || status.isEmpty() ? "" : ", now " + status) + ".";
    Decor resolved = new Decor("Resolved: ", "\u2705 *Resolved* at " + at + ".\n", List.of(line, open.seen()));
    Headers headers = new RecordHeaders();
    put(headers, "fa-alert-id", open.alertId());
    put(headers, "fa-pipeline", PIPELINE);
    put(headers, "fa-revision", Integer.toString(revision));
    origin(headers);
    put(headers, "fa-resolved", "true");
    updates.increment();
    byte[] value = revision(message(open.alertId(), parts, resolved), revision).getBytes(StandardCharsets.UTF_8);
    context.forward(new Record<>(open.alertId().getBytes(StandardCharsets.UTF_8), value, repartitioned.timestamp(), headers));
  }

  /** The source record again: its own key from IncidentKeys' header, that header gone. */
  private static Record<byte[], byte[]> sourceRecord(Record<byte[], byte[]> repartitioned) {
    Header key = repartitioned.headers().lastHeader(IncidentKeys.SOURCE_KEY);
    Headers headers = new RecordHeaders(repartitioned.headers().toArray());
    headers.remove(IncidentKeys.SOURCE_KEY);
    headers.remove(IncidentKeys.SOURCE);
    return new Record<>(key == null ? null : key.value(), repartitioned.value(), repartitioned.timestamp(), headers);
  }

  private static String revision(String message, int revision) {
    return message.substring(0, message.length() - 1) + ",\"revision\":" + revision + "}";
  }

  private static JsonNode row(ReadOnlyKeyValueStore<String, byte[]> store, String key) {
    byte[] bytes = store.get(key);
    return bytes == null ? null : Values.decode(bytes).value();
  }

  private static String nonEmpty(String value, String otherwise) {
    return value == null || value.isEmpty() ? otherwise : value;
  }

  private static String text(JsonNode row, String field) {
    JsonNode node = row.get(field);
    return node == null ? null : node.textValue();
  }

  /** The alert's content as connector-provisioning-failed.ts says it, rendered as slack/blocks.ts does. */
  private static String message(String alertId, Parts parts, Decor decor) {
    String key = parts.key();
    String[] t = parts.text();
    JsonNode assignment = parts.assignment();
    String eventId = t[0], connectorId = t[1], connectorType = t[3], clusterId = t[4], environmentId = t[5];
    String oldStatus = t[6], newStatus = t[7], errorMessage = t[8], occurredAt = t[9];
    String connector = nonEmpty(t[2], connectorId);
    String org = nonEmpty(text(assignment, "orgName"), key);
    String text = "Connector *" + Mrkdwn.escape(connector) + "* (" + Mrkdwn.escape(connectorId) + ") of *"
        + Mrkdwn.escape(org) + "* (" + Mrkdwn.escape(key) + ") failed while provisioning"
        + (newStatus == null || newStatus.isEmpty() ? "" : " and is now " + Mrkdwn.escape(newStatus))
        + ". Reaching out now may save the customer some frustration.";
    List<SlackMessage.Field> fields = List.of(
        new SlackMessage.Field("Organization", org + " (" + key + ")"),
        new SlackMessage.Field("Connector", connector + " (" + connectorId + ")"),
        new SlackMessage.Field("Type", connectorType),
        new SlackMessage.Field("Status", (newStatus == null ? "unknown" : newStatus) + " (was " + oldStatus + ")"),
        new SlackMessage.Field("Cluster", clusterId),
        new SlackMessage.Field("Environment", environmentId),
        new SlackMessage.Field("Occurred at", occurredAt));
    SlackMessage.Field detail = errorMessage == null || errorMessage.isEmpty() ? null : new SlackMessage.Field("Error", errorMessage);
    String who = nonEmpty(text(assignment, "csdrName"), text(assignment, "csdrEmail"));
    char last = org.isEmpty() ? ' ' : org.charAt(org.length() - 1);
    String forOrg = last == '.' || last == '!' || last == '?' ? org : org + ".";
    String context = "Sent to " + who + " as the account team member for " + forOrg
        + (eventId == null || eventId.isEmpty() ? "" : " Event " + eventId + ".");
    String recipient = parts.slackUser().get("slackUserId").textValue();
    String header = decor.header() + "Connector failed to provision: " + connector;
    List<String> lines = new java.util.ArrayList<>(decor.context());
    lines.add(context);
    return SlackMessage.build(alertId, PIPELINE, recipient, header, decor.text() + text, fields, detail, lines);
  }

  /** fa's alertIdFor (pipeline/stream.ts): the same id for the same event, whoever computes it. */
  private String alertId(String eventId, JsonNode event, String recordKey, Record<byte[], byte[]> record) {
    String identity;
    if (eventId != null && !eventId.isEmpty()) {
      identity = "event\0" + eventId;
    } else {
      StringBuilder json = new StringBuilder();
      Events.stringifyChecked(json, event, TEXT_FIELDS);
      identity = "record\0" + topic() + "\0" + recordKey + "\0" + json;
      // As fa, whose built-in keeps incidents (also where this app does not): an incident's first
      // event is told apart from an earlier incident's by its time too.
      identity += "\0" + record.timestamp();
    }
    byte[] digest = sha256.digest((PIPELINE + "\0" + identity).getBytes(StandardCharsets.UTF_8));
    return "fa-" + HexFormat.of().formatHex(digest).substring(0, 32);
  }

  static void drop(String reason) {
    dropped.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  /** The original key, bytes and headers (the last of a repeated one), plus fa-error, fa-pipeline and where from. */
  private void deadLetter(Record<byte[], byte[]> record, String reason) {
    Map<String, byte[]> original = new LinkedHashMap<>();
    for (Header header : record.headers()) original.put(header.key(), header.value());
    original.put("fa-error", reason.getBytes(StandardCharsets.UTF_8));
    original.put("fa-pipeline", PIPELINE.getBytes(StandardCharsets.UTF_8));
    Headers headers = new RecordHeaders();
    for (Map.Entry<String, byte[]> entry : original.entrySet()) headers.add(entry.getKey(), entry.getValue());
    origin(headers);
    deadLetters.increment();
    context.forward(new Record<>(record.key(), record.value(), record.timestamp(), headers));
  }

  private void origin(Headers headers) {
    String[] where = source();
    put(headers, "fa-source-topic", where[0]);
    put(headers, "fa-source-partition", where[1]);
    put(headers, "fa-source-offset", where[2]);
  }

  /** The source record's topic, partition and offset: as read, or as IncidentKeys recorded them before the repartition topic. */
  private String[] source() {
    if (source != null) return source.split(" ");
    RecordMetadata meta = context.recordMetadata().orElseThrow();
    return new String[] {meta.topic(), Integer.toString(meta.partition()), Long.toString(meta.offset())};
  }

  private String topic() {
    return source()[0];
  }

  private static void put(Headers headers, String key, String value) {
    headers.remove(key);
    headers.add(key, value.getBytes(StandardCharsets.UTF_8));
  }
}
