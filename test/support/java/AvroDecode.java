// An outside Avro decoder for the interop tests: Apache Avro's own Java implementation.
// Reads kcat's `-f '%R%s'` output on stdin (each value as a big-endian int32 length, then its
// bytes), takes the schema id from the Schema Registry wire header, fetches the writer schema
// by id from the registry (args[0]: its Confluent-compatible base URL) and prints each value as
// Avro's JSON encoding, one line per record.
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;

public class AvroDecode {
  public static void main(String[] args) throws Exception {
    String registry = args[0];
    HttpClient http = HttpClient.newHttpClient();
    ObjectMapper json = new ObjectMapper();
    Map<Integer, Schema> schemas = new HashMap<>();
    DataInputStream in = new DataInputStream(System.in);
    while (true) {
      int length;
      try {
        length = in.readInt();
      } catch (EOFException end) {
        break;
      }
      if (length < 0) {
        System.out.println("null");
        continue;
      }
      byte[] bytes = new byte[length];
      in.readFully(bytes);
      ByteBuffer buffer = ByteBuffer.wrap(bytes);
      if (buffer.get() != 0) throw new IllegalStateException("no magic byte");
      int id = buffer.getInt();
      Schema schema = schemas.get(id);
      if (schema == null) {
        HttpResponse<String> res = http.send(
            HttpRequest.newBuilder(URI.create(registry + "/schemas/ids/" + id)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (res.statusCode() != 200) throw new IllegalStateException("schema " + id + ": HTTP " + res.statusCode());
        schema = new Schema.Parser().parse(json.readTree(res.body()).get("schema").asText());
        schemas.put(id, schema);
      }
      Object value = new GenericDatumReader<Object>(schema)
          .read(null, DecoderFactory.get().binaryDecoder(bytes, 5, length - 5, null));
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      JsonEncoder encoder = EncoderFactory.get().jsonEncoder(schema, out);
      new GenericDatumWriter<Object>(schema).write(value, encoder);
      encoder.flush();
      System.out.println(id + " " + out.toString("UTF-8"));
    }
  }
}
