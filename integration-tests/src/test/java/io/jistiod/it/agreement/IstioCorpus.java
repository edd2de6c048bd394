package io.jistiod.it.agreement;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The public corpus: every YAML document of an Istio config kind (API groups networking, security,
 * telemetry and extensions.istio.io, any version) in Istio 1.27.0's own module tree
 * (istio.io/istio at the version build-istio.sh builds): samples, test data of pilot, istioctl and
 * the validation and analysis packages, integration-test data. Nothing of it is copied into this
 * repository; it is read from Go's module cache.
 *
 * <p>Documents are split as Kubernetes' YAML reader splits them (a line {@code ---}, optionally
 * followed by a comment). Two kinds of documents are set apart, not judged: Go or Helm templates
 * (they contain {@code {{}: not config until rendered). Istio's CRD schema tests carry their
 * expected error in a top-level {@code _err:} line that is not part of the object; that line is
 * removed.
 */
final class IstioCorpus {
  private static final Pattern GROUPS =
      Pattern.compile("(networking|security|telemetry|extensions)\\.istio\\.io/[A-Za-z0-9]+");
  private static final Pattern API_VERSION =
      Pattern.compile("(?m)^apiVersion:[ \\t]*[\"']?([^\\s\"'#]+)");
  private static final Pattern KIND = Pattern.compile("(?m)^kind:[ \\t]*[\"']?([A-Za-z0-9]+)");
  private static final Pattern TEST_ERROR = Pattern.compile("(?m)^_err:.*(\\r?\\n|$)");

  /** The documents, and how many of an Istio kind were set apart as templates. */
  record Corpus(Path root, List<CorpusDocument> documents, int templates) {}

  private IstioCorpus() {}

  /** The istio.io/istio module directory in Go's module cache (downloaded by build-istio.sh). */
  static Path moduleDir() throws IOException, InterruptedException {
    return io.jistiod.it.support.IstioModule.dir();
  }

  static Corpus load(Path root) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(root)) {
      files =
          walk.filter(Files::isRegularFile)
              .filter(
                  f -> {
                    String n = f.getFileName().toString();
                    return n.endsWith(".yaml") || n.endsWith(".yml");
                  })
              .sorted()
              .toList();
    }
    List<CorpusDocument> docs = new ArrayList<>();
    int templates = 0;
    for (Path f : files) {
      String rel = root.relativize(f).toString();
      String text = Files.readString(f, StandardCharsets.UTF_8);
      int n = 0;
      for (String doc : split(text)) {
        n++;
        Matcher api = API_VERSION.matcher(doc);
        if (!api.find() || !GROUPS.matcher(api.group(1)).matches()) {
          continue;
        }
        if (doc.contains("{{")) {
          templates++;
          continue;
        }
        Matcher kind = KIND.matcher(doc);
        docs.add(
            new CorpusDocument(
                rel + "#" + n,
                api.group(1),
                kind.find() ? kind.group(1) : "?",
                TEST_ERROR.matcher(doc).replaceAll("")));
      }
    }
    return new Corpus(root, docs, templates);
  }

  /**
   * The documents of a YAML stream, split on separator lines as Kubernetes' YAML reader does;
   * documents with nothing but blank lines and comments are left out (they are not numbered).
   */
  static List<String> split(String text) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      if (line.startsWith("---")) {
        String rest = line.substring(3).strip();
        if (rest.isEmpty() || rest.startsWith("#")) {
          addIfContent(out, cur);
          cur.setLength(0);
          continue;
        }
      }
      cur.append(line).append('\n');
    }
    addIfContent(out, cur);
    return out;
  }

  private static void addIfContent(List<String> out, StringBuilder doc) {
    for (String line : doc.toString().split("\n")) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        out.add(doc.toString());
        return;
      }
    }
  }
}
