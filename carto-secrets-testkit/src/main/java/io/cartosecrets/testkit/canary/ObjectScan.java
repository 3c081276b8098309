package io.cartosecrets.testkit.canary;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.security.CodeSource;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * Finds the objects of this SDK's types a test holds, directly or through other objects of ours,
 * collections, maps, optionals and atomic references, and hands {@code String.valueOf} of each to
 * the scan. Raw strings and byte arrays are never rendered: a test holds its tokens that way on
 * purpose. Test classes and the testkit's own types are walked through but not rendered.
 */
final class ObjectScan {
  private static final String OURS = "io.cartosecrets.";
  private static final String TESTKIT = "io.cartosecrets.testkit.";
  private static final int MAX_DEPTH = 6;
  private static final int MAX_ELEMENTS = 200;

  private ObjectScan() {}

  /** The values of {@code type}'s static fields, as roots for {@link #valuesOf}. */
  static void staticFieldsOf(Class<?> type, List<Object> roots) {
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive()) {
          read(f, null).ifPresent(roots::add);
        }
      }
    }
  }

  /** Calls {@code scan} with a description and {@code String.valueOf} of every object of ours reachable from {@code roots}. */
  static void valuesOf(List<Object> roots, BiConsumer<String, String> scan) {
    valuesOf(roots, ObjectScan::isSdkType, scan);
  }

  /** As {@link #valuesOf(List, BiConsumer)}, rendering the objects whose type {@code rendered} accepts. */
  static void valuesOf(List<Object> roots, Predicate<Class<?>> rendered, BiConsumer<String, String> scan) {
    Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    Deque<Object[]> todo = new ArrayDeque<>(); // {object, depth}
    roots.forEach(r -> todo.add(new Object[] {r, 0}));
    while (!todo.isEmpty()) {
      Object[] next = todo.poll();
      Object o = next[0];
      int depth = (Integer) next[1];
      if (o == null || depth > MAX_DEPTH || !seen.add(o) || isRawValue(o)) {
        continue;
      }
      Class<?> type = o.getClass();
      if (rendered.test(type)) {
        String text;
        try {
          text = String.valueOf(o);
        } catch (RuntimeException e) {
          text = null; // a toString that throws leaks nothing
        }
        scan.accept("String.valueOf(a " + type.getName() + ")", text);
      }
      for (Object child : children(o, type)) {
        todo.add(new Object[] {child, depth + 1});
      }
    }
  }

  private static Iterable<?> children(Object o, Class<?> type) {
    if (o instanceof Collection<?> c) {
      return c.stream().limit(MAX_ELEMENTS).toList();
    }
    if (o instanceof Map<?, ?> m) {
      List<Object> kv = new java.util.ArrayList<>();
      m.entrySet().stream().limit(MAX_ELEMENTS).forEach(e -> {
        kv.add(e.getKey());
        kv.add(e.getValue());
      });
      return kv;
    }
    if (o instanceof Optional<?> opt) {
      return opt.map(List::<Object>of).orElse(List.of());
    }
    if (o instanceof AtomicReference<?> ref) {
      Object v = ref.get();
      return v == null ? List.of() : List.of(v);
    }
    if (type.isArray() && !type.getComponentType().isPrimitive()) {
      return java.util.Arrays.stream((Object[]) o).limit(MAX_ELEMENTS).toList();
    }
    if (!type.getName().startsWith(OURS)) {
      return List.of(); // a library's or the JDK's object: not walked into
    }
    List<Object> fields = new java.util.ArrayList<>();
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        if (!Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive()) {
          read(f, o).ifPresent(fields::add);
        }
      }
    }
    return fields;
  }

  private static Optional<Object> read(Field f, Object owner) {
    try {
      f.setAccessible(true);
      return Optional.ofNullable(f.get(owner));
    } catch (RuntimeException | IllegalAccessException e) {
      return Optional.empty(); // a field the module system keeps closed
    }
  }

  private static boolean isRawValue(Object o) {
    return o instanceof CharSequence || o instanceof byte[] || o instanceof char[] || o instanceof Number
        || o instanceof Boolean || o instanceof Character || o instanceof Class<?>;
  }

  /** One of this SDK's main types: not the testkit's, not a test class. */
  private static boolean isSdkType(Class<?> type) {
    String name = type.getName();
    if (!name.startsWith(OURS) || name.startsWith(TESTKIT) || type.isSynthetic() || name.contains("$$Lambda")) {
      return false;
    }
    CodeSource source = type.getProtectionDomain().getCodeSource();
    return source == null || !source.getLocation().getPath().contains("/test-classes/");
  }
}
