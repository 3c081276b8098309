package io.cartosecrets;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A SQL API v3 query: the SQL text, its named parameters (referenced as {@code @name}), and how to
 * send it. Immutable.
 *
 * <pre>{@code
 * SqlQuery q = SqlQuery.builder("SELECT * FROM cities WHERE country = @country")
 *     .param("country", "ES")
 *     .build();
 * }</pre>
 */
public final class SqlQuery {
  /** How the query travels. */
  public enum Method {
    /**
     * GET (cacheable by CARTO's CDN, idempotent, retried on 429/5xx) unless the URL would pass
     * about 7000 characters, then POST. The default.
     */
    AUTO,
    /** Always GET. */
    GET,
    /** Always POST (never cached: every call costs warehouse compute; not retried). */
    POST
  }

  private final String sql;
  private final Map<String, Object> params;
  private final Method method;

  private SqlQuery(Builder b) {
    this.sql = b.sql;
    // LinkedHashMap: keeps the order given and allows null (SQL NULL) values.
    this.params = Collections.unmodifiableMap(new LinkedHashMap<>(b.params));
    this.method = b.method;
  }

  public static SqlQuery of(String sql) {
    return builder(sql).build();
  }

  public static Builder builder(String sql) {
    return new Builder(sql);
  }

  public String sql() {
    return sql;
  }

  /** The named parameters, in the order given. */
  public Map<String, Object> params() {
    return params;
  }

  public Method method() {
    return method;
  }

  @Override
  public String toString() {
    return "SqlQuery[" + sql.length() + " chars, params=" + params.keySet() + ", method=" + method + "]";
  }

  /** Builds a {@link SqlQuery}. */
  public static final class Builder {
    private final String sql;
    private final Map<String, Object> params = new LinkedHashMap<>();
    private Method method = Method.AUTO;

    private Builder(String sql) {
      Objects.requireNonNull(sql, "sql");
      if (sql.isBlank()) {
        throw new IllegalArgumentException("sql is blank");
      }
      this.sql = sql;
    }

    /**
     * A named parameter, referenced in the SQL as {@code @name}: a String, Number, Boolean, List,
     * Map, or {@code null} for SQL NULL. The name is given without the {@code @}.
     */
    public Builder param(String name, Object value) {
      Objects.requireNonNull(name, "name");
      if (name.isEmpty() || name.startsWith("@")) {
        throw new IllegalArgumentException(
            "parameter name '" + name + "': give it without the '@' the SQL uses to refer to it");
      }
      params.put(name, value);
      return this;
    }

    public Builder params(Map<String, ?> values) {
      values.forEach(this::param);
      return this;
    }

    public Builder method(Method method) {
      this.method = Objects.requireNonNull(method, "method");
      return this;
    }

    public SqlQuery build() {
      return new SqlQuery(this);
    }
  }
}
