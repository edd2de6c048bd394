package io.jistiod.istiod.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.galley.validation.NetworkingValidators;
import io.jistiod.galley.webhook.ConfigAdmission;
import io.jistiod.galley.webhook.Verdict;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code istiod validate -f FILE...}: checks Istio config files offline, object by object, with the
 * validation webhook's own verdicts and messages (as {@code istioctl validate} does). {@code -f -}
 * reads standard input. YAML is read as {@code istioctl validate} reads it (Kubernetes' document
 * splitting, sigs.k8s.io/yaml's strict mode: a key set twice is an error), and every document is
 * reported: Istio objects with their verdict, the items of a {@code List} one by one, and objects
 * of other kinds as not validated (istioctl passes them silently; they do not change the exit
 * code). Exit code 1 if any object is invalid or a document or file cannot be read, 0 otherwise.
 */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    versionProvider = io.jistiod.istiod.Main.Version.class,
    description = "Validate Istio config files as istiod's validation webhook would.")
public final class ValidateCommand implements Callable<Integer> {
  private static final String STDIN = "-";

  @Option(
      names = {"-f", "--filename"},
      required = true,
      arity = "1..*",
      description =
          "Files or folders (their .yaml, .yml and .json files) to validate; - reads standard"
              + " input.")
  List<String> files;

  @Option(
      names = {"-n", "--namespace"},
      defaultValue = "default",
      description = "Namespace of objects that name none.")
  String namespace;

  @Spec CommandSpec spec;

  /** Where {@code -f -} reads from; tests replace it. */
  InputStream stdin = System.in;

  // Made on first use: picocli instantiates every subcommand to parse any command line, and
  // building the validators (their schemas, CEL rules) cost istiod discovery about 0.5 s of its
  // start for a command it does not run.
  private ConfigAdmission admission;

  private int objects;
  private int invalid;
  private int skipped;
  private int unreadable;

  @Override
  public Integer call() {
    objects = invalid = skipped = unreadable = 0;
    if (admission == null) {
      admission = new ConfigAdmission(IstioKinds.ALL, NetworkingValidators.forKinds());
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    for (String file : expand(files, err)) {
      String text;
      String name = file.equals(STDIN) ? "stdin" : file;
      try {
        text =
            file.equals(STDIN)
                ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
                : Files.readString(Path.of(file), StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        err.println(name + ": cannot read: " + e.getMessage());
        unreadable++;
        continue;
      }
      List<KubeYaml.Document> docs = KubeYaml.documents(text, true);
      boolean numbered = docs.size() > 1 || (!docs.isEmpty() && docs.get(0).number() > 1);
      for (KubeYaml.Document doc : docs) {
        String where = numbered ? name + " (document " + doc.number() + ")" : name;
        if (doc.failed()) {
          err.println(where + ": cannot parse: " + doc.error());
          unreadable++;
        } else if (!doc.empty()) {
          check(doc.value(), where, out);
        }
      }
    }
    out.flush();
    if (invalid > 0 || unreadable > 0) {
      err.println(
          "Error: "
              + invalid
              + " of "
              + objects
              + " objects invalid"
              + (unreadable > 0
                  ? ", " + unreadable + " documents or files could not be read"
                  : ""));
      err.flush();
      return 1;
    }
    out.println(
        objects
            + " objects valid"
            + (skipped > 0 ? ", " + skipped + " objects of other kinds not validated" : ""));
    out.flush();
    return 0;
  }

  private void check(JsonNode doc, String where, PrintWriter out) {
    String apiVersion = doc.path("apiVersion").asText("");
    String kind = doc.path("kind").asText("");
    if (!doc.isObject() || apiVersion.isEmpty() || kind.isEmpty()) {
      objects++;
      invalid++;
      out.println(
          where
              + ": not a Kubernetes object: "
              + (!doc.isObject()
                  ? "expected a mapping, got "
                      + doc.getNodeType().toString().toLowerCase(Locale.ROOT)
                  : (apiVersion.isEmpty() ? "apiVersion" : "kind") + " is missing"));
      return;
    }
    if (!admission.isIstioGroup(apiVersion)) {
      if (kind.endsWith("List") && doc.path("items").isArray()) {
        for (JsonNode item : doc.path("items")) {
          check(item, where, out);
        }
        return;
      }
      skipped++;
      out.println(
          where
              + ": "
              + describe(doc)
              + ": not validated ("
              + apiVersion
              + " is not an Istio API)");
      return;
    }
    objects++;
    Verdict v = admission.check(doc, namespace, "");
    String what = describe(doc);
    if (v.allowed()) {
      out.println(where + ": " + what + ": valid");
      v.warnings().forEach(w -> out.println(where + ": " + what + ": warning: " + w));
    } else {
      out.println(where + ": " + what + ": " + v.message());
      invalid++;
    }
  }

  private String describe(JsonNode doc) {
    String kind = doc.path("kind").asText("?");
    String ns = doc.path("metadata").path("namespace").asText("");
    String name = doc.path("metadata").path("name").asText("<unnamed>");
    return kind + " " + (ns.isEmpty() ? namespace : ns) + "/" + name;
  }

  private List<String> expand(List<String> given, PrintWriter err) {
    List<String> out = new ArrayList<>();
    for (String f : given) {
      Path p = Path.of(f);
      if (!f.equals(STDIN) && Files.isDirectory(p)) {
        try (Stream<Path> walk = Files.walk(p)) {
          walk.filter(Files::isRegularFile)
              .filter(
                  x -> {
                    String n = x.getFileName().toString();
                    return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
                  })
              .sorted()
              .map(Path::toString)
              .forEach(out::add);
        } catch (IOException e) {
          err.println(p + ": cannot list: " + e.getMessage());
          unreadable++;
        }
      } else {
        out.add(f);
      }
    }
    return out;
  }
}
