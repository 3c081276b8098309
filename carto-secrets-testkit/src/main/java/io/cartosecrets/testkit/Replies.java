package io.cartosecrets.testkit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import mockwebserver3.MockResponse;

/** Wire helpers shared by the endpoints of {@link FakeCartoServer}. */
final class Replies {
  static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String JSON = "application/json; charset=utf-8";

  private Replies() {}

  static MockResponse.Builder json(int status, JsonNode body) {
    try {
      return new MockResponse.Builder().code(status).setHeader("Content-Type", JSON).body(MAPPER.writeValueAsString(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("FakeCartoServer could not write JSON", e);
    }
  }

  /** CARTO 3's error shape: {@code {"error": "<message>"}}. */
  static MockResponse cartoError(int status, String message) {
    return json(status, MAPPER.createObjectNode().put("error", message)).build();
  }

  static Refusal refuse(int status, String message) {
    return new Refusal(cartoError(status, message));
  }

  /** Parses a JSON text from a request, refusing with 400 (and no echo of the text) if it is not JSON. */
  static JsonNode parseJson(String text, String what) {
    try {
      JsonNode node = MAPPER.readTree(text);
      if (node == null || node.isMissingNode()) {
        throw refuse(400, "The " + what + " is empty; expected JSON");
      }
      return node;
    } catch (JsonProcessingException e) {
      // Never echo the text: it may be whatever a confused client put there.
      throw refuse(400, "The " + what + " is not valid JSON");
    }
  }

  static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 64) + "...";
  }

  /**
   * An answer decided deep in a handler, thrown to the dispatcher. It carries no stack trace: it
   * is control flow, not an error.
   */
  static final class Refusal extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient MockResponse response;

    Refusal(MockResponse response) {
      super(null, null, false, false);
      this.response = response;
    }

    MockResponse response() {
      return response;
    }
  }
}
