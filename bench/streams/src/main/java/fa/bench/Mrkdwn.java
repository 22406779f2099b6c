package fa.bench;

/** fa's slack/mrkdwn.ts: escaping and truncation, in UTF-16 code units as in JavaScript. */
final class Mrkdwn {
  static final String ELLIPSIS = "\u2026";

  private Mrkdwn() {}

  static String escape(String value) {
    int i = 0;
    int n = value.length();
    while (i < n && !isControl(value.charAt(i))) i++;
    if (i == n) return value;
    StringBuilder out = new StringBuilder(n + 16).append(value, 0, i);
    for (; i < n; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static boolean isControl(char c) {
    return c == '&' || c == '<' || c == '>';
  }

  /** Cuts plain text to max characters, ending with a visible ellipsis, never half a surrogate pair. */
  static String truncate(String text, int max) {
    if (text.length() <= max) return text;
    String cut = text.substring(0, max - ELLIPSIS.length());
    if (!cut.isEmpty() && Character.isHighSurrogate(cut.charAt(cut.length() - 1))) cut = cut.substring(0, cut.length() - 1);
    return cut + ELLIPSIS;
  }

  /** Cuts mrkdwn without splitting an escape entity such as &amp;amp; (fa: /&[a-z]{0,3}$/). */
  static String truncateMrkdwn(String text, int max) {
    if (text.length() <= max) return text;
    String cut = truncate(text, max);
    cut = cut.substring(0, cut.length() - ELLIPSIS.length());
    int amp = cut.lastIndexOf('&');
    if (amp >= 0 && cut.length() - amp - 1 <= 3 && lowercaseLetters(cut, amp + 1)) cut = cut.substring(0, amp);
    return cut + ELLIPSIS;
  }

  private static boolean lowercaseLetters(String s, int from) {
    for (int i = from; i < s.length(); i++) if (s.charAt(i) < 'a' || s.charAt(i) > 'z') return false;
    return true;
  }

  /** JavaScript's String.prototype.trim() is empty: its whitespace is not Java's. */
  static boolean isBlank(String s) {
    for (int i = 0; i < s.length(); i++) if (!isJsWhitespace(s.charAt(i))) return false;
    return true;
  }

  /** JavaScript's trim(): WhiteSpace and LineTerminator of ECMA-262. */
  static String trim(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isJsWhitespace(s.charAt(start))) start++;
    while (end > start && isJsWhitespace(s.charAt(end - 1))) end--;
    return s.substring(start, end);
  }

  private static boolean isJsWhitespace(char c) {
    return c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r' || c == ' ' || c == 0xA0 || c == 0xFEFF
        || c == 0x2028 || c == 0x2029 || Character.getType(c) == Character.SPACE_SEPARATOR;
  }
}
