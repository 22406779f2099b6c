package fa.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.TopicNameExtractor;
import org.apache.kafka.streams.state.Stores;

/**
 * The Kafka Streams application npm run bench:streams runs beside fa enrich: fa's seed topology
 * (connector-provisioning-failed over two global tables). Like fa enrich without --follow, it
 * stops once its committed offsets reach the source's end offsets seen at start, then prints a
 * JSON summary: when the stream started (after the global stores bootstrapped), the last commit,
 * and its counts. Arguments are name=value: bootstrap, application, source, assignments,
 * slackUsers, alerts, deadLetters, guarantee (at_least_once | exactly_once_v2), threads, stateDir,
 * registry (a Schema Registry URL: the source and tables are Avro in its wire format), and
 * incidents=1 (fa's incidents: keyed by connector id through a repartition topic, kept in a
 * changelogged store).
 */
public final class StreamsBench {
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = new HashMap<>();
    for (String arg : argv) args.put(arg.substring(0, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
    String source = args.get("source");
    String alertsTopic = args.get("alerts");
    String deadLettersTopic = args.get("deadLetters");

    if (args.containsKey("registry")) Values.avro(args.get("registry"));
    StreamsBuilder builder = new StreamsBuilder();
    for (var spec : new TableProcessor.Spec[] {TableProcessor.ASSIGNMENTS, TableProcessor.SLACK_USERS}) {
      // In memory, as fa holds its tables; global stores are never changelogged.
      var store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(spec.store()), Serdes.String(), Serdes.ByteArray())
          .withLoggingDisabled();
      String topic = args.get(spec == TableProcessor.ASSIGNMENTS ? "assignments" : "slackUsers");
      builder.addGlobalStore(store, topic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()), () -> new TableProcessor(spec));
    }
    boolean withIncidents = "1".equals(args.get("incidents"));
    TopicNameExtractor<byte[], byte[]> sink =
        (key, value, record) -> record.headers().lastHeader("fa-error") == null ? alertsTopic : deadLettersTopic;
    Produced<byte[], byte[]> bytes = Produced.with(Serdes.ByteArray(), Serdes.ByteArray());
    KStream<byte[], byte[]> events = builder.stream(source, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()));
    if (withIncidents) {
      // As a Streams user keeps state: in memory, changelogged, cached (the default cache size below).
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(Incidents.STORE), Serdes.String(), Serdes.ByteArray())
          .withCachingEnabled());
      events = events.process(IncidentKeys::new)
          .repartition(Repartitioned.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("incidents"));
    }
    String[] stores = withIncidents ? new String[] {Incidents.STORE} : new String[0];
    events.process(() -> new AlertProcessor(withIncidents), stores).to(sink, bytes);

    String application = args.get("application");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, application);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args.get("bootstrap"));
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args.getOrDefault("guarantee", "at_least_once"));
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, args.getOrDefault("threads", "1"));
    props.put(StreamsConfig.STATE_DIR_CONFIG, args.get("stateDir"));
    // Commit as often as fa does (a batch at a time): exactly_once_v2's default, at-least-once's 30 s
    // would leave the end of a run uncommitted for that long.
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, args.getOrDefault("commitIntervalMs", "100"));
    // Stateless after the global stores: the record cache has nothing to hold. With incidents, the
    // default cache (10 MiB) folds a batch's writes to one key into one changelog record, as fa does.
    if (!withIncidents) props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    // Bigger fetches and polls: the global stores bootstrap 100k rows each, the stream reads in bulk.
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 2000);
    props.put(StreamsConfig.globalConsumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 10000);
    props.put(StreamsConfig.globalConsumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), 8 << 20);
    props.put(StreamsConfig.globalConsumerPrefix(ConsumerConfig.FETCH_MAX_BYTES_CONFIG), 64 << 20);
    props.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), 256 * 1024);
    props.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 5);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 500);
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10000);

    try (Admin admin = Admin.create(Map.of("bootstrap.servers", args.get("bootstrap")))) {
      Map<TopicPartition, Long> end = endOffsets(admin, source);
      AtomicLong startedAt = new AtomicLong();
      long created = System.currentTimeMillis();
      KafkaStreams streams = new KafkaStreams(builder.build(), props);
      streams.setStateListener((now, before) -> {
        if (now == KafkaStreams.State.RUNNING) startedAt.compareAndSet(0, System.currentTimeMillis());
      });
      streams.start();
      long lastCommitAt;
      while (true) {
        if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING) {
          throw new IllegalStateException("Kafka Streams stopped: " + streams.state());
        }
        if (caughtUp(admin, application, end) && (!withIncidents || secondStageDone(admin, application))) {
          lastCommitAt = System.currentTimeMillis();
          break;
        }
        Thread.sleep(20);
      }
      streams.close(Duration.ofSeconds(30));
      String dropped = AlertProcessor.dropped.entrySet().stream()
          .map(e -> "\"" + e.getKey() + "\":" + e.getValue().sum())
          .collect(Collectors.joining(","));
      System.out.println("{\"streamStartedAt\":" + startedAt.get() + ",\"lastCommitAt\":" + lastCommitAt
          + ",\"firstRecordAt\":" + AlertProcessor.firstRecordAt.get() + ",\"lastRecordAt\":" + AlertProcessor.lastRecordAt
          + ",\"bootstrapMs\":" + (startedAt.get() - created) + ",\"alerts\":" + AlertProcessor.alerts.sum()
          + ",\"updates\":" + AlertProcessor.updates.sum() + ",\"deadLetters\":" + AlertProcessor.deadLetters.sum() + ",\"badTableRows\":" + TableProcessor.badRows.sum()
          + ",\"dropped\":{" + dropped + "}}");
    }
  }

  private static Map<TopicPartition, Long> endOffsets(Admin admin, String topic) throws Exception {
    var partitions = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get().get(topic).partitions();
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (var p : partitions) request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
    Map<TopicPartition, Long> end = new HashMap<>();
    for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e : admin.listOffsets(request).all().get().entrySet()) {
      end.put(e.getKey(), e.getValue().offset());
    }
    return end;
  }

  /**
   * With incidents: the second stage has read every record the first wrote to the repartition
   * topic (the source's offsets are committed, so that count is final) and committed past them.
   */
  private static boolean secondStageDone(Admin admin, String application) throws Exception {
    if (IncidentKeys.forwarded.sum() != AlertProcessor.repartitioned.sum()) return false;
    String topic = application + "-incidents-repartition";
    Map<TopicPartition, Long> end = new HashMap<>();
    AlertProcessor.lastRepartitionOffsets.forEach((p, offset) -> end.put(new TopicPartition(topic, p), offset + 1));
    return caughtUp(admin, application, end);
  }

  private static boolean caughtUp(Admin admin, String group, Map<TopicPartition, Long> end) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      OffsetAndMetadata at = committed.get(e.getKey());
      if (e.getValue() > 0 && (at == null || at.offset() < e.getValue())) return false;
    }
    return true;
  }

}
