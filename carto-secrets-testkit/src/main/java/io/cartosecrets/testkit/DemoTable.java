package io.cartosecrets.testkit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable in-memory table of the fake warehouse. Columns are either {@code string} or
 * {@code number} (whole numbers, held as {@code Long}), the type names CARTO's SQL API reports in
 * {@code schema}.
 */
final class DemoTable {
  static final String STRING = "string";
  static final String NUMBER = "number";

  private final String name;
  private final Set<String> aliases;
  private final Map<String, String> columns; // column name -> type, in declaration order
  private final List<Map<String, Object>> rows;

  private DemoTable(String name, Set<String> aliases, Map<String, String> columns, List<Map<String, Object>> rows) {
    this.name = name;
    this.aliases = aliases;
    this.columns = Collections.unmodifiableMap(columns);
    this.rows = List.copyOf(rows);
  }

  String name() {
    return name;
  }

  /** Every name a query may use for this table (its short name and a fully qualified one). */
  Set<String> names() {
    return aliases;
  }

  Map<String, String> columns() {
    return columns;
  }

  Optional<String> columnType(String column) {
    return Optional.ofNullable(columns.get(column.toLowerCase(Locale.ROOT)));
  }

  List<Map<String, Object>> rows() {
    return rows;
  }

  /** The demo tables every server holds: {@code cities} and {@code countries}. */
  static List<DemoTable> demoTables() {
    Map<String, String> cityColumns = new LinkedHashMap<>();
    cityColumns.put("name", STRING);
    cityColumns.put("country", STRING);
    cityColumns.put("population", NUMBER);
    List<Map<String, Object>> cities = new ArrayList<>();
    addCity(cities, "Madrid", "Spain", 3_223_334);
    addCity(cities, "Barcelona", "Spain", 1_620_343);
    addCity(cities, "Valencia", "Spain", 791_413);
    addCity(cities, "Lisbon", "Portugal", 545_923);
    addCity(cities, "Porto", "Portugal", 231_800);
    addCity(cities, "Paris", "France", 2_165_423);
    addCity(cities, "Lyon", "France", 513_275);
    addCity(cities, "New York", "United States", 8_336_817);
    addCity(cities, "Chicago", "United States", 2_746_388);
    addCity(cities, "Tokyo", "Japan", 13_960_000);

    Map<String, String> countryColumns = new LinkedHashMap<>();
    countryColumns.put("name", STRING);
    countryColumns.put("code", STRING);
    countryColumns.put("continent", STRING);
    List<Map<String, Object>> countries = new ArrayList<>();
    addCountry(countries, "Spain", "ES", "Europe");
    addCountry(countries, "Portugal", "PT", "Europe");
    addCountry(countries, "France", "FR", "Europe");
    addCountry(countries, "United States", "US", "North America");
    addCountry(countries, "Japan", "JP", "Asia");

    return List.of(
        new DemoTable("cities", Set.of("cities", "carto-demo-data.demo_tables.cities"), cityColumns, cities),
        new DemoTable(
            "countries", Set.of("countries", "carto-demo-data.demo_tables.countries"), countryColumns, countries));
  }

  private static void addCity(List<Map<String, Object>> rows, String name, String country, long population) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("name", name);
    row.put("country", country);
    row.put("population", population);
    rows.add(Collections.unmodifiableMap(row));
  }

  private static void addCountry(List<Map<String, Object>> rows, String name, String code, String continent) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("name", name);
    row.put("code", code);
    row.put("continent", continent);
    rows.add(Collections.unmodifiableMap(row));
  }
}
