package fa.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * fa's incidents (pipeline/incidents.ts) over a changelogged key-value store: an alert opens one
 * per connector for a 24 h window of event time; repeats inside it update the alert (a revision
 * with "Seen N times"); a recovery closes it. State values are JSON with a format version, as fa's.
 */
final class Incidents {
  static final String STORE = "incidents";
  static final long WINDOW_MS = 24 * 3600 * 1000L;
  /** Date.prototype.toISOString: always milliseconds. */
  static final DateTimeFormatter ISO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  /** `event`: the latest event's JSON by event time (what updates show), `recordKey` its record's key ("" for none). */
  record Incident(String alertId, int revision, long openedAt, long firstSeen, long lastSeen, int count, String recordKey, String event) {
    byte[] bytes() {
      StringBuilder out = new StringBuilder("{\"v\":1,\"alertId\":");
      Json.string(out, alertId);
      out.append(",\"revision\":").append(revision).append(",\"openedAt\":").append(openedAt)
          .append(",\"firstSeen\":").append(firstSeen).append(",\"lastSeen\":").append(lastSeen)
          .append(",\"count\":").append(count).append(",\"recordKey\":");
      Json.string(out, recordKey);
      out.append(",\"event\":").append(event).append('}');
      return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    static Incident of(byte[] bytes) {
      JsonNode n = Events.decodeObject(bytes).value();
      return new Incident(n.get("alertId").textValue(), n.get("revision").intValue(), n.get("openedAt").longValue(),
          n.get("firstSeen").longValue(), n.get("lastSeen").longValue(), n.get("count").intValue(), n.get("recordKey").textValue(),
          n.get("event").toString());
    }

    /** fa's updatedContent's first line of small print. */
    String seen() {
      return "Seen " + count + " time" + (count == 1 ? "" : "s") + ": first " + ISO.format(Instant.ofEpochMilli(firstSeen))
          + ", last " + ISO.format(Instant.ofEpochMilli(lastSeen)) + ".";
    }
  }

  private final KeyValueStore<String, byte[]> store;

  Incidents(KeyValueStore<String, byte[]> store) {
    this.store = store;
  }

  /** The incident after an alerting event at `time`: a new one (revision 0) or the open one updated. */
  Incident observe(String key, long time, String alertId, String recordKey, String event) {
    byte[] bytes = store.get(key);
    Incident current = bytes == null ? null : Incident.of(bytes);
    Incident next = current != null && time < current.openedAt() + WINDOW_MS
        ? new Incident(current.alertId(), current.revision() + 1, current.openedAt(), Math.min(current.firstSeen(), time),
            Math.max(current.lastSeen(), time), current.count() + 1, time >= current.lastSeen() ? recordKey : current.recordKey(),
            time >= current.lastSeen() ? event : current.event())
        : new Incident(alertId, 0, time, time, time, 1, recordKey, event);
    store.put(key, next.bytes());
    return next;
  }

  /** The open incident a recovery at `time` closes (deleted from the store), or null. */
  Incident resolve(String key, long time) {
    byte[] bytes = store.get(key);
    if (bytes == null) return null;
    Incident current = Incident.of(bytes);
    boolean open = time < current.openedAt() + WINDOW_MS;
    if (open && time < current.lastSeen()) return null;
    store.delete(key);
    return open ? current : null;
  }
}
