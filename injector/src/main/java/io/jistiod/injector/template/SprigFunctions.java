package io.jistiod.injector.template;

import static io.jistiod.injector.template.ArityFunction.sig;

import com.google.protobuf.Message;
import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * sprig v3.3.0's TxtFuncMap (the version Istio 1.27 pins), written from its documented and observed
 * behaviour. Functions whose results cannot be reproduced (random, clock, crypto, DNS) are
 * registered so templates parse as in Go, and fail when called.
 */
final class SprigFunctions {
  private SprigFunctions() {}

  static Map<String, GoFunction> all(Function<String, String> environment) {
    Map<String, GoFunction> m = new HashMap<>();
    strings(m);
    lists(m);
    dicts(m);
    numbers(m);
    defaults(m);
    encodings(m);
    regexes(m);
    m.put("env", sig("string", a -> Objects.requireNonNullElse(environment.apply(s(a, 0)), "")));
    m.put("expandenv", sig("string", a -> expandEnv(s(a, 0), environment)));
    m.put(
        "fail",
        sig(
            "string",
            a -> {
              throw new IllegalStateException(s(a, 0));
            }));
    m.put("semverCompare", sig("string, string", a -> Semver.compare(s(a, 0), s(a, 1))));
    m.put("typeOf", sig("interface {}", a -> GoTypes.typeName(a.get(0))));
    m.put("typeIs", sig("string, interface {}", a -> s(a, 0).equals(GoTypes.typeName(a.get(1)))));
    m.put(
        "typeIsLike",
        sig(
            "string, interface {}",
            a -> {
              String t = GoTypes.typeName(a.get(1));
              return s(a, 0).equals(t) || s(a, 0).equals("*" + t);
            }));
    m.put("kindOf", sig("interface {}", a -> kindOf(a.get(0))));
    m.put("kindIs", sig("string, interface {}", a -> s(a, 0).equals(kindOf(a.get(1)))));
    m.put("deepEqual", sig("interface {}, interface {}", a -> Objects.equals(a.get(0), a.get(1))));
    m.put("base", sig("string", a -> GoPath.base(s(a, 0))));
    m.put("dir", sig("string", a -> GoPath.dir(s(a, 0))));
    m.put("clean", sig("string", a -> GoPath.clean(s(a, 0))));
    m.put("ext", sig("string", a -> GoPath.ext(s(a, 0))));
    m.put("isAbs", sig("string", a -> s(a, 0).startsWith("/")));
    m.put("osBase", m.get("base"));
    m.put("osDir", m.get("dir"));
    m.put("osClean", m.get("clean"));
    m.put("osExt", m.get("ext"));
    m.put("osIsAbs", m.get("isAbs"));
    for (String name :
        List.of(
            "ago",
            "date",
            "date_in_zone",
            "date_modify",
            "dateInZone",
            "dateModify",
            "duration",
            "durationRound",
            "htmlDate",
            "htmlDateInZone",
            "must_date_modify",
            "mustDateModify",
            "mustToDate",
            "now",
            "toDate",
            "unixEpoch",
            "randAlphaNum",
            "randAlpha",
            "randAscii",
            "randNumeric",
            "shuffle",
            "randInt",
            "getHostByName",
            "bcrypt",
            "htpasswd",
            "genPrivateKey",
            "derivePassword",
            "buildCustomCert",
            "genCA",
            "genCAWithKey",
            "genSelfSignedCert",
            "genSelfSignedCertWithKey",
            "genSignedCert",
            "genSignedCertWithKey",
            "encryptAES",
            "decryptAES",
            "randBytes",
            "uuidv4",
            "semver",
            "urlParse",
            "urlJoin",
            "toDecimal",
            "wrap",
            "wrapWith",
            "hello")) {
      m.putIfAbsent(
          name,
          ArityFunction.variadic(
              0,
              a -> {
                throw new UnsupportedOperationException(
                    "sprig function " + name + " is not supported by jistiod");
              }));
    }
    return m;
  }

  static String s(List<Object> a, int i) {
    return (String) a.get(i);
  }

  static int i(List<Object> a, int k) {
    return (int) GoTypes.toLong(a.get(k));
  }

  /** sprig's strval: strings as is, Stringers by String(), everything else by %v. */
  static String strval(Object v) {
    if (v instanceof String str) {
      return str;
    }
    if (v instanceof byte[] b) {
      return new String(b, StandardCharsets.UTF_8);
    }
    return GoFmt.value(v, false);
  }

  /** sprig's strslice. */
  static List<Object> strslice(Object v) {
    List<Object> out = new ArrayList<>();
    if (v instanceof List<?> l) {
      for (Object o : l) {
        if (o != null) {
          out.add(strval(o));
        }
      }
    } else if (v != null) {
      out.add(strval(v));
    }
    return out;
  }

  private static void strings(Map<String, GoFunction> m) {
    m.put(
        "trunc",
        sig(
            "int, string",
            a -> {
              int c = i(a, 0);
              byte[] b = s(a, 1).getBytes(StandardCharsets.UTF_8);
              if (c < 0 && b.length + c > 0) {
                return new String(b, b.length + c, -c, StandardCharsets.UTF_8);
              }
              if (c >= 0 && b.length > c) {
                return new String(b, 0, c, StandardCharsets.UTF_8);
              }
              return s(a, 1);
            }));
    m.put("trim", sig("string", a -> s(a, 0).strip()));
    m.put("upper", sig("string", a -> GoStrings.toUpper(s(a, 0))));
    m.put("lower", sig("string", a -> GoStrings.toLower(s(a, 0))));
    m.put("title", sig("string", a -> GoStrings.title(s(a, 0))));
    m.put(
        "untitle",
        sig(
            "string",
            a -> {
              StringBuilder b = new StringBuilder();
              boolean start = true;
              for (char c : s(a, 0).toCharArray()) {
                b.append(start ? Character.toLowerCase(c) : c);
                start = Character.isWhitespace(c);
              }
              return b.toString();
            }));
    m.put(
        "substr",
        sig(
            "int, int, string",
            a -> {
              byte[] b = s(a, 2).getBytes(StandardCharsets.UTF_8);
              int start = i(a, 0);
              int end = i(a, 1);
              if (start < 0) {
                return new String(b, 0, Math.min(end, b.length), StandardCharsets.UTF_8);
              }
              if (end < 0 || end > b.length) {
                return new String(b, start, b.length - start, StandardCharsets.UTF_8);
              }
              return new String(b, start, end - start, StandardCharsets.UTF_8);
            }));
    m.put("repeat", sig("int, string", a -> s(a, 1).repeat(Math.max(i(a, 0), 0))));
    m.put("trimall", sig("string, string", a -> trim(s(a, 1), s(a, 0), true, true)));
    m.put("trimAll", m.get("trimall"));
    m.put(
        "trimSuffix",
        sig(
            "string, string",
            a ->
                s(a, 1).endsWith(s(a, 0))
                    ? s(a, 1).substring(0, s(a, 1).length() - s(a, 0).length())
                    : s(a, 1)));
    m.put(
        "trimPrefix",
        sig(
            "string, string",
            a -> s(a, 1).startsWith(s(a, 0)) ? s(a, 1).substring(s(a, 0).length()) : s(a, 1)));
    m.put("nospace", sig("string", a -> s(a, 0).replaceAll("\\s", "")));
    m.put(
        "initials",
        sig(
            "string",
            a -> {
              StringBuilder b = new StringBuilder();
              for (String w : s(a, 0).trim().split("\\s+")) {
                if (!w.isEmpty()) {
                  b.appendCodePoint(w.codePointAt(0));
                }
              }
              return b.toString();
            }));
    m.put(
        "swapcase",
        sig(
            "string",
            a -> {
              StringBuilder b = new StringBuilder();
              for (char c : s(a, 0).toCharArray()) {
                b.append(
                    Character.isUpperCase(c)
                        ? Character.toLowerCase(c)
                        : Character.isLowerCase(c) ? Character.toUpperCase(c) : c);
              }
              return b.toString();
            }));
    m.put("snakecase", sig("string", a -> Cases.snake(s(a, 0))));
    m.put("camelcase", sig("string", a -> Cases.camel(s(a, 0))));
    m.put("kebabcase", sig("string", a -> Cases.snake(s(a, 0)).replace('_', '-')));
    m.put("contains", sig("string, string", a -> s(a, 1).contains(s(a, 0))));
    m.put("hasPrefix", sig("string, string", a -> s(a, 1).startsWith(s(a, 0))));
    m.put("hasSuffix", sig("string, string", a -> s(a, 1).endsWith(s(a, 0))));
    m.put(
        "quote",
        sig(
            "interface {}...",
            a -> {
              List<String> out = new ArrayList<>();
              for (Object o : a) {
                if (o != null) {
                  out.add(GoFmt.quote(strval(o)));
                }
              }
              return String.join(" ", out);
            }));
    m.put(
        "squote",
        sig(
            "interface {}...",
            a -> {
              List<String> out = new ArrayList<>();
              for (Object o : a) {
                if (o != null) {
                  out.add("'" + GoFmt.value(o, false) + "'");
                }
              }
              return String.join(" ", out);
            }));
    m.put(
        "cat",
        sig(
            "interface {}...",
            a -> {
              List<Object> nonNil = new ArrayList<>();
              for (Object o : a) {
                if (o != null) {
                  nonNil.add(o);
                }
              }
              String f = "%v ".repeat(nonNil.size()).strip();
              return GoFmt.sprintf(f, nonNil);
            }));
    m.put("indent", sig("int, string", a -> sprigIndent(i(a, 0), s(a, 1))));
    m.put("nindent", sig("int, string", a -> "\n" + sprigIndent(i(a, 0), s(a, 1))));
    m.put("replace", sig("string, string, string", a -> s(a, 2).replace(s(a, 0), s(a, 1))));
    m.put(
        "plural",
        sig("string, string, int", a -> GoTypes.toLong(a.get(2)) == 1 ? s(a, 0) : s(a, 1)));
    m.put("sha1sum", sig("string", a -> hex("SHA-1", s(a, 0))));
    m.put("sha256sum", sig("string", a -> hex("SHA-256", s(a, 0))));
    m.put("sha512sum", sig("string", a -> hex("SHA-512", s(a, 0))));
    m.put(
        "adler32sum",
        sig(
            "string",
            a -> {
              java.util.zip.Adler32 ad = new java.util.zip.Adler32();
              ad.update(s(a, 0).getBytes(StandardCharsets.UTF_8));
              return Long.toString(ad.getValue());
            }));
    m.put("toString", sig("interface {}", a -> strval(a.get(0))));
    m.put(
        "abbrev",
        sig(
            "int, string",
            a -> {
              int w = i(a, 0);
              String str = s(a, 1);
              if (w < 4 || str.length() <= w) {
                return str;
              }
              return str.substring(0, w - 3) + "...";
            }));
    m.put(
        "split",
        sig(
            "string, string",
            a -> {
              Map<Object, Object> res = new LinkedHashMap<>();
              List<String> parts = GoPath.split(s(a, 1), s(a, 0), -1);
              for (int k = 0; k < parts.size(); k++) {
                res.put("_" + k, parts.get(k));
              }
              return new TypedMap(res, "");
            }));
    m.put(
        "splitn",
        sig(
            "string, int, string",
            a -> {
              Map<Object, Object> res = new LinkedHashMap<>();
              List<String> parts = GoPath.split(s(a, 2), s(a, 0), i(a, 1));
              for (int k = 0; k < parts.size(); k++) {
                res.put("_" + k, parts.get(k));
              }
              return new TypedMap(res, "");
            }));
    m.put(
        "splitList",
        sig("string, string", a -> new ArrayList<Object>(GoPath.split(s(a, 1), s(a, 0), -1))));
    m.put("toStrings", sig("interface {}", a -> strslice(a.get(0))));
    m.put(
        "join",
        sig(
            "string, interface {}",
            a -> {
              List<String> parts = new ArrayList<>();
              for (Object o : strslice(a.get(1))) {
                parts.add((String) o);
              }
              return String.join(s(a, 0), parts);
            }));
    m.put(
        "sortAlpha",
        sig(
            "interface {}",
            a -> {
              List<Object> l =
                  a.get(0) instanceof List ? strslice(a.get(0)) : List.of(strval(a.get(0)));
              List<Object> sorted = new ArrayList<>(l);
              sorted.sort((x, y) -> GoFmt.compareUtf8((String) x, (String) y));
              return sorted;
            }));
  }

  static String sprigIndent(int spaces, String v) {
    String pad = " ".repeat(Math.max(spaces, 0));
    return pad + v.replace("\n", "\n" + pad);
  }

  private static String trim(String s, String cutset, boolean left, boolean right) {
    int start = 0;
    int end = s.length();
    while (left && start < end && cutset.indexOf(s.charAt(start)) >= 0) {
      start++;
    }
    while (right && end > start && cutset.indexOf(s.charAt(end - 1)) >= 0) {
      end--;
    }
    return s.substring(start, end);
  }

  private static String hex(String algo, String s) throws Exception {
    byte[] d = MessageDigest.getInstance(algo).digest(s.getBytes(StandardCharsets.UTF_8));
    StringBuilder b = new StringBuilder();
    for (byte x : d) {
      b.append(String.format("%02x", x & 0xff));
    }
    return b.toString();
  }

  private static List<?> listArg(Object v, String what) {
    if (v instanceof List<?> l) {
      return l;
    }
    if (v instanceof byte[] bytes) {
      List<Object> l = new ArrayList<>();
      for (byte x : bytes) {
        l.add((long) (x & 0xff));
      }
      return l;
    }
    throw new IllegalArgumentException(
        "Cannot " + what + " on type " + (v == null ? "invalid" : kindOf(v)));
  }

  private static void lists(Map<String, GoFunction> m) {
    m.put("list", sig("interface {}...", a -> new ArrayList<>(a)));
    m.put("tuple", m.get("list"));
    GoFunction push =
        sig(
            "interface {}, interface {}",
            a -> {
              List<Object> l = new ArrayList<>(listArg(a.get(0), "push"));
              l.add(a.get(1));
              return l;
            });
    m.put("append", push);
    m.put("push", push);
    m.put("mustAppend", push);
    m.put("mustPush", push);
    GoFunction prepend =
        sig(
            "interface {}, interface {}",
            a -> {
              List<Object> l = new ArrayList<>(listArg(a.get(0), "prepend"));
              l.add(0, a.get(1));
              return l;
            });
    m.put("prepend", prepend);
    m.put("mustPrepend", prepend);
    GoFunction first =
        sig(
            "interface {}",
            a -> {
              List<?> l = listArg(a.get(0), "find first");
              return l.isEmpty() ? null : l.get(0);
            });
    m.put("first", first);
    m.put("mustFirst", first);
    GoFunction last =
        sig(
            "interface {}",
            a -> {
              List<?> l = listArg(a.get(0), "find last");
              return l.isEmpty() ? null : l.get(l.size() - 1);
            });
    m.put("last", last);
    m.put("mustLast", last);
    GoFunction rest =
        sig(
            "interface {}",
            a -> {
              List<?> l = listArg(a.get(0), "find rest");
              return l.isEmpty() ? null : new ArrayList<>(l.subList(1, l.size()));
            });
    m.put("rest", rest);
    m.put("mustRest", rest);
    GoFunction initial =
        sig(
            "interface {}",
            a -> {
              List<?> l = listArg(a.get(0), "find initial");
              return l.isEmpty() ? null : new ArrayList<>(l.subList(0, l.size() - 1));
            });
    m.put("initial", initial);
    m.put("mustInitial", initial);
    GoFunction reverse =
        sig(
            "interface {}",
            a -> {
              List<Object> l = new ArrayList<>(listArg(a.get(0), "find reverse"));
              java.util.Collections.reverse(l);
              return l;
            });
    m.put("reverse", reverse);
    m.put("mustReverse", reverse);
    GoFunction uniq =
        sig(
            "interface {}",
            a -> {
              List<Object> out = new ArrayList<>();
              for (Object o : listArg(a.get(0), "find uniq")) {
                if (!out.contains(o)) {
                  out.add(o);
                }
              }
              return out;
            });
    m.put("uniq", uniq);
    m.put("mustUniq", uniq);
    GoFunction without =
        sig(
            "interface {}, interface {}...",
            a -> {
              List<Object> out = new ArrayList<>();
              List<Object> omit = a.subList(1, a.size());
              for (Object o : listArg(a.get(0), "find without")) {
                if (!omit.contains(o)) {
                  out.add(o);
                }
              }
              return out;
            });
    m.put("without", without);
    m.put("mustWithout", without);
    GoFunction has =
        sig(
            "interface {}, interface {}",
            a -> a.get(1) != null && listArg(a.get(1), "find has").contains(a.get(0)));
    m.put("has", has);
    m.put("mustHas", has);
    GoFunction compact =
        sig(
            "interface {}",
            a -> {
              List<Object> out = new ArrayList<>();
              for (Object o : listArg(a.get(0), "compact")) {
                if (!empty(o)) {
                  out.add(o);
                }
              }
              return out;
            });
    m.put("compact", compact);
    m.put("mustCompact", compact);
    GoFunction slice =
        sig(
            "interface {}, interface {}...",
            a -> {
              if (!(a.get(0) instanceof List)) {
                throw new IllegalArgumentException(
                    "list should be type of slice or array but " + kindOf(a.get(0)));
              }
              List<?> l = listArg(a.get(0), "slice");
              int start = a.size() > 1 ? (int) toInt64(a.get(1)) : 0;
              int end = a.size() > 2 ? (int) toInt64(a.get(2)) : l.size();
              if (start < 0 || end < start || end > l.size()) {
                throw new IllegalArgumentException(
                    "reflect.Value.Slice: slice index out of bounds");
              }
              return new ArrayList<>(l.subList(start, end));
            });
    m.put("slice", slice);
    m.put("mustSlice", slice);
    m.put(
        "concat",
        sig(
            "interface {}...",
            a -> {
              List<Object> out = new ArrayList<>();
              for (Object o : a) {
                out.addAll(listArg(o, "concat"));
              }
              return out;
            }));
    GoFunction chunk =
        sig(
            "int, interface {}",
            a -> {
              int size = i(a, 0);
              List<?> l = listArg(a.get(1), "chunk");
              List<Object> out = new ArrayList<>();
              for (int k = 0; k < l.size(); k += size) {
                out.add(new ArrayList<>(l.subList(k, Math.min(k + size, l.size()))));
              }
              return out;
            });
    m.put("chunk", chunk);
    m.put("mustChunk", chunk);
    m.put("until", sig("int", a -> untilStep(0, i(a, 0), i(a, 0) < 0 ? -1 : 1)));
    m.put("untilStep", sig("int, int, int", a -> untilStep(i(a, 0), i(a, 1), i(a, 2))));
    m.put(
        "seq",
        sig(
            "int...",
            a -> {
              List<Object> out = new ArrayList<>();
              int start = 1;
              int end;
              int step = 1;
              if (a.isEmpty()) {
                return "";
              } else if (a.size() == 1) {
                end = i(a, 0);
                step = end < start ? -1 : 1;
              } else if (a.size() == 2) {
                start = i(a, 0);
                end = i(a, 1);
                step = end < start ? -1 : 1;
              } else if (a.size() == 3) {
                start = i(a, 0);
                step = i(a, 1);
                end = i(a, 2);
              } else {
                return "";
              }
              for (Object o : untilStep(start, end + (step > 0 ? 1 : -1), step)) {
                out.add(String.valueOf(o));
              }
              return String.join(" ", out.stream().map(String::valueOf).toList());
            }));
  }

  static List<Object> untilStep(int start, int stop, int step) {
    List<Object> v = new ArrayList<>();
    if (stop < start) {
      if (step >= 0) {
        return v;
      }
      for (long k = start; k > stop; k += step) {
        v.add(k);
      }
      return v;
    }
    if (step <= 0) {
      return v;
    }
    for (long k = start; k < stop; k += step) {
      v.add(k);
    }
    return v;
  }

  @SuppressWarnings("unchecked")
  private static Map<Object, Object> dict(Object o) {
    return (Map<Object, Object>) o;
  }

  private static void dicts(Map<String, GoFunction> m) {
    m.put(
        "dict",
        sig(
            "interface {}...",
            a -> {
              Map<Object, Object> d = new LinkedHashMap<>();
              for (int k = 0; k < a.size(); k += 2) {
                d.put(strval(a.get(k)), k + 1 < a.size() ? a.get(k + 1) : "");
              }
              return d;
            }));
    m.put(
        "get",
        sig(
            "map[string]interface {}, string",
            a -> {
              Map<Object, Object> d = dict(a.get(0));
              return d != null && d.containsKey(a.get(1)) ? d.get(a.get(1)) : "";
            }));
    m.put(
        "set",
        sig(
            "map[string]interface {}, string, interface {}",
            a -> {
              dict(a.get(0)).put(a.get(1), a.get(2));
              return a.get(0);
            }));
    m.put(
        "unset",
        sig(
            "map[string]interface {}, string",
            a -> {
              dict(a.get(0)).remove(a.get(1));
              return a.get(0);
            }));
    m.put(
        "hasKey",
        sig(
            "map[string]interface {}, string",
            a -> a.get(0) != null && dict(a.get(0)).containsKey(a.get(1))));
    m.put(
        "pluck",
        sig(
            "string, map[string]interface {}...",
            a -> {
              List<Object> out = new ArrayList<>();
              for (Object d : a.subList(1, a.size())) {
                if (d != null && dict(d).containsKey(a.get(0))) {
                  out.add(dict(d).get(a.get(0)));
                }
              }
              return out;
            }));
    m.put(
        "keys",
        sig(
            "map[string]interface {}...",
            a -> {
              List<Object> out = new ArrayList<>();
              for (Object d : a) {
                if (d != null) {
                  out.addAll(dict(d).keySet());
                }
              }
              return out;
            }));
    m.put(
        "values",
        sig(
            "map[string]interface {}",
            a -> new ArrayList<>(a.get(0) == null ? List.of() : dict(a.get(0)).values())));
    m.put(
        "pick",
        sig(
            "map[string]interface {}, string...",
            a -> {
              Map<Object, Object> res = new LinkedHashMap<>();
              Map<Object, Object> d = dict(a.get(0));
              for (Object k : a.subList(1, a.size())) {
                if (d != null && d.containsKey(k)) {
                  res.put(k, d.get(k));
                }
              }
              return res;
            }));
    m.put(
        "omit",
        sig(
            "map[string]interface {}, string...",
            a -> {
              Map<Object, Object> res = new LinkedHashMap<>();
              List<Object> keys = a.subList(1, a.size());
              if (a.get(0) != null) {
                dict(a.get(0))
                    .forEach(
                        (k, v) -> {
                          if (!keys.contains(k)) {
                            res.put(k, v);
                          }
                        });
              }
              return res;
            }));
    GoFunction merge =
        sig(
            "map[string]interface {}, map[string]interface {}...",
            a -> {
              Map<Object, Object> dst = dict(a.get(0));
              for (Object src : a.subList(1, a.size())) {
                Merging.merge(dst, dict(src), false);
              }
              return dst;
            });
    m.put("merge", merge);
    m.put("mustMerge", merge);
    GoFunction mergeOverwrite =
        sig(
            "map[string]interface {}, map[string]interface {}...",
            a -> {
              Map<Object, Object> dst = dict(a.get(0));
              for (Object src : a.subList(1, a.size())) {
                Merging.merge(dst, dict(src), true);
              }
              return dst;
            });
    m.put("mergeOverwrite", mergeOverwrite);
    m.put("mustMergeOverwrite", mergeOverwrite);
    m.put(
        "dig",
        ArityFunction.variadic(
            0,
            a -> {
              if (a.size() < 3) {
                throw new IllegalArgumentException("dig needs at least three arguments");
              }
              Object cur = a.get(a.size() - 1);
              Object def = a.get(a.size() - 2);
              for (Object k : a.subList(0, a.size() - 2)) {
                if (!(cur instanceof Map<?, ?> d) || !d.containsKey(k)) {
                  return def;
                }
                cur = d.get(k);
              }
              return cur;
            }));
    GoFunction deepCopy = sig("interface {}", a -> Merging.deepCopy(a.get(0)));
    m.put("deepCopy", deepCopy);
    m.put("mustDeepCopy", deepCopy);
  }

  /** spf13/cast's ToInt64 as sprig uses it: lenient, 0 when it cannot convert. */
  static long toInt64(Object v) {
    if (v instanceof GoEnum e) {
      return e.number();
    }
    if (GoTypes.isInt(v)) {
      return ((Number) v).longValue();
    }
    if (GoTypes.isFloat(v)) {
      return (long) ((Number) v).doubleValue();
    }
    if (v instanceof Boolean b) {
      return b ? 1 : 0;
    }
    if (v instanceof String str) {
      String t = str.contains(".") ? str.replaceAll("\\.0*$", "") : str;
      try {
        return GoNumbers.parseInt(t);
      } catch (NumberFormatException e) {
        return 0;
      }
    }
    return 0;
  }

  static double toFloat64(Object v) {
    if (GoTypes.isInt(v) || GoTypes.isFloat(v)) {
      return ((Number) v).doubleValue();
    }
    if (v instanceof Boolean b) {
      return b ? 1 : 0;
    }
    if (v instanceof String str) {
      try {
        return Double.parseDouble(str);
      } catch (NumberFormatException e) {
        return 0;
      }
    }
    return 0;
  }

  private static void numbers(Map<String, GoFunction> m) {
    m.put(
        "atoi",
        sig(
            "string",
            a -> {
              try {
                return Long.parseLong(s(a, 0).startsWith("+") ? s(a, 0).substring(1) : s(a, 0));
              } catch (NumberFormatException e) {
                return 0L;
              }
            }));
    m.put("int64", sig("interface {}", a -> toInt64(a.get(0))));
    m.put("int", sig("interface {}", a -> toInt64(a.get(0))));
    m.put("float64", sig("interface {}", a -> toFloat64(a.get(0))));
    m.put("add1", sig("interface {}", a -> toInt64(a.get(0)) + 1));
    m.put(
        "add",
        sig(
            "interface {}...",
            a -> {
              long sum = 0;
              for (Object o : a) {
                sum += toInt64(o);
              }
              return sum;
            }));
    m.put("sub", sig("interface {}, interface {}", a -> toInt64(a.get(0)) - toInt64(a.get(1))));
    m.put(
        "div",
        sig(
            "interface {}, interface {}",
            a -> {
              long d = toInt64(a.get(1));
              if (d == 0) {
                throw new ArithmeticException("runtime error: integer divide by zero");
              }
              return toInt64(a.get(0)) / d;
            }));
    m.put(
        "mod",
        sig(
            "interface {}, interface {}",
            a -> {
              long d = toInt64(a.get(1));
              if (d == 0) {
                throw new ArithmeticException("runtime error: integer divide by zero");
              }
              return toInt64(a.get(0)) % d;
            }));
    m.put(
        "mul",
        sig(
            "interface {}, interface {}...",
            a -> {
              long v = toInt64(a.get(0));
              for (Object o : a.subList(1, a.size())) {
                v *= toInt64(o);
              }
              return v;
            }));
    GoFunction max =
        sig(
            "interface {}, interface {}...",
            a -> {
              long v = toInt64(a.get(0));
              for (Object o : a.subList(1, a.size())) {
                v = Math.max(v, toInt64(o));
              }
              return v;
            });
    m.put("max", max);
    m.put("biggest", max);
    m.put(
        "min",
        sig(
            "interface {}, interface {}...",
            a -> {
              long v = toInt64(a.get(0));
              for (Object o : a.subList(1, a.size())) {
                v = Math.min(v, toInt64(o));
              }
              return v;
            }));
    m.put(
        "maxf",
        sig(
            "interface {}, interface {}...",
            a -> {
              double v = toFloat64(a.get(0));
              for (Object o : a.subList(1, a.size())) {
                v = Math.max(v, toFloat64(o));
              }
              return v;
            }));
    m.put(
        "minf",
        sig(
            "interface {}, interface {}...",
            a -> {
              double v = toFloat64(a.get(0));
              for (Object o : a.subList(1, a.size())) {
                v = Math.min(v, toFloat64(o));
              }
              return v;
            }));
    m.put("add1f", sig("interface {}", a -> decimal(a.get(0), List.of(1L), BigDecimal::add)));
    m.put("addf", sig("interface {}...", a -> decimal(0.0, a, BigDecimal::add)));
    m.put(
        "subf",
        sig(
            "interface {}, interface {}...",
            a -> decimal(a.get(0), a.subList(1, a.size()), BigDecimal::subtract)));
    m.put(
        "mulf",
        sig(
            "interface {}, interface {}...",
            a -> decimal(a.get(0), a.subList(1, a.size()), BigDecimal::multiply)));
    m.put(
        "divf",
        sig(
            "interface {}, interface {}...",
            a ->
                decimal(
                    a.get(0),
                    a.subList(1, a.size()),
                    (x, y) -> x.divide(y, new MathContext(34, RoundingMode.HALF_EVEN)))));
    m.put("ceil", sig("interface {}", a -> Math.ceil(toFloat64(a.get(0)))));
    m.put("floor", sig("interface {}", a -> Math.floor(toFloat64(a.get(0)))));
    m.put(
        "round",
        sig(
            "interface {}, int, float64...",
            a -> {
              double val = toFloat64(a.get(0));
              double roundOn = a.size() > 2 ? toFloat64(a.get(2)) : 0.5;
              double pow = Math.pow(10, i(a, 1));
              double digit = pow * val;
              double div = digit - Math.floor(digit);
              double round = div >= roundOn ? Math.ceil(digit) : Math.floor(digit);
              return round / pow;
            }));
  }

  private static double decimal(
      Object first, List<Object> rest, java.util.function.BinaryOperator<BigDecimal> op) {
    BigDecimal v = new BigDecimal(Double.toString(toFloat64(first)));
    for (Object o : rest) {
      v = op.apply(v, new BigDecimal(Double.toString(toFloat64(o))));
    }
    return v.doubleValue();
  }

  /** sprig's empty: Go's zero values and empty collections. */
  static boolean empty(Object v) {
    if (v == null || v == NoValue.I || v instanceof GoNil) {
      return true;
    }
    if (v instanceof GoStruct || v instanceof Message || K8sAccess.isModel(v)) {
      return false;
    }
    return !GoTypes.isTrue(v);
  }

  private static void defaults(Map<String, GoFunction> m) {
    m.put(
        "default",
        sig(
            "interface {}, interface {}...",
            a -> a.size() < 2 || empty(a.get(1)) ? a.get(0) : a.get(1)));
    m.put("empty", sig("interface {}", a -> empty(a.get(0))));
    m.put(
        "coalesce",
        sig(
            "interface {}...",
            a -> {
              for (Object o : a) {
                if (!empty(o)) {
                  return o;
                }
              }
              return null;
            }));
    m.put("all", sig("interface {}...", a -> a.stream().noneMatch(SprigFunctions::empty)));
    m.put(
        "any",
        sig("interface {}...", a -> a.isEmpty() ? false : a.stream().anyMatch(o -> !empty(o))));
    m.put(
        "ternary",
        sig("interface {}, interface {}, bool", a -> (Boolean) a.get(2) ? a.get(0) : a.get(1)));
    m.put("fromJson", sig("string", a -> InjectionFunctions.fromJson(s(a, 0), null)));
    m.put(
        "mustFromJson",
        sig(
            "string",
            a -> {
              Object sentinel = new Object();
              Object v = InjectionFunctions.fromJson(s(a, 0), sentinel);
              if (v == sentinel) {
                throw new IllegalArgumentException("invalid JSON");
              }
              return v;
            }));
    GoFunction toJson = sig("interface {}", a -> GoJson.marshal(a.get(0)));
    m.put("toJson", toJson);
    m.put("mustToJson", toJson);
    GoFunction pretty = sig("interface {}", a -> GoJson.marshalIndent(a.get(0), "  "));
    m.put("toPrettyJson", pretty);
    m.put("mustToPrettyJson", pretty);
    GoFunction raw =
        sig(
            "interface {}",
            a ->
                GoJson.marshal(a.get(0))
                    .replace("\\u003c", "<")
                    .replace("\\u003e", ">")
                    .replace("\\u0026", "&"));
    m.put("toRawJson", raw);
    m.put("mustToRawJson", raw);
  }

  private static void encodings(Map<String, GoFunction> m) {
    m.put(
        "b64enc",
        sig(
            "string",
            a -> Base64.getEncoder().encodeToString(s(a, 0).getBytes(StandardCharsets.UTF_8))));
    m.put(
        "b64dec",
        sig(
            "string",
            a -> {
              try {
                return new String(Base64.getDecoder().decode(s(a, 0)), StandardCharsets.UTF_8);
              } catch (IllegalArgumentException e) {
                return "illegal base64 data at input byte " + badBase64(s(a, 0));
              }
            }));
    m.put("b32enc", sig("string", a -> Base32.encode(s(a, 0).getBytes(StandardCharsets.UTF_8))));
    m.put("b32dec", sig("string", a -> Base32.decode(s(a, 0))));
  }

  private static int badBase64(String s) {
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      if (!(Character.isLetterOrDigit(c) || c == '+' || c == '/' || c == '=')) {
        return k;
      }
    }
    return s.length() - s.length() % 4;
  }

  private static void regexes(Map<String, GoFunction> m) {
    GoFunction match = sig("string, string", a -> Pattern.compile(s(a, 0)).matcher(s(a, 1)).find());
    m.put("regexMatch", match);
    m.put("mustRegexMatch", match);
    GoFunction findAll =
        sig(
            "string, string, int",
            a -> {
              Matcher mt = Pattern.compile(s(a, 0)).matcher(s(a, 1));
              List<Object> out = new ArrayList<>();
              int n = i(a, 2);
              while (mt.find() && (n < 0 || out.size() < n)) {
                out.add(mt.group());
              }
              return out;
            });
    m.put("regexFindAll", findAll);
    m.put("mustRegexFindAll", findAll);
    GoFunction find =
        sig(
            "string, string",
            a -> {
              Matcher mt = Pattern.compile(s(a, 0)).matcher(s(a, 1));
              return mt.find() ? mt.group() : "";
            });
    m.put("regexFind", find);
    m.put("mustRegexFind", find);
    GoFunction replaceAll =
        sig(
            "string, string, string",
            a -> GoRegexReplace.replaceAll(Pattern.compile(s(a, 0)), s(a, 1), s(a, 2), true));
    m.put("regexReplaceAll", replaceAll);
    m.put("mustRegexReplaceAll", replaceAll);
    GoFunction replaceLiteral =
        sig(
            "string, string, string",
            a -> GoRegexReplace.replaceAll(Pattern.compile(s(a, 0)), s(a, 1), s(a, 2), false));
    m.put("regexReplaceAllLiteral", replaceLiteral);
    m.put("mustRegexReplaceAllLiteral", replaceLiteral);
    GoFunction split =
        sig(
            "string, string, int",
            a -> {
              int n = i(a, 2);
              if (n == 0) {
                return null;
              }
              String[] parts = Pattern.compile(s(a, 0)).split(s(a, 1), n < 0 ? -1 : n);
              return new ArrayList<Object>(List.of(parts));
            });
    m.put("regexSplit", split);
    m.put("mustRegexSplit", split);
    m.put("regexQuoteMeta", sig("string", a -> GoRegexQuote.quoteMeta(s(a, 0))));
  }

  static String kindOf(Object v) {
    if (v == null || v == NoValue.I) {
      return "invalid";
    }
    if (v instanceof GoNil || v instanceof Message || K8sAccess.isModel(v)) {
      return "ptr";
    }
    if (v instanceof String) {
      return "string";
    }
    if (v instanceof Boolean) {
      return "bool";
    }
    if (v instanceof GoEnum) {
      return "int32";
    }
    if (GoTypes.isInt(v)) {
      return "int";
    }
    if (v instanceof Double) {
      return "float64";
    }
    if (v instanceof Map) {
      return "map";
    }
    if (v instanceof List || v instanceof byte[]) {
      return "slice";
    }
    if (v instanceof GoStruct) {
      return "struct";
    }
    if (v instanceof GoFunction) {
      return "func";
    }
    return "struct";
  }

  private static String expandEnv(String s, Function<String, String> env) {
    StringBuilder b = new StringBuilder();
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      if (c != '$' || k + 1 >= s.length()) {
        b.append(c);
        continue;
      }
      int e;
      String name;
      if (s.charAt(k + 1) == '{') {
        e = s.indexOf('}', k);
        if (e < 0) {
          b.append(c);
          continue;
        }
        name = s.substring(k + 2, e);
        k = e;
      } else {
        e = k + 1;
        while (e < s.length() && (Character.isLetterOrDigit(s.charAt(e)) || s.charAt(e) == '_')) {
          e++;
        }
        name = s.substring(k + 1, e);
        if (name.isEmpty()) {
          b.append(c);
          continue;
        }
        k = e - 1;
      }
      b.append(Objects.requireNonNullElse(env.apply(name), ""));
    }
    return b.toString();
  }
}
