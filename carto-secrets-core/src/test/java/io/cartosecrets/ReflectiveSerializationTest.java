package io.cartosecrets;

import static io.cartosecrets.testkit.canary.Leakproof.catchThrowable;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.cartosecrets.testkit.TestTokens;
import io.cartosecrets.testkit.canary.Leakproof;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * "It never appears in ... a serialized form." Java serialization throws, but a
 * reflective JSON serializer (Jackson with field visibility, as many applications configure it for
 * their DTOs, or Gson by default) writes the private {@code char[] value} out. A holder object that
 * an application logs as JSON then carries the token.
 */
class ReflectiveSerializationTest {
  private static final ObjectMapper FIELDS =
      new ObjectMapper()
          .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  private static void assertNoTokenIn(Object o) {
    String json;
    try {
      json = FIELDS.writeValueAsString(o);
    } catch (Exception e) {
      Leakproof.track(e);
      return; // refusing to serialize is fine
    }
    Leakproof.assertNoCanaryIn("Jackson (field visibility) JSON of " + o.getClass().getSimpleName(), json);
  }

  @Test
  void secret_writtenByAFieldVisibleJsonMapper_holdsNoValue() {
    assertNoTokenIn(Secret.of(TestTokens.apiAccessToken(), "test:json"));
  }

  @Test
  void cartoToken_writtenByAFieldVisibleJsonMapper_holdsNoValue() {
    assertNoTokenIn(CartoToken.of(TestTokens.apiAccessToken(), "test:json"));
  }

  @Test
  void cartoToken_insideAnApplicationsObject_writtenAsJson_holdsNoValue() {
    assertNoTokenIn(Map.of("client", "reporting", "token", CartoToken.of(TestTokens.apiAccessToken(), "test:json")));
  }

  @Test
  void defaultMapper_refusesOrWritesNothing() {
    Object thrown = catchThrowable(() -> {
      String json = new ObjectMapper().writeValueAsString(CartoToken.of(TestTokens.apiAccessToken(), "test:json"));
      Leakproof.assertNoCanaryIn("default Jackson JSON", json);
    });
    if (thrown instanceof AssertionError a) {
      throw a;
    }
  }
}
