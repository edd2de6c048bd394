package io.jistiod.it.support;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Fails the end-to-end run when a test was skipped (an assumption, {@code @Disabled}, a skipped
 * container) and the skip is not on the allow-list. A proof that can skip is no proof: a peer that
 * was not built must fail the run, not turn it green with fewer tests. {@code e2e.sh} runs this
 * over the run's surefire reports; it needs nothing but the JDK.
 *
 * <p>Allow-list: one entry per line, {@code fully.qualified.Class#method reason}; the reason is
 * required; lines starting with {@code #} and blank lines are ignored.
 *
 * <p>Usage: {@code SkippedTestsGuard <surefire-reports dir> <allow-list file>}; exit 0 when every
 * skip is allowed and at least one test ran, 1 otherwise, 2 on bad input.
 */
public final class SkippedTestsGuard {
  /** A test case from a surefire report: class, method and its skip message (null: not skipped). */
  record TestCase(String className, String method, String skipMessage) {
    String id() {
      return className + "#" + method;
    }
  }

  /** What the guard found. */
  record Outcome(int tests, List<TestCase> allowed, List<TestCase> unexplained) {
    boolean passed() {
      return tests > 0 && unexplained.isEmpty();
    }
  }

  private SkippedTestsGuard() {}

  public static void main(String[] args) {
    if (args.length != 2) {
      System.err.println("usage: SkippedTestsGuard <surefire-reports dir> <allow-list file>");
      System.exit(2);
    }
    try {
      Outcome o = check(Path.of(args[0]), Path.of(args[1]), System.out);
      System.exit(o.passed() ? 0 : 1);
    } catch (IllegalArgumentException | IOException e) {
      System.err.println("skip guard: error: " + e.getMessage());
      System.exit(2);
    }
  }

  /** Reads the reports and the allow-list, prints a summary to {@code out}. */
  static Outcome check(Path reports, Path allowList, PrintStream out) throws IOException {
    Map<String, String> allowed = allowList(allowList);
    List<TestCase> cases = read(reports);
    List<TestCase> ok = new ArrayList<>();
    List<TestCase> bad = new ArrayList<>();
    for (TestCase c : cases) {
      if (c.skipMessage() == null) {
        continue;
      }
      (allowed.containsKey(c.id()) ? ok : bad).add(c);
    }
    for (TestCase c : ok) {
      out.println("skip guard: allowed skip " + c.id() + ": " + allowed.get(c.id()));
    }
    for (TestCase c : bad) {
      out.println(
          "skip guard: FAILED: "
              + c.id()
              + " was skipped ("
              + (c.skipMessage().isEmpty() ? "no reason given" : c.skipMessage())
              + "); make it run, or add it to "
              + allowList
              + " with the reason it may skip");
    }
    if (cases.isEmpty()) {
      out.println("skip guard: FAILED: no test ran (no test cases in " + reports + ")");
    }
    out.println(
        "skip guard: "
            + cases.size()
            + " tests, "
            + (ok.size() + bad.size())
            + " skipped ("
            + ok.size()
            + " allowed, "
            + bad.size()
            + " not allowed)");
    return new Outcome(cases.size(), ok, bad);
  }

  /** Entries {@code Class#method -> reason}; an entry without a reason is an error. */
  static Map<String, String> allowList(Path file) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+", 2);
      if (!parts[0].contains("#") || parts.length < 2) {
        throw new IllegalArgumentException(
            file
                + " line "
                + (i + 1)
                + ": expected 'fully.qualified.Class#method reason', got '"
                + line
                + "'");
      }
      out.put(parts[0], parts[1]);
    }
    return out;
  }

  /** Every test case of every {@code TEST-*.xml} in {@code dir}. */
  static List<TestCase> read(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(dir + " does not exist: did the tests run?");
    }
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")).sorted().toList();
    }
    List<TestCase> out = new ArrayList<>();
    for (Path f : files) {
      out.addAll(parse(f));
    }
    return out;
  }

  private static List<TestCase> parse(Path report) throws IOException {
    Element suite;
    try {
      DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
      f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      suite = f.newDocumentBuilder().parse(report.toFile()).getDocumentElement();
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalArgumentException(report + ": not a surefire report: " + e.getMessage());
    }
    List<TestCase> out = new ArrayList<>();
    NodeList cases = suite.getElementsByTagName("testcase");
    for (int i = 0; i < cases.getLength(); i++) {
      Element c = (Element) cases.item(i);
      NodeList skipped = c.getElementsByTagName("skipped");
      String message =
          skipped.getLength() == 0 ? null : ((Element) skipped.item(0)).getAttribute("message");
      out.add(new TestCase(c.getAttribute("classname"), method(c.getAttribute("name")), message));
    }
    return out;
  }

  /** The method name alone: surefire may append parameter types, e.g. {@code m(Rig, ...)}. */
  static String method(String reported) {
    int cut = reported.length();
    for (char c : new char[] {'(', '{', '['}) {
      int i = reported.indexOf(c);
      if (i >= 0) {
        cut = Math.min(cut, i);
      }
    }
    return reported.substring(0, cut).strip();
  }
}
