package fa.bench;

/** Writes JSON the way JavaScript's JSON.stringify does, so fa's and this app's bytes compare equal. */
final class Json {
  private final StringBuilder out = new StringBuilder(1024);
  private boolean first = true;

  Json open() {
    comma();
    out.append('{');
    first = true;
    return this;
  }

  Json close() {
    out.append('}');
    first = false;
    return this;
  }

  Json openArray(String name) {
    key(name);
    out.append('[');
    first = true;
    return this;
  }

  Json closeArray() {
    out.append(']');
    first = false;
    return this;
  }

  Json openObject(String name) {
    key(name);
    out.append('{');
    first = true;
    return this;
  }

  Json field(String name, String value) {
    key(name);
    string(out, value);
    first = false;
    return this;
  }

  Json field(String name, boolean value) {
    key(name);
    out.append(value);
    first = false;
    return this;
  }

  private void key(String name) {
    comma();
    string(out, name);
    out.append(':');
  }

  private void comma() {
    if (!first) out.append(',');
  }

  @Override
  public String toString() {
    return out.toString();
  }

  /** JSON.stringify's string escapes: the two-letter ones, \\u00xx for other controls and lone surrogates. */
  static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) unicode(out, c);
          else if (Character.isHighSurrogate(c)) {
            if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) out.append(c).append(s.charAt(++i));
            else unicode(out, c);
          } else if (Character.isLowSurrogate(c)) unicode(out, c);
          else out.append(c);
        }
      }
    }
    out.append('"');
  }

  private static void unicode(StringBuilder out, char c) {
    out.append("\\u");
    String hex = Integer.toHexString(c);
    for (int i = hex.length(); i < 4; i++) out.append('0');
    out.append(hex);
  }
}
