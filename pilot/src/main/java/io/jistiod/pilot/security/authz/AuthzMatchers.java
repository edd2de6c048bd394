package io.jistiod.pilot.security.authz;

import io.envoyproxy.envoy.config.route.v3.HeaderMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ListMatcher;
import io.envoyproxy.envoy.type.matcher.v3.MetadataMatcher;
import io.envoyproxy.envoy.type.matcher.v3.OrMatcher;
import io.envoyproxy.envoy.type.matcher.v3.PathMatcher;
import io.envoyproxy.envoy.type.matcher.v3.RegexMatcher;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.matcher.v3.ValueMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * Istio's wildcard rules for AuthorizationPolicy values turned into Envoy matchers: {@code *} is
 * "present / non-empty", {@code *x} a suffix, {@code x*} a prefix, anything else exact. {@code *}
 * is tested first so an empty prefix or suffix (which Envoy refuses) is never produced.
 */
public final class AuthzMatchers {
  private AuthzMatchers() {}

  public static StringMatcher string(String v) {
    return stringWithPrefix(v, "");
  }

  /** {@code v} matched with {@code prefix} prepended (e.g. {@code spiffe://} for principals). */
  public static StringMatcher stringWithPrefix(String v, String prefix) {
    if (v.equals("*")) {
      return regex(".+");
    }
    if (v.startsWith("*")) {
      return prefix.isEmpty()
          ? suffix(v.substring(1), false)
          : regex(prefix + ".*" + v.substring(1));
    }
    if (v.endsWith("*")) {
      return prefix(prefix + v.substring(0, v.length() - 1), false);
    }
    return exact(prefix + v, false);
  }

  public static StringMatcher regex(String regex) {
    return StringMatcher.newBuilder()
        .setSafeRegex(RegexMatcher.newBuilder().setRegex(regex))
        .build();
  }

  public static StringMatcher prefix(String p, boolean ignoreCase) {
    return StringMatcher.newBuilder().setPrefix(p).setIgnoreCase(ignoreCase).build();
  }

  public static StringMatcher suffix(String s, boolean ignoreCase) {
    return StringMatcher.newBuilder().setSuffix(s).setIgnoreCase(ignoreCase).build();
  }

  public static StringMatcher exact(String e, boolean ignoreCase) {
    return StringMatcher.newBuilder().setExact(e).setIgnoreCase(ignoreCase).build();
  }

  /** A request header; header values are case-sensitive. */
  public static HeaderMatcher header(String name, String v) {
    return headerMatcher(name, v, false);
  }

  /** The {@code :authority} header: host names compare case-insensitively. */
  public static HeaderMatcher host(String name, String v) {
    return headerMatcher(name, v, true);
  }

  private static HeaderMatcher headerMatcher(String name, String v, boolean ignoreCase) {
    HeaderMatcher.Builder b = HeaderMatcher.newBuilder().setName(name);
    if (v.equals("*")) {
      return b.setPresentMatch(true).build();
    }
    if (v.startsWith("*")) {
      return b.setStringMatch(suffix(v.substring(1), ignoreCase)).build();
    }
    if (v.endsWith("*")) {
      return b.setStringMatch(prefix(v.substring(0, v.length() - 1), ignoreCase)).build();
    }
    return b.setStringMatch(exact(v, ignoreCase)).build();
  }

  public static PathMatcher path(String v) {
    return PathMatcher.newBuilder().setPath(string(v)).build();
  }

  public static ValueMatcher stringValue(StringMatcher m) {
    return ValueMatcher.newBuilder().setStringMatch(m).build();
  }

  /** One value matcher per value, or-ed (a single value is used as is). */
  public static ValueMatcher stringOr(List<String> values) {
    List<ValueMatcher> ms = new ArrayList<>();
    for (String v : values) {
      ms.add(stringValue(string(v)));
    }
    return or(ms);
  }

  public static ValueMatcher or(List<ValueMatcher> ms) {
    if (ms.size() == 1) {
      return ms.get(0);
    }
    return ValueMatcher.newBuilder()
        .setOrMatch(OrMatcher.newBuilder().addAllValueMatchers(ms))
        .build();
  }

  public static ValueMatcher oneOf(ValueMatcher m) {
    return ValueMatcher.newBuilder().setListMatch(ListMatcher.newBuilder().setOneOf(m)).build();
  }

  /** Filter metadata at {@code filter}/{@code keys...}. */
  public static MetadataMatcher metadata(String filter, List<String> keys, ValueMatcher value) {
    MetadataMatcher.Builder b = MetadataMatcher.newBuilder().setFilter(filter).setValue(value);
    for (String k : keys) {
      b.addPathBuilder().setKey(k);
    }
    return b.build();
  }

  /**
   * A JWT claim that may be a list or a single value: the claim matches when it is a list holding a
   * matching element or is itself a matching value, as istiod's extended JWT matcher does.
   */
  public static MetadataMatcher listOrValue(String filter, List<String> keys, ValueMatcher value) {
    return metadata(filter, keys, or(List.of(oneOf(value), value)));
  }
}
