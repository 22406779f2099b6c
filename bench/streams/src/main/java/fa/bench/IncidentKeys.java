package fa.bench;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * With incidents (incidents=1), the step before the repartition topic, as fa's probe run does it:
 * events that are neither a provisioning failure nor a recovery are filtered here; the rest are
 * keyed by their connector id (fa's state key), their own key in a header. One that is not JSON
 * or names no connector gets an empty key: AlertProcessor dead-letters it after the topic.
 */
final class IncidentKeys implements Processor<byte[], byte[], byte[], byte[]> {
  static final String SOURCE_KEY = "fa-bench-source-key";
  /** The source record's topic, partition and offset (`topic partition offset`): fa's origin headers and alert ids name it. */
  static final String SOURCE = "fa-bench-source";
  private static final byte[] NO_KEY = new byte[0];
  /** Records written to the repartition topic (StreamsBench waits until the second stage has read them all). */
  static final java.util.concurrent.atomic.LongAdder forwarded = new java.util.concurrent.atomic.LongAdder();

  private ProcessorContext<byte[], byte[]> context;

  @Override
  public void init(ProcessorContext<byte[], byte[]> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    JsonNode event = Values.decode(record.value()).value();
    String connectorId = event == null ? null : Events.optionalText(event, "connectorId");
    boolean keyed = connectorId != null && connectorId != Events.INVALID && !connectorId.isEmpty();
    if (event != null && !AlertProcessor.provisioning(event) && !(keyed && AlertProcessor.recovers(event))) {
      AlertProcessor.drop("filtered");
      return;
    }
    RecordHeaders headers = new RecordHeaders(record.headers().toArray());
    if (record.key() != null) headers.add(SOURCE_KEY, record.key());
    RecordMetadata meta = context.recordMetadata().orElseThrow();
    headers.add(SOURCE, (meta.topic() + " " + meta.partition() + " " + meta.offset()).getBytes(StandardCharsets.UTF_8));
    byte[] key = keyed ? connectorId.getBytes(StandardCharsets.UTF_8) : NO_KEY;
    forwarded.increment();
    context.forward(new Record<>(key, record.value(), record.timestamp(), headers));
  }
}
