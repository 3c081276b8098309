package io.cartosecrets.spi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cartosecrets.SecretFormatException;

/**
 * Reads one string field out of a JSON secret (AWS {@code SecretString}, a JSON file), for
 * providers. Errors name the source and the field and never include the payload: a JSON parser's
 * own message quotes the text around the error, which is the secret, so it is never passed on.
 */
public final class JsonFields {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonFields() {}

  /**
   * The string at {@code dottedPath} ({@code carto.api_token} walks into nested objects).
   *
   * @param json the secret's text
   * @param dottedPath field names separated by dots
   * @param source the provider's description, for error messages
   * @throws SecretFormatException if the text is not a JSON object, the field is missing, is not a
   *     string, or is empty
   */
  public static String extract(String json, String dottedPath, String source) {
    JsonNode node;
    try {
      node = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      // Deliberately no cause: Jackson's message quotes the surrounding text.
      com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
      throw new SecretFormatException(
          source,
          dottedPath,
          at == null
              ? "the secret is not JSON a parser accepts (" + e.getClass().getSimpleName() + ": too deep or too long)"
              : "the secret is not valid JSON (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")",
          null);
    }
    if (node == null || !node.isObject()) {
      throw new SecretFormatException(
          source, dottedPath, "the secret is not a JSON object, so it has no fields", null);
    }
    String walked = "";
    for (String name : dottedPath.split("\\.", -1)) {
      walked = walked.isEmpty() ? name : walked + "." + name;
      if (!node.isObject()) {
        throw new SecretFormatException(
            source, dottedPath, "'" + walked + "' is inside a " + kind(node) + ", not an object", null);
      }
      JsonNode next = node.get(name);
      if (next == null || next.isMissingNode()) {
        throw new SecretFormatException(source, dottedPath, "no field '" + walked + "' in the secret", null);
      }
      node = next;
    }
    if (!node.isTextual()) {
      throw new SecretFormatException(
          source, dottedPath, "the field is a " + kind(node) + ", not a string", null);
    }
    String value = node.asText();
    if (value.trim().isEmpty()) {
      throw new SecretFormatException(source, dottedPath, "the field is empty", null);
    }
    return value;
  }

  private static String kind(JsonNode node) {
    switch (node.getNodeType()) {
      case OBJECT:
        return "JSON object";
      case ARRAY:
        return "JSON array";
      case NUMBER:
        return "number";
      case BOOLEAN:
        return "boolean";
      case NULL:
        return "null";
      default:
        return node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
