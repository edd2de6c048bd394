package io.jistiod.injector.template;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Masterminds/semver v3 constraint checks as sprig's semverCompare uses them: comparison operators,
 * x-ranges, tilde and caret ranges, hyphen ranges, AND (space or comma) and OR ("||"), and
 * pre-release versions matching only constraints that name a pre-release.
 */
final class Semver {
  private static final Pattern VERSION =
      Pattern.compile(
          "^v?([0-9]+)(\\.[0-9]+)?(\\.[0-9]+)?(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?"
              + "(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?$");

  private Semver() {}

  record Version(long major, long minor, long patch, String pre) implements Comparable<Version> {
    @Override
    public int compareTo(Version o) {
      int c = Long.compare(major, o.major);
      if (c == 0) {
        c = Long.compare(minor, o.minor);
      }
      if (c == 0) {
        c = Long.compare(patch, o.patch);
      }
      if (c != 0) {
        return c;
      }
      if (pre.isEmpty() || o.pre.isEmpty()) {
        return pre.isEmpty() == o.pre.isEmpty() ? 0 : pre.isEmpty() ? 1 : -1;
      }
      String[] a = pre.split("\\.");
      String[] b = o.pre.split("\\.");
      for (int i = 0; i < Math.min(a.length, b.length); i++) {
        boolean an = a[i].matches("[0-9]+");
        boolean bn = b[i].matches("[0-9]+");
        int d;
        if (an && bn) {
          d = Long.compare(Long.parseLong(a[i]), Long.parseLong(b[i]));
        } else if (an || bn) {
          d = an ? -1 : 1;
        } else {
          d = a[i].compareTo(b[i]);
        }
        if (d != 0) {
          return d;
        }
      }
      return Integer.compare(a.length, b.length);
    }
  }

  static Version parse(String v) {
    Matcher m = VERSION.matcher(v.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("Invalid Semantic Version");
    }
    return new Version(
        Long.parseLong(m.group(1)),
        m.group(2) == null ? 0 : Long.parseLong(m.group(2).substring(1)),
        m.group(3) == null ? 0 : Long.parseLong(m.group(3).substring(1)),
        m.group(5) == null ? "" : m.group(5));
  }

  static boolean compare(String constraint, String version) {
    List<List<String>> ors = new ArrayList<>();
    for (String or : constraint.split("\\|\\|")) {
      List<String> ands = new ArrayList<>();
      String norm = or.trim().replaceAll("\\s*(>=|<=|!=|=>|=<|>|<|=|~>|~|\\^)\\s*", " $1");
      norm = norm.replaceAll("(\\S)\\s+-\\s+(\\S)", "$1 - $2");
      String[] tokens = norm.trim().split("[\\s,]+");
      for (int i = 0; i < tokens.length; i++) {
        if (i + 2 < tokens.length && tokens[i + 1].equals("-")) {
          ands.add(">=" + tokens[i]);
          ands.add("<=" + tokens[i + 2]);
          i += 2;
        } else if (!tokens[i].isEmpty()) {
          ands.add(tokens[i]);
        }
      }
      if (ands.isEmpty()) {
        throw new IllegalArgumentException("improper constraint: " + constraint);
      }
      ors.add(ands);
    }
    Version v = parse(version);
    for (List<String> ands : ors) {
      boolean all = true;
      for (String c : ands) {
        if (!check(c, v)) {
          all = false;
          break;
        }
      }
      if (all) {
        return true;
      }
    }
    return false;
  }

  private static boolean check(String c, Version v) {
    Matcher m = Pattern.compile("^(>=|<=|!=|=>|=<|>|<|=|~>|~|\\^)?\\s*v?(.*)$").matcher(c);
    if (!m.matches()) {
      throw new IllegalArgumentException("improper constraint: " + c);
    }
    String op = m.group(1) == null ? "" : m.group(1);
    String ver = m.group(2);
    String[] parts = ver.split("-", 2)[0].split("\\+", 2)[0].split("\\.");
    int specified = 0;
    boolean wildcard = false;
    for (String p : parts) {
      if (p.equals("x") || p.equals("X") || p.equals("*")) {
        wildcard = true;
        break;
      }
      specified++;
    }
    String pre = ver.contains("-") ? ver.substring(ver.indexOf('-') + 1) : "";
    long major = specified > 0 ? Long.parseLong(parts[0]) : 0;
    long minor = specified > 1 ? Long.parseLong(parts[1]) : 0;
    long patch = specified > 2 ? Long.parseLong(parts[2].replaceAll("[^0-9].*", "")) : 0;
    Version cv = new Version(major, minor, patch, pre);
    if (!v.pre().isEmpty() && pre.isEmpty()) {
      return false;
    }
    boolean dirty = wildcard || specified < 3;
    switch (op) {
      case "", "=":
        if (!dirty) {
          return v.compareTo(cv) == 0;
        }
        return inRange(v, cv, specified);
      case "!=":
        return dirty ? !inRange(v, cv, specified) : v.compareTo(cv) != 0;
      case ">":
        if (!dirty) {
          return v.compareTo(cv) > 0;
        }
        return v.compareTo(upper(cv, specified)) >= 0;
      case ">=", "=>":
        return v.compareTo(cv) >= 0;
      case "<":
        return v.compareTo(cv) < 0;
      case "<=", "=<":
        if (!dirty) {
          return v.compareTo(cv) <= 0;
        }
        return v.compareTo(upper(cv, specified)) < 0;
      case "~", "~>":
        {
          if (v.compareTo(cv) < 0) {
            return false;
          }
          if (specified == 0) {
            return true;
          }
          if (v.major() != cv.major()) {
            return false;
          }
          return specified == 1 || v.minor() == cv.minor();
        }
      case "^":
        {
          if (v.compareTo(cv) < 0) {
            return false;
          }
          if (cv.major() > 0 || specified <= 1) {
            return v.major() == cv.major();
          }
          if (cv.minor() > 0 || specified == 2) {
            return v.major() == 0 && v.minor() == cv.minor();
          }
          return v.major() == 0 && v.minor() == 0 && v.patch() == cv.patch();
        }
      default:
        throw new IllegalArgumentException("improper constraint: " + c);
    }
  }

  private static boolean inRange(Version v, Version cv, int specified) {
    return v.compareTo(new Version(cv.major(), cv.minor(), cv.patch(), "")) >= 0
        && v.compareTo(upper(cv, specified)) < 0;
  }

  private static Version upper(Version cv, int specified) {
    return switch (specified) {
      case 0 -> new Version(Long.MAX_VALUE, 0, 0, "");
      case 1 -> new Version(cv.major() + 1, 0, 0, "");
      case 2 -> new Version(cv.major(), cv.minor() + 1, 0, "");
      default -> new Version(cv.major(), cv.minor(), cv.patch() + 1, "");
    };
  }
}
