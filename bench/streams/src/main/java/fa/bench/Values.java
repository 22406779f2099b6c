package fa.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Record values as JSON objects, from JSON (fa's decodeJsonObject) or, with format=avro, from the
 * Schema Registry wire format (magic byte 0, schema id, Avro binary) as Confluent's
 * KafkaAvroDeserializer reads it: the writer's schema fetched from the registry by id once, the
 * record decoded with Apache Avro's GenericDatumReader and turned into the JSON object fa's
 * decoder makes of it (fields in schema order, null unions as null).
 */
final class Values {
  private static volatile String registry;
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Map<Integer, Schema> SCHEMAS = new ConcurrentHashMap<>();
  private static final ThreadLocal<Map<Integer, GenericDatumReader<GenericRecord>>> READERS =
      ThreadLocal.withInitial(java.util.HashMap::new);
  private static final ThreadLocal<BinaryDecoder> DECODER = new ThreadLocal<>();

  private Values() {}

  /** Avro sources from now on, their schemas from the registry at `url` (its Confluent API base). */
  static void avro(String url) {
    registry = url.replaceAll("/+$", "");
  }

  static Events.Decoded decode(byte[] value) {
    if (registry == null || value == null) return Events.decodeObject(value);
    if (value.length < 5 || value[0] != 0) return new Events.Decoded(null, "value is not in the Schema Registry wire format");
    int id = ByteBuffer.wrap(value, 1, 4).getInt();
    try {
      GenericDatumReader<GenericRecord> reader = READERS.get().computeIfAbsent(id, i -> new GenericDatumReader<>(schema(i)));
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, DECODER.get());
      DECODER.set(decoder);
      return new Events.Decoded(json(reader.read(null, decoder)), null);
    } catch (Exception e) {
      return new Events.Decoded(null, "value is not valid Avro of schema " + id + ": " + e.getMessage());
    }
  }

  private static Schema schema(int id) {
    return SCHEMAS.computeIfAbsent(id, i -> {
      try {
        HttpRequest request = HttpRequest.newBuilder(URI.create(registry + "/schemas/ids/" + i)).build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) throw new IllegalStateException("registry: " + response.statusCode() + " " + response.body());
        return new Schema.Parser().parse(Events.MAPPER.readTree(response.body()).get("schema").textValue());
      } catch (Exception e) {
        throw new IllegalStateException("schema " + i + ": " + e.getMessage(), e);
      }
    });
  }

  private static ObjectNode json(GenericRecord record) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    for (Schema.Field field : record.getSchema().getFields()) out.set(field.name(), node(record.get(field.pos())));
    return out;
  }

  private static JsonNode node(Object value) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (value == null) return f.nullNode();
    if (value instanceof CharSequence s) return f.textNode(s.toString());
    if (value instanceof Integer i) return f.numberNode(i);
    if (value instanceof Long l) return f.numberNode(l);
    if (value instanceof Double d) return f.numberNode(d);
    if (value instanceof Float d) return f.numberNode(d);
    if (value instanceof Boolean b) return f.booleanNode(b);
    if (value instanceof GenericRecord r) return json(r);
    return f.textNode(value.toString());
  }
}
