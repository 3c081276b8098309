package io.cartosecrets.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static io.cartosecrets.testkit.canary.Leakproof.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MiniSqlTest {
  private static final DemoTable CITIES = DemoTable.demoTables().get(0);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static List<Map<String, Object>> run(String sql, String params) throws Exception {
    Optional<JsonNode> p = params == null ? Optional.empty() : Optional.of(MAPPER.readTree(params));
    return MiniSql.execute(MiniSql.parse(sql), CITIES, p).rows();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "SELECT name FROM cities WHERE population >= 3223334 ORDER BY name | Madrid,New York,Tokyo",
        "SELECT name FROM cities WHERE population <= 513275 ORDER BY name | Lyon,Porto",
        "SELECT name FROM cities WHERE population < 513275 | Porto",
        "SELECT name FROM cities WHERE country != 'Spain' AND country <> 'France' AND population > 2000000 ORDER BY name DESC | Tokyo,New York,Chicago",
        "select NAME from CITIES where COUNTRY = 'Japan'; | Tokyo",
        "SELECT name FROM cities ORDER BY country DESC, population LIMIT 2 | Chicago,New York",
        "SELECT name FROM cities WHERE name = 'O''Hare' | ''",
        "SELECT name FROM cities LIMIT 0 | ''",
      })
  void operatorsOrderingAndLimit_behaveLikeSql(String sql, String expected) throws Exception {
    List<String> names = run(sql, null).stream().map(r -> (String) r.values().iterator().next()).toList();

    assertThat(names).containsExactlyElementsOf(expected.isEmpty() ? List.of() : List.of(expected.split(",")));
  }

  @Test
  void nullParameter_matchesNothing() throws Exception {
    assertThat(run("SELECT * FROM cities WHERE name = @n", "{\"n\": null}")).isEmpty();
  }

  @Test
  void decimalParameter_comparesWithWholeNumbers() throws Exception {
    assertThat(run("SELECT name FROM cities WHERE population > @p", "{\"p\": 8336816.5}"))
        .extracting(r -> r.get("name"))
        .containsExactlyInAnyOrder("New York", "Tokyo");
  }

  @Test
  void resultSchema_followsTheSelectList() {
    MiniSql.Result r = MiniSql.execute(MiniSql.parse("SELECT population AS p, name FROM cities LIMIT 1"), CITIES, Optional.empty());

    assertThat(r.schema()).containsExactly(new MiniSql.Column("p", "number"), new MiniSql.Column("name", "string"));
    assertThat(r.rows().get(0).keySet()).containsExactly("p", "name");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "SELECT",
        "SELECT * FROM",
        "SELECT * FROM cities WHERE",
        "SELECT * FROM cities WHERE name LIKE 'M%'",
        "SELECT * FROM cities WHERE name = 'unclosed",
        "SELECT * FROM cities GROUP BY country",
        "SELECT * FROM cities LIMIT -1",
        "SELECT * FROM cities LIMIT 1.5",
        "SELECT * FROM cities; DROP TABLE cities",
        "SELECT * FROM cities WHERE name = @",
        "SELECT COUNT(*), name FROM cities",
        "SELECT * FROM `cities",
        "SELECT * FROM cities WHERE population > 1 OR population < 2",
        "SELECT $ FROM cities",
      })
  void outsideTheSubset_isASqlException(String sql) {
    assertThatThrownBy(() -> MiniSql.parse(sql)).isInstanceOf(MiniSql.SqlException.class).hasMessageNotContaining("null");
  }

  @Test
  void syntaxErrors_namePositionAndTokenKind_butNotLiteralValues() {
    assertThatThrownBy(() -> MiniSql.parse("SELECT * FROM cities WHERE name 'secret-ish'"))
        .hasMessage("Syntax error: Expected a comparison operator but got string literal at [1:33]");
  }

  @Test
  void parameterErrors_nameTheParameterButNotItsValue() {
    assertThatThrownBy(() -> run("SELECT * FROM cities WHERE population = @p", "{\"p\": \"many-people\"}"))
        .hasMessage("No matching signature for operator = for argument types: INT64, STRING")
        .hasMessageNotContaining("many-people");
    assertThatThrownBy(() -> run("SELECT * FROM cities WHERE population = ?", "[]"))
        .hasMessage("Positional query parameter 1 not found");
    assertThatThrownBy(() -> run("SELECT * FROM cities WHERE name = @n", "{\"n\": {\"x\": 1}}"))
        .hasMessage("Query parameter 'n' must be a string, number, boolean or null");
  }
}
