package io.cartosecrets.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The tiny SQL dialect {@link FakeCartoServer} understands:
 *
 * <pre>
 * SELECT * | col [AS alias], ... | COUNT(*) [AS alias]
 * FROM table
 * [WHERE col op operand [AND col op operand ...]]      op: = != &lt;&gt; &lt; &lt;= &gt; &gt;=
 * [ORDER BY col [ASC|DESC], ...]                        operand: @name | ? | 'text' | number
 * [LIMIT n] [;]
 * </pre>
 *
 * Keywords are case-insensitive; identifiers may be back-quoted ({@code `proj.ds.cities`}).
 * Anything outside this subset is rejected with a {@link SqlException} whose message reads like a
 * warehouse error and never contains a parameter value.
 */
final class MiniSql {
  private MiniSql() {}

  /** A query the fake cannot run; its message is meant for the client (HTTP 400). */
  static final class SqlException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SqlException(String message) {
      super(message);
    }
  }

  enum OperandKind {
    LITERAL,
    NAMED,
    POSITIONAL
  }

  record Operand(OperandKind kind, Object literal, String name, int position) {}

  record Condition(String column, String op, Operand operand) {}

  record Order(String column, boolean descending) {}

  record SelectItem(String column, String alias) {}

  /** A parsed query. {@code items} is empty for {@code SELECT *}. */
  record Query(
      String table,
      List<SelectItem> items,
      Optional<String> countAlias,
      List<Condition> where,
      List<Order> orderBy,
      OptionalLong limit) {}

  record Column(String name, String type) {}

  record Result(List<Map<String, Object>> rows, List<Column> schema, long bytesProcessed) {}

  // ---------------------------------------------------------------- tokenizer

  private enum Kind {
    WORD,
    QUOTED_IDENT,
    STRING,
    NUMBER,
    NAMED_PARAM,
    POSITIONAL_PARAM,
    SYMBOL,
    END
  }

  private record Token(Kind kind, String text, int offset) {
    boolean isKeyword(String keyword) {
      return kind == Kind.WORD && text.equalsIgnoreCase(keyword);
    }

    boolean isSymbol(String symbol) {
      return kind == Kind.SYMBOL && text.equals(symbol);
    }

    /** How the token is named in an error: words and symbols verbatim, values by their kind only. */
    String describe() {
      switch (kind) {
        case END:
          return "end of input";
        case STRING:
          return "string literal";
        case NUMBER:
          return "number literal";
        case NAMED_PARAM:
          return "query parameter @" + text;
        case POSITIONAL_PARAM:
          return "positional parameter";
        case QUOTED_IDENT:
          return "identifier";
        default:
          return (kind == Kind.WORD ? "keyword " : "") + abbreviate(text.toUpperCase(Locale.ROOT));
      }
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 32 ? s : s.substring(0, 32) + "...";
  }

  private static List<Token> tokenize(String sql) {
    List<Token> tokens = new ArrayList<>();
    int i = 0;
    int n = sql.length();
    while (i < n) {
      char c = sql.charAt(i);
      int start = i;
      if (Character.isWhitespace(c)) {
        i++;
      } else if (Character.isLetter(c) || c == '_') {
        while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_' || sql.charAt(i) == '.')) {
          i++;
        }
        tokens.add(new Token(Kind.WORD, sql.substring(start, i), start));
      } else if (c == '`') {
        int close = sql.indexOf('`', i + 1);
        if (close < 0) {
          throw syntax("Unclosed identifier literal", start);
        }
        tokens.add(new Token(Kind.QUOTED_IDENT, sql.substring(i + 1, close), start));
        i = close + 1;
      } else if (c == '\'') {
        StringBuilder sb = new StringBuilder();
        i++;
        boolean closed = false;
        while (i < n) {
          char d = sql.charAt(i);
          if (d == '\'') {
            if (i + 1 < n && sql.charAt(i + 1) == '\'') {
              sb.append('\'');
              i += 2;
              continue;
            }
            closed = true;
            i++;
            break;
          }
          sb.append(d);
          i++;
        }
        if (!closed) {
          throw syntax("Unclosed string literal", start);
        }
        tokens.add(new Token(Kind.STRING, sb.toString(), start));
      } else if (Character.isDigit(c) || (c == '-' && i + 1 < n && Character.isDigit(sql.charAt(i + 1)))) {
        i++;
        while (i < n && (Character.isDigit(sql.charAt(i)) || sql.charAt(i) == '.')) {
          i++;
        }
        tokens.add(new Token(Kind.NUMBER, sql.substring(start, i), start));
      } else if (c == '@') {
        i++;
        while (i < n && (Character.isLetterOrDigit(sql.charAt(i)) || sql.charAt(i) == '_')) {
          i++;
        }
        if (i == start + 1) {
          throw syntax("Expected a parameter name after @", start);
        }
        tokens.add(new Token(Kind.NAMED_PARAM, sql.substring(start + 1, i), start));
      } else if (c == '?') {
        i++;
        tokens.add(new Token(Kind.POSITIONAL_PARAM, "?", start));
      } else if (c == '<' || c == '>' || c == '!') {
        i++;
        if (i < n && (sql.charAt(i) == '=' || (c == '<' && sql.charAt(i) == '>'))) {
          i++;
        }
        String op = sql.substring(start, i);
        if (op.equals("!")) {
          throw syntax("Unexpected \"!\"", start);
        }
        tokens.add(new Token(Kind.SYMBOL, op, start));
      } else if ("=,*();".indexOf(c) >= 0) {
        i++;
        tokens.add(new Token(Kind.SYMBOL, String.valueOf(c), start));
      } else {
        throw syntax("Illegal input character \"" + (Character.isISOControl(c) ? "\\u" + (int) c : c) + "\"", start);
      }
    }
    tokens.add(new Token(Kind.END, "", n));
    return tokens;
  }

  private static SqlException syntax(String what, int offset) {
    return new SqlException("Syntax error: " + what + " at [1:" + (offset + 1) + "]");
  }

  // ---------------------------------------------------------------- parser

  private static final class Parser {
    private final List<Token> tokens;
    private int pos;
    private int positional;

    Parser(List<Token> tokens) {
      this.tokens = tokens;
    }

    Token peek() {
      return tokens.get(pos);
    }

    Token next() {
      return tokens.get(pos++);
    }

    SqlException expected(String what) {
      Token t = peek();
      return syntax("Expected " + what + " but got " + t.describe(), t.offset());
    }

    void keyword(String keyword) {
      if (!peek().isKeyword(keyword)) {
        throw expected("keyword " + keyword);
      }
      pos++;
    }

    boolean acceptKeyword(String keyword) {
      if (peek().isKeyword(keyword)) {
        pos++;
        return true;
      }
      return false;
    }

    boolean acceptSymbol(String symbol) {
      if (peek().isSymbol(symbol)) {
        pos++;
        return true;
      }
      return false;
    }

    String identifier(String what) {
      Token t = peek();
      if ((t.kind() == Kind.WORD && !isReserved(t.text())) || t.kind() == Kind.QUOTED_IDENT) {
        pos++;
        return t.text();
      }
      throw expected(what);
    }

    Query query() {
      keyword("SELECT");
      List<SelectItem> items = new ArrayList<>();
      Optional<String> countAlias = Optional.empty();
      if (acceptSymbol("*")) {
        // SELECT *: items stays empty
      } else if (peek().isKeyword("COUNT")) {
        pos++;
        if (!acceptSymbol("(") || !acceptSymbol("*") || !acceptSymbol(")")) {
          throw expected("COUNT(*)");
        }
        countAlias = Optional.of(acceptKeyword("AS") ? identifier("an alias") : "count");
        if (peek().isSymbol(",")) {
          throw new SqlException(
              "SELECT list expression references a column which is neither grouped nor aggregated (GROUP BY is not supported)");
        }
      } else {
        do {
          String column = identifier("a column name or *");
          String alias = acceptKeyword("AS") ? identifier("an alias") : column;
          items.add(new SelectItem(column, alias));
        } while (acceptSymbol(","));
      }
      keyword("FROM");
      String table = identifier("a table name");
      List<Condition> where = new ArrayList<>();
      if (acceptKeyword("WHERE")) {
        do {
          where.add(condition());
        } while (acceptKeyword("AND"));
      }
      List<Order> orderBy = new ArrayList<>();
      if (acceptKeyword("ORDER")) {
        keyword("BY");
        do {
          String column = identifier("a column name");
          boolean desc = acceptKeyword("DESC");
          if (!desc) {
            acceptKeyword("ASC");
          }
          orderBy.add(new Order(column, desc));
        } while (acceptSymbol(","));
      }
      OptionalLong limit = OptionalLong.empty();
      if (acceptKeyword("LIMIT")) {
        Token t = next();
        if (t.kind() != Kind.NUMBER || t.text().contains(".") || t.text().startsWith("-")) {
          pos--;
          throw expected("a non-negative integer after LIMIT");
        }
        try {
          limit = OptionalLong.of(Long.parseLong(t.text()));
        } catch (NumberFormatException e) {
          throw syntax("LIMIT value out of range", t.offset());
        }
      }
      acceptSymbol(";");
      if (peek().kind() != Kind.END) {
        throw expected("end of input");
      }
      return new Query(table, List.copyOf(items), countAlias, List.copyOf(where), List.copyOf(orderBy), limit);
    }

    Condition condition() {
      String column = identifier("a column name");
      Token op = next();
      if (op.kind() != Kind.SYMBOL || !List.of("=", "!=", "<>", "<", "<=", ">", ">=").contains(op.text())) {
        pos--;
        throw expected("a comparison operator");
      }
      Token t = next();
      Operand operand;
      switch (t.kind()) {
        case NAMED_PARAM:
          operand = new Operand(OperandKind.NAMED, null, t.text(), -1);
          break;
        case POSITIONAL_PARAM:
          operand = new Operand(OperandKind.POSITIONAL, null, null, positional++);
          break;
        case STRING:
          operand = new Operand(OperandKind.LITERAL, t.text(), null, -1);
          break;
        case NUMBER:
          try {
            operand = new Operand(OperandKind.LITERAL, new BigDecimal(t.text()), null, -1);
          } catch (NumberFormatException e) {
            throw syntax("Malformed number literal", t.offset());
          }
          break;
        default:
          pos--;
          throw expected("a literal or query parameter");
      }
      return new Condition(column, op.text().equals("<>") ? "!=" : op.text(), operand);
    }
  }

  private static boolean isReserved(String word) {
    switch (word.toUpperCase(Locale.ROOT)) {
      case "SELECT":
      case "FROM":
      case "WHERE":
      case "AND":
      case "OR":
      case "ORDER":
      case "BY":
      case "LIMIT":
      case "AS":
      case "ASC":
      case "DESC":
        return true;
      default:
        return false;
    }
  }

  /** Parses {@code sql} or throws {@link SqlException}. */
  static Query parse(String sql) {
    if (sql.isBlank()) {
      throw new SqlException("Syntax error: Unexpected end of script");
    }
    return new Parser(tokenize(sql)).query();
  }

  // ---------------------------------------------------------------- execution

  /**
   * Runs {@code query} against {@code table}. {@code parameters} is the request's
   * {@code queryParameters}: a JSON object for {@code @name}, an array for {@code ?}, or missing.
   */
  static Result execute(Query query, DemoTable table, Optional<JsonNode> parameters) {
    List<Object> operandValues = new ArrayList<>();
    for (Condition c : query.where()) {
      String type = columnType(table, c.column());
      Object value = operandValue(c.operand(), parameters);
      checkComparable(type, value, c.op());
      operandValues.add(value);
    }
    // ORDER BY may name a select-list alias, as in BigQuery; resolve it to the column behind it.
    List<String> orderColumns = new ArrayList<>();
    for (Order o : query.orderBy()) {
      String column = o.column();
      for (SelectItem item : query.items()) {
        if (item.alias().equalsIgnoreCase(column)) {
          column = item.column();
          break;
        }
      }
      columnType(table, column);
      orderColumns.add(column.toLowerCase(Locale.ROOT));
    }
    List<Column> schema = new ArrayList<>();
    if (query.countAlias().isPresent()) {
      schema.add(new Column(query.countAlias().get(), DemoTable.NUMBER));
    } else if (query.items().isEmpty()) {
      table.columns().forEach((name, type) -> schema.add(new Column(name, type)));
    } else {
      for (SelectItem item : query.items()) {
        schema.add(new Column(item.alias(), columnType(table, item.column())));
      }
    }

    List<Map<String, Object>> matching = new ArrayList<>();
    for (Map<String, Object> row : table.rows()) {
      boolean keep = true;
      for (int i = 0; i < query.where().size() && keep; i++) {
        Condition c = query.where().get(i);
        keep = matches(row.get(c.column().toLowerCase(Locale.ROOT)), c.op(), operandValues.get(i));
      }
      if (keep) {
        matching.add(row);
      }
    }
    if (!query.orderBy().isEmpty()) {
      Comparator<Map<String, Object>> order = null;
      for (int i = 0; i < query.orderBy().size(); i++) {
        Order o = query.orderBy().get(i);
        String key = orderColumns.get(i);
        Comparator<Map<String, Object>> c = (a, b) -> compareValues(a.get(key), b.get(key));
        if (o.descending()) {
          c = c.reversed();
        }
        order = order == null ? c : order.thenComparing(c);
      }
      matching.sort(order);
    }

    List<Map<String, Object>> rows = new ArrayList<>();
    if (query.countAlias().isPresent()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put(query.countAlias().get(), (long) matching.size());
      rows.add(row);
    } else {
      for (Map<String, Object> source : matching) {
        Map<String, Object> row = new LinkedHashMap<>();
        if (query.items().isEmpty()) {
          row.putAll(source);
        } else {
          for (SelectItem item : query.items()) {
            row.put(item.alias(), source.get(item.column().toLowerCase(Locale.ROOT)));
          }
        }
        rows.add(row);
      }
    }
    if (query.limit().isPresent() && rows.size() > query.limit().getAsLong()) {
      rows = new ArrayList<>(rows.subList(0, (int) query.limit().getAsLong()));
    }
    // A made-up but stable figure: every scanned cell counts 16 bytes, as if the table were scanned once.
    long bytes = (long) table.rows().size() * table.columns().size() * 16;
    return new Result(rows, List.copyOf(schema), bytes);
  }

  private static String columnType(DemoTable table, String column) {
    return table.columnType(column)
        .orElseThrow(() -> new SqlException("Unrecognized name: " + abbreviate(column)));
  }

  private static Object operandValue(Operand operand, Optional<JsonNode> parameters) {
    switch (operand.kind()) {
      case LITERAL:
        return operand.literal();
      case NAMED: {
        JsonNode params = parameters.orElse(null);
        if (params == null || !params.isObject()) {
          throw new SqlException("Query parameter '" + operand.name() + "' not found");
        }
        JsonNode value = params.get(operand.name());
        if (value == null) {
          throw new SqlException("Query parameter '" + operand.name() + "' not found");
        }
        return jsonValue(value, "'" + operand.name() + "'");
      }
      case POSITIONAL: {
        JsonNode params = parameters.orElse(null);
        if (params == null || !params.isArray() || params.size() <= operand.position()) {
          throw new SqlException("Positional query parameter " + (operand.position() + 1) + " not found");
        }
        return jsonValue(params.get(operand.position()), String.valueOf(operand.position() + 1));
      }
      default:
        throw new IllegalStateException(operand.kind().name());
    }
  }

  private static Object jsonValue(JsonNode value, String which) {
    if (value.isNull()) {
      return null;
    }
    if (value.isTextual()) {
      return value.textValue();
    }
    if (value.isNumber()) {
      return value.decimalValue();
    }
    if (value.isBoolean()) {
      return value.booleanValue();
    }
    throw new SqlException("Query parameter " + which + " must be a string, number, boolean or null");
  }

  private static void checkComparable(String columnType, Object value, String op) {
    if (value == null) {
      return;
    }
    boolean ok =
        (DemoTable.NUMBER.equals(columnType) && value instanceof BigDecimal)
            || (DemoTable.STRING.equals(columnType) && value instanceof String);
    if (!ok) {
      throw new SqlException(
          "No matching signature for operator "
              + op
              + " for argument types: "
              + sqlType(columnType)
              + ", "
              + (value instanceof String ? "STRING" : value instanceof BigDecimal ? "NUMERIC" : "BOOL"));
    }
  }

  private static String sqlType(String columnType) {
    return DemoTable.NUMBER.equals(columnType) ? "INT64" : "STRING";
  }

  private static boolean matches(Object cell, String op, Object operand) {
    if (cell == null || operand == null) {
      return false; // SQL three-valued logic: a comparison with NULL is never true
    }
    int cmp = compareValues(cell, operand);
    switch (op) {
      case "=":
        return cmp == 0;
      case "!=":
        return cmp != 0;
      case "<":
        return cmp < 0;
      case "<=":
        return cmp <= 0;
      case ">":
        return cmp > 0;
      case ">=":
        return cmp >= 0;
      default:
        throw new IllegalStateException(op);
    }
  }

  private static int compareValues(Object a, Object b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : -1) : 1;
    }
    if (a instanceof String && b instanceof String) {
      return ((String) a).compareTo((String) b);
    }
    return toDecimal(a).compareTo(toDecimal(b));
  }

  private static BigDecimal toDecimal(Object o) {
    if (o instanceof BigDecimal) {
      return (BigDecimal) o;
    }
    return BigDecimal.valueOf(((Number) o).longValue());
  }
}
