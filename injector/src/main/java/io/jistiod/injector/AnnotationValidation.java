package io.jistiod.injector;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pod annotations istiod checks before injecting (pkg/kube/inject/validate.go); a bad value
 * fails the injection with the annotation's name and the reason, all bad ones listed as Go's
 * multierror lists them.
 */
final class AnnotationValidation {
  @FunctionalInterface
  private interface Check {
    /** The reason the value is wrong, or null. */
    String check(String value);
  }

  private static final Map<String, Check> CHECKS = new LinkedHashMap<>();

  static {
    CHECKS.put("sidecar.istio.io/interceptionMode", AnnotationValidation::interceptionMode);
    CHECKS.put(
        "status.sidecar.istio.io/port", v -> prefixed("excludeInboundPorts invalid: ", port(v)));
    CHECKS.put(
        "readiness.status.sidecar.istio.io/initialDelaySeconds", AnnotationValidation::uint32);
    CHECKS.put("readiness.status.sidecar.istio.io/periodSeconds", AnnotationValidation::uint32);
    CHECKS.put("readiness.status.sidecar.istio.io/failureThreshold", AnnotationValidation::uint32);
    CHECKS.put(
        "traffic.sidecar.istio.io/includeOutboundIPRanges",
        v -> v.equals("*") ? null : prefixed("includeIPRanges invalid: ", cidrs(v)));
    CHECKS.put(
        "traffic.sidecar.istio.io/excludeOutboundIPRanges",
        v -> prefixed("excludeIPRanges invalid: ", cidrs(v)));
    CHECKS.put(
        "traffic.sidecar.istio.io/includeInboundPorts",
        v -> v.equals("*") ? null : ports("includeInboundPorts", v));
    CHECKS.put(
        "traffic.sidecar.istio.io/excludeInboundPorts", v -> ports("excludeInboundPorts", v));
    CHECKS.put(
        "traffic.sidecar.istio.io/excludeOutboundPorts", v -> ports("excludeOutboundPorts", v));
    CHECKS.put("prometheus.istio.io/merge-metrics", AnnotationValidation::bool);
    CHECKS.put(ProxyConfigs.ANNOTATION, AnnotationValidation::proxyConfig);
  }

  private AnnotationValidation() {}

  /** Throws naming every annotation with a bad value. */
  static void validate(Map<String, String> annotations) throws InjectionException {
    List<String> errors = new ArrayList<>();
    for (var e : new TreeMap<>(annotations).entrySet()) {
      Check c = CHECKS.get(e.getKey());
      String reason = c == null ? null : c.check(e.getValue());
      if (reason != null) {
        errors.add(
            "invalid value '" + e.getValue() + "' for annotation '" + e.getKey() + "': " + reason);
      }
    }
    if (errors.isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder();
    sb.append(errors.size()).append(errors.size() == 1 ? " error occurred:" : " errors occurred:");
    for (String e : errors) {
      sb.append("\n\t* ").append(e);
    }
    throw new InjectionException(sb.append("\n\n").toString());
  }

  private static String prefixed(String prefix, String reason) {
    return reason == null ? null : prefix + reason;
  }

  private static String interceptionMode(String v) {
    return switch (v) {
      case "REDIRECT", "TPROXY", "NONE" -> null;
      default -> "interceptionMode invalid, use REDIRECT,TPROXY,NONE: " + v;
    };
  }

  private static String uint32(String v) {
    try {
      long n = Long.parseLong(v);
      if (n < 0 || n > 0xFFFFFFFFL || v.startsWith("+")) {
        throw new NumberFormatException();
      }
      return null;
    } catch (NumberFormatException e) {
      return "strconv.ParseUint: parsing \"" + v + "\": invalid syntax";
    }
  }

  private static String bool(String v) {
    return switch (v) {
      case "1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False" -> null;
      default -> "strconv.ParseBool: parsing \"" + v + "\": invalid syntax";
    };
  }

  private static String port(String v) {
    String s = v.strip();
    try {
      int p = Integer.parseInt(s);
      if (p < 0 || p > 65535 || s.startsWith("+") || s.startsWith("-")) {
        throw new NumberFormatException();
      }
      return null;
    } catch (NumberFormatException e) {
      return "failed parsing port '"
          + v
          + "': strconv.ParseUint: parsing \""
          + s
          + "\": invalid syntax";
    }
  }

  private static String ports(String parameter, String v) {
    String s = v.strip();
    if (s.isEmpty()) {
      return null;
    }
    for (String p : s.split(",", -1)) {
      String reason = port(p);
      if (reason != null) {
        return parameter + " invalid: failed parsing port '" + p + "': " + reason;
      }
    }
    return null;
  }

  private static String cidrs(String v) {
    if (v.isEmpty()) {
      return null;
    }
    for (String cidr : v.split(",", -1)) {
      if (!Cidrs.valid(cidr)) {
        return "failed parsing cidr '" + cidr + "': netip.ParsePrefix(\"" + cidr + "\"): invalid";
      }
    }
    return null;
  }

  private static String proxyConfig(String v) {
    try {
      ProxyConfigs.apply(ProxyConfigs.defaults(), v);
      return null;
    } catch (InjectionException e) {
      return "failed to convert to apply proxy config: " + e.getMessage();
    }
  }

  /** netip.ParsePrefix's acceptance: an IPv4 or IPv6 address, '/', a prefix length in range. */
  static final class Cidrs {
    private Cidrs() {}

    static boolean valid(String s) {
      int slash = s.lastIndexOf('/');
      if (slash < 0) {
        return false;
      }
      String addr = s.substring(0, slash);
      String bits = s.substring(slash + 1);
      if (bits.isEmpty() || bits.length() > 3 || !bits.chars().allMatch(Character::isDigit)) {
        return false;
      }
      if (bits.length() > 1 && bits.charAt(0) == '0') {
        return false;
      }
      int n = Integer.parseInt(bits);
      if (addr.contains(":")) {
        return n <= 128 && ipv6(addr);
      }
      return n <= 32 && ipv4(addr);
    }

    private static boolean ipv4(String a) {
      String[] parts = a.split("\\.", -1);
      if (parts.length != 4) {
        return false;
      }
      for (String p : parts) {
        if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
          return false;
        }
        if (p.length() > 1 && p.charAt(0) == '0') {
          return false;
        }
        if (Integer.parseInt(p) > 255) {
          return false;
        }
      }
      return true;
    }

    private static boolean ipv6(String a) {
      if (a.contains("%")) {
        return false; // a zone is not allowed in a prefix
      }
      try {
        // Java reads "::ffff:1.2.3.4" as an IPv4 address; any successful parse is an IPv6 text.
        return a.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')
            && java.net.InetAddress.getByName("[" + a + "]") != null;
      } catch (java.net.UnknownHostException e) {
        return false;
      }
    }
  }
}
