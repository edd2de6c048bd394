package io.jistiod.injector;

/** Go's strconv.ParseBool. */
final class GoBool {
  private GoBool() {}

  /** The value, or null when Go would return an error. */
  static Boolean parse(String s) {
    return switch (s) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      case "0", "f", "F", "FALSE", "false", "False" -> false;
      default -> null;
    };
  }
}
