package io.jistiod.injector.template;

import java.util.Arrays;
import java.util.List;

/**
 * A function with its Go signature: the argument count (a call with the wrong count fails as Go's
 * does, "wrong number of args for f: want 2 got 1") and, when known, the parameter types Go would
 * check the arguments against ("wrong type for value; expected string; got int").
 *
 * @param min fixed parameters
 * @param variadic whether more may follow (typed as the last entry of {@code types})
 * @param types Go parameter types ({@code interface {}}, string, int, map[string]string, ...), or
 *     null when unchecked
 */
record ArityFunction(int min, boolean variadic, List<String> types, GoFunction fn)
    implements GoFunction {
  static ArityFunction fixed(int n, GoFunction fn) {
    return new ArityFunction(n, false, null, fn);
  }

  static ArityFunction variadic(int min, GoFunction fn) {
    return new ArityFunction(min, true, null, fn);
  }

  /** A typed signature such as {@code "int, string"} or {@code "string, interface {}..."}. */
  static ArityFunction sig(String signature, GoFunction fn) {
    List<String> types =
        signature.isBlank()
            ? List.of()
            : Arrays.stream(signature.split(",")).map(String::trim).toList();
    boolean variadic = !types.isEmpty() && types.get(types.size() - 1).endsWith("...");
    if (variadic) {
      types = new java.util.ArrayList<>(types);
      String last = types.remove(types.size() - 1);
      types.add(last.substring(0, last.length() - 3));
    }
    return new ArityFunction(
        variadic ? types.size() - 1 : types.size(), variadic, List.copyOf(types), fn);
  }

  /** The Go type of argument {@code i}, or null if unchecked. */
  String typeOf(int i) {
    if (types == null || types.isEmpty()) {
      return null;
    }
    return i < types.size() ? types.get(i) : variadic ? types.get(types.size() - 1) : null;
  }

  @Override
  public Object call(List<Object> args) throws Exception {
    return fn.call(args);
  }
}
