package io.jistiod.galley.validation;

/** Port numbers, port names and protocols. */
final class Ports {
  private Ports() {}

  static String numberProblem(long n) {
    return n >= 1 && n <= 65535 ? null : "port number " + n + " must be between 1 and 65535";
  }

  static void number(long n, String path, Findings f) {
    f.errorIf(path, numberProblem(n));
  }

  /** Port names are DNS-1123 labels. */
  static void name(String name, String path, Findings f) {
    if (!Labels.isDns1123Label(name)) {
      f.error(path, "invalid port name \"" + name + "\" (must be a DNS-1123 label)");
    }
  }

  /** Empty means "detect the protocol"; anything else must be a protocol Istio knows. */
  static void protocol(String protocol, String path, Findings f) {
    if (!protocol.isEmpty() && Protocols.parse(protocol) == Protocols.UNSUPPORTED) {
      f.error(path, "unsupported protocol \"" + protocol + "\"");
    }
  }
}
