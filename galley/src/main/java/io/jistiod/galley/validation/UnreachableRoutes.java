package io.jistiod.galley.validation;

import com.google.protobuf.Message;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.StringMatch;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Warnings for VirtualService rules that can never match: rules after a rule without matches,
 * matches repeated from an earlier rule, and uri prefix matches covered by an earlier, shorter
 * prefix with the same other conditions.
 */
final class UnreachableRoutes {
  private UnreachableRoutes() {}

  static void check(VirtualService vs, Findings f) {
    http(vs.getHttpList(), f);
    List<List<? extends Message>> tcp = new ArrayList<>();
    vs.getTcpList().forEach(r -> tcp.add(r.getMatchList()));
    l4("spec.tcp", tcp, f);
    List<List<? extends Message>> tls = new ArrayList<>();
    vs.getTlsList().forEach(r -> tls.add(r.getMatchList()));
    l4("spec.tls", tls, f);
  }

  private static void unreachable(String path, String rule, String reason, Findings f) {
    f.warning(path, "rule " + rule + " is never used (" + reason + ")");
  }

  private static void ineffective(
      String path, String rule, String match, String earlier, Findings f) {
    f.warning(
        path,
        "rule "
            + rule
            + " match "
            + match
            + " is never used (duplicate or overlapping match in rule "
            + earlier
            + ")");
  }

  private static String routeName(HTTPRoute r, int n) {
    return r.getName().isEmpty() ? "#" + n : "\"" + r.getName() + "\"";
  }

  private static String matchName(HTTPMatchRequest m, int n) {
    return m.getName().isEmpty() ? "#" + n : "\"" + m.getName() + "\"";
  }

  private static void http(List<HTTPRoute> routes, Findings f) {
    Map<HTTPMatchRequest, Integer> seen = new HashMap<>();
    int catchAll = -1;
    List<PrefixMatch> prefixes = new ArrayList<>();
    for (int n = 0; n < routes.size(); n++) {
      Deadline.check();
      HTTPRoute r = routes.get(n);
      String path = "spec.http[" + n + "]";
      if (r.getMatchCount() == 0) {
        if (catchAll >= 0) {
          unreachable(path, routeName(r, n), "only the last rule can have no matches", f);
        }
        catchAll = n;
        continue;
      }
      int duplicates = 0;
      for (int m = 0; m < r.getMatchCount(); m++) {
        Deadline.check();
        HTTPMatchRequest match = r.getMatch(m);
        if (catchAll >= 0) {
          unreachable(path, routeName(r, n), "a rule without matches comes before it", f);
          continue;
        }
        HTTPMatchRequest key = match.toBuilder().clearName().build();
        Integer earlier = seen.get(key);
        if (earlier != null) {
          ineffective(
              path + ".match[" + m + "]",
              routeName(r, n),
              matchName(match, m),
              routeName(routes.get(earlier), earlier),
              f);
          duplicates++;
          continue;
        }
        seen.put(key, n);
        PrefixMatch p = PrefixMatch.of(r, n, match, m);
        if (p != null) {
          prefixes.add(p);
        }
      }
      if (duplicates == r.getMatchCount()) {
        unreachable(path, routeName(r, n), "all its matches are used by earlier rules", f);
      }
    }
    for (int a = 0; a < prefixes.size(); a++) {
      Deadline.check();
      PrefixMatch pa = prefixes.get(a);
      for (int b = a + 1; b < prefixes.size(); b++) {
        Deadline.check();
        PrefixMatch pb = prefixes.get(b);
        if (pb.prefix.equals(pa.prefix)) {
          continue;
        }
        if (pa.covers(pb)) {
          ineffective(
              pb.path,
              pb.route,
              pb.match + " of prefix " + pb.prefix,
              pa.match + " of prefix " + pa.prefix + " on " + pa.route,
              f);
        }
      }
    }
  }

  private static void l4(String base, List<List<? extends Message>> routes, Findings f) {
    Map<Message, Integer> seen = new HashMap<>();
    int catchAll = -1;
    for (int n = 0; n < routes.size(); n++) {
      Deadline.check();
      List<? extends Message> matches = routes.get(n);
      String path = base + "[" + n + "]";
      if (matches.isEmpty()) {
        if (catchAll >= 0) {
          unreachable(path, "#" + n, "only the last rule can have no matches", f);
        }
        catchAll = n;
        continue;
      }
      int duplicates = 0;
      for (int m = 0; m < matches.size(); m++) {
        Deadline.check();
        if (catchAll >= 0) {
          unreachable(path, "#" + n, "a rule without matches comes before it", f);
          continue;
        }
        Integer earlier = seen.get(matches.get(m));
        if (earlier != null) {
          ineffective(path + ".match[" + m + "]", "#" + n, "#" + m, "#" + earlier, f);
          duplicates++;
        } else {
          seen.put(matches.get(m), n);
        }
      }
      if (duplicates == matches.size()) {
        unreachable(path, "#" + n, "all its matches are used by earlier rules", f);
      }
    }
  }

  /** The parts of an HTTP match with a uri prefix that decide whether one covers another. */
  private static final class PrefixMatch {
    String path;
    String route;
    String match;
    String prefix;
    int port;
    String method;
    String authority;
    Map<String, String> headers;
    Map<String, String> queryParams;
    Map<String, String> withoutHeaders;

    static PrefixMatch of(HTTPRoute r, int n, HTTPMatchRequest m, int k) {
      if (!m.hasUri() || m.getUri().getMatchTypeCase() != StringMatch.MatchTypeCase.PREFIX) {
        return null;
      }
      if (m.getUri().getPrefix().isEmpty()) {
        return null;
      }
      PrefixMatch p = new PrefixMatch();
      p.path = "spec.http[" + n + "].match[" + k + "]";
      p.route = routeName(r, n);
      p.match = matchName(m, k);
      p.prefix = m.getUri().getPrefix();
      p.port = m.getPort();
      p.method = exactOrPrefix(m.getMethod());
      if (p.method.isEmpty()) {
        p.method = "exact:GET";
      }
      p.authority = exactOrPrefix(m.getAuthority());
      p.headers = summarize(m.getHeadersMap());
      p.queryParams = summarize(m.getQueryParamsMap());
      p.withoutHeaders = summarize(m.getWithoutHeadersMap());
      return p;
    }

    private static String exactOrPrefix(StringMatch s) {
      if (s.getMatchTypeCase() == StringMatch.MatchTypeCase.EXACT && !s.getExact().isEmpty()) {
        return "exact:" + s.getExact();
      }
      if (s.getMatchTypeCase() == StringMatch.MatchTypeCase.PREFIX && !s.getPrefix().isEmpty()) {
        return "prefix:" + s.getPrefix();
      }
      return "";
    }

    private static Map<String, String> summarize(Map<String, StringMatch> in) {
      Map<String, String> out = new HashMap<>();
      in.forEach((k, v) -> out.put(k, exactOrPrefix(v)));
      return out;
    }

    /** Whether this (earlier) match takes every request {@code later} would take. */
    boolean covers(PrefixMatch later) {
      if (!later.prefix.startsWith(prefix) || port != later.port) {
        return false;
      }
      return looser(method, later.method)
          && looser(authority, later.authority)
          && looser(headers, later.headers)
          && looser(queryParams, later.queryParams)
          && looser(withoutHeaders, later.withoutHeaders);
    }

    private static boolean looser(String a, String b) {
      return a.equals(b) || a.startsWith(b);
    }

    private static boolean looser(Map<String, String> a, Map<String, String> b) {
      if (a.size() != b.size()) {
        return false;
      }
      for (var e : a.entrySet()) {
        Deadline.check();
        String other = b.get(e.getKey());
        if (other == null
            || !(Objects.equals(e.getValue(), other) || e.getValue().startsWith(other))) {
          return false;
        }
      }
      return true;
    }
  }
}
