package fa.bench;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/** Decoding as fa's records/record.ts does it, with JSON.parse's strictness, and zod's type names. */
final class Events {
  static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /** A decoded JSON object, or why the value is not one (fa's decodeJsonObject reasons). */
  record Decoded(JsonNode value, String reason) {}

  private Events() {}

  static Decoded decodeObject(byte[] value) {
    if (value == null) return new Decoded(null, "value is a tombstone (null), expected a JSON object");
    JsonNode parsed;
    try {
      // Bytes to text first, replacing bad UTF-8 as Node's Buffer.toString does.
      parsed = MAPPER.readTree(new String(value, StandardCharsets.UTF_8));
    } catch (Exception e) {
      return new Decoded(null, "value is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (parsed == null || parsed.isMissingNode()) return new Decoded(null, "value is not valid JSON: Unexpected end of JSON input");
    if (!parsed.isObject()) return new Decoded(null, "value is JSON " + typeName(parsed) + ", expected a JSON object");
    return new Decoded(parsed, null);
  }

  /** zod's and JSON's name for a value's type: string, number, boolean, null, array, object, undefined. */
  static String typeName(JsonNode node) {
    if (node == null || node.isMissingNode()) return "undefined";
    if (node.isNull()) return "null";
    if (node.isArray()) return "array";
    if (node.isObject()) return "object";
    if (node.isTextual()) return "string";
    if (node.isBoolean()) return "boolean";
    return "number";
  }

  /** The field as a string, null when absent or null; INVALID when another type (fa's optionalText, nullish). */
  static String optionalText(JsonNode object, String field) {
    JsonNode node = object.get(field);
    if (node == null || node.isNull()) return null;
    return node.isTextual() ? node.textValue() : INVALID;
  }

  static final String INVALID = new String("\0invalid");

  /** The error zod gives a z.string().optional() field of another type. */
  static String typeError(JsonNode object, String field) {
    return field + ": Invalid input: expected string, received " + typeName(object.get(field));
  }

  /**
   * JSON.stringify of the event as fa's check returns it (zod's looseObject): the schema's fields
   * first, in its order, nulls left out, then the other fields in their order. For alert ids of
   * events without an eventId.
   */
  static void stringifyChecked(StringBuilder out, JsonNode event, String[] fields) {
    out.append('{');
    boolean first = true;
    java.util.Set<String> known = java.util.Set.of(fields);
    for (String field : fields) {
      JsonNode value = event.get(field);
      if (value == null || value.isNull()) continue;
      if (!first) out.append(',');
      first = false;
      Json.string(out, field);
      out.append(':');
      stringify(out, value);
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = event.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      if (known.contains(entry.getKey())) continue;
      if (!first) out.append(',');
      first = false;
      Json.string(out, entry.getKey());
      out.append(':');
      stringify(out, entry.getValue());
    }
    out.append('}');
  }

  /** JSON.stringify of a parsed value. */
  static void stringify(StringBuilder out, JsonNode node) {
    if (node.isObject()) {
      out.append('{');
      boolean first = true;
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        if (!first) out.append(',');
        first = false;
        Json.string(out, entry.getKey());
        out.append(':');
        stringify(out, entry.getValue());
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) out.append(',');
        stringify(out, node.get(i));
      }
      out.append(']');
    } else if (node.isTextual()) {
      Json.string(out, node.textValue());
    } else if (node.isNumber()) {
      out.append(jsNumber(node.doubleValue()));
    } else {
      out.append(node.toString());
    }
  }

  /** Number.prototype.toString for the common cases (integers below 1e21, plain decimals). */
  private static String jsNumber(double d) {
    if (d == Math.rint(d) && Math.abs(d) < 1e21) return Long.toString((long) d);
    String s = Double.toString(d);
    return s.contains("E") ? s.replace("E", "e+").replace("e+-", "e-") : s;
  }
}
