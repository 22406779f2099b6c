package fa.bench;

import java.util.ArrayList;
import java.util.List;

/** fa's slack/blocks.ts buildSlackMessage: the same blocks, limits and key order, so the JSON bytes match. */
final class SlackMessage {
  static final int HEADER_TEXT = 150;
  static final int SECTION_TEXT = 3000;
  static final int FIELDS = 10;
  static final int FIELD_TEXT = 2000;
  static final int CONTEXT_ELEMENTS = 10;
  static final int MESSAGE_TEXT = 4000;
  static final int TOTAL_BLOCK_TEXT = 12_000;
  static final int BLOCKS = 50;
  static final int CONTEXT_TEXT = 300;
  static final int FIELDS_BUDGET = TOTAL_BLOCK_TEXT - 1000 - HEADER_TEXT - 2 * SECTION_TEXT - CONTEXT_ELEMENTS * CONTEXT_TEXT;

  record Field(String label, String value) {}

  private SlackMessage() {}

  static String label(String text) {
    return "*" + Mrkdwn.truncateMrkdwn(Mrkdwn.escape(text), 100) + "*";
  }

  /** The chat.postMessage payload as JSON text. detail may be null; fields with null or empty values are left out. */
  static String build(
      String alertId,
      String pipeline,
      String recipient,
      String header,
      String text,
      List<Field> allFields,
      Field detail,
      List<String> context) {
    Json json = new Json().open().field("alertId", alertId).field("channel", recipient);
    json.field("text", Mrkdwn.truncateMrkdwn(text, MESSAGE_TEXT)).openArray("blocks");
    int blocks = 0;
    json.open().field("type", "header").openObject("text").field("type", "plain_text");
    json.field("text", Mrkdwn.truncate(header.isEmpty() ? " " : header, HEADER_TEXT)).field("emoji", true).close().close();
    json.open().field("type", "section").openObject("text").field("type", "mrkdwn");
    json.field("text", Mrkdwn.truncateMrkdwn(text, SECTION_TEXT)).close().close();
    blocks += 2;
    List<Field> shown = new ArrayList<>();
    for (Field field : allFields) {
      if (field.value() != null && !field.value().isEmpty() && shown.size() < FIELDS) shown.add(field);
    }
    int fieldText = Math.min(FIELD_TEXT, FIELDS_BUDGET / Math.max(1, shown.size()));
    if (!shown.isEmpty() && blocks++ < BLOCKS) {
      json.open().field("type", "section").openArray("fields");
      for (Field field : shown) {
        String title = label(field.label()) + "\n";
        String value = Mrkdwn.truncateMrkdwn(Mrkdwn.escape(field.value()), fieldText - title.length());
        json.open().field("type", "mrkdwn").field("text", title + value).close();
      }
      json.closeArray().close();
    }
    if (detail != null && blocks++ < BLOCKS) {
      String title = label(detail.label()) + "\n```";
      int room = SECTION_TEXT - title.length() - 3;
      String body = Mrkdwn.truncateMrkdwn(Mrkdwn.escape(detail.value().replace("```", "'''")), room);
      json.open().field("type", "section").openObject("text").field("type", "mrkdwn");
      json.field("text", title + body + "```").close().close();
    }
    List<String> lines = new ArrayList<>();
    for (String line : context) if (!Mrkdwn.isBlank(line) && lines.size() < CONTEXT_ELEMENTS) lines.add(line);
    if (!lines.isEmpty() && blocks++ < BLOCKS) {
      json.open().field("type", "context").openArray("elements");
      for (String line : lines) {
        json.open().field("type", "mrkdwn").field("text", Mrkdwn.truncateMrkdwn(Mrkdwn.escape(line), CONTEXT_TEXT)).close();
      }
      json.closeArray().close();
    }
    json.closeArray().openObject("metadata").field("event_type", "fa_alert").openObject("event_payload");
    json.field("alert_id", alertId).field("pipeline", pipeline).close().close();
    return json.close().toString();
  }
}
