package io.cartosecrets;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Row values are converted without Jackson's round trip, and must come out exactly as it gave them. */
class SqlValueConversionTest {
  private static final String JSON =
      "{\"s\":\"Madrid\",\"empty\":\"\",\"unicode\":\"S\\u00e3o Paulo \\ud83c\\udf0d\","
          + "\"i\":7,\"neg\":-3,\"zero\":0,\"maxInt\":2147483647,\"long\":2147483648,\"minLong\":-9223372036854775808,"
          + "\"big\":123456789012345678901234567890,\"d\":1.5,\"exp\":1e3,\"negZero\":-0.0,\"tiny\":4.9e-324,"
          + "\"huge\":1e400,\"t\":true,\"f\":false,\"n\":null,"
          + "\"arr\":[1,\"a\",null,[2.5,{\"k\":false}],[]],\"obj\":{\"x\":{\"y\":[1]},\"z\":null},\"emptyObj\":{}}";

  @Test
  void everyKindOfJsonValue_convertsAsConvertValueDoes() throws Exception {
    JsonNode doc = ApiCaller.MAPPER.readTree(JSON);
    for (Iterator<Map.Entry<String, JsonNode>> it = doc.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      Object expected = ApiCaller.MAPPER.convertValue(e.getValue(), Object.class);
      Object actual = SqlApi.plain(e.getValue());
      assertThat(actual).as(e.getKey()).isEqualTo(expected);
      if (expected != null) {
        assertThat(actual.getClass()).as(e.getKey() + " type").isEqualTo(expected.getClass());
      }
    }
    assertThat(SqlApi.plain(doc)).isEqualTo(ApiCaller.MAPPER.convertValue(doc, Object.class));
  }
}
