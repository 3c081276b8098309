package io.cartosecrets;

import java.util.List;
import java.util.Map;

/**
 * The result of a SQL API query. Immutable.
 *
 * @param rows one map per row, column name to value (String, Number, Boolean, List, Map, or
 *     {@code null} for SQL NULL), in the order CARTO sent them
 * @param schema the columns with their warehouse types
 * @param meta what CARTO reports about the query (e.g. {@code cacheHit}, {@code location},
 *     {@code totalBytesProcessed}); the fields vary by warehouse
 */
public record SqlResult(List<Map<String, Object>> rows, List<Column> schema, Map<String, Object> meta) {

  /** A column of the result. */
  public record Column(String name, String type) {}

  public SqlResult {
    rows = List.copyOf(rows);
    schema = List.copyOf(schema);
    meta = Map.copyOf(meta);
  }

  /** How many rows came back. */
  public int rowCount() {
    return rows.size();
  }
}
