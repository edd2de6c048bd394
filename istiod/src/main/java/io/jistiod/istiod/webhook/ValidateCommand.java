package io.jistiod.istiod.webhook;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.validation.NetworkingValidators;
import io.jistiod.galley.webhook.ConfigAdmission;
import io.jistiod.galley.webhook.Verdict;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code istiod validate -f FILE...}: checks Istio config files offline, object by object, with the
 * validation webhook's own verdicts and messages (as {@code istioctl validate} does). Objects
 * outside Istio's API groups are skipped. Exit code 1 if any object is invalid or a file cannot be
 * read or parsed, 0 otherwise.
 */
@Command(
    name = "validate",
    description = "Validate Istio config files as istiod's validation webhook would.")
public final class ValidateCommand implements Callable<Integer> {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Option(
      names = {"-f", "--filename"},
      required = true,
      arity = "1..*",
      description = "Files or folders (their .yaml, .yml and .json files) to validate.")
  List<Path> files;

  @Option(
      names = {"-n", "--namespace"},
      defaultValue = "default",
      description = "Namespace of objects that name none.")
  String namespace;

  @Spec CommandSpec spec;

  private final ConfigAdmission admission =
      new ConfigAdmission(IstioKinds.ALL, NetworkingValidators.forKinds());

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    int objects = 0;
    int invalid = 0;
    int unreadable = 0;
    for (Path file : expand(files, err)) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        err.println(file + ": cannot read: " + e.getMessage());
        unreadable++;
        continue;
      }
      List<JsonNode> docs = new ArrayList<>();
      String parseError = documents(text, docs);
      for (JsonNode doc : docs) {
        String apiVersion = doc.path("apiVersion").asText("");
        if (doc.isObject() && !admission.isIstioGroup(apiVersion)) {
          continue; // not Istio config: the webhook never sees it
        }
        objects++;
        Verdict v = admission.check(doc, namespace, "");
        String what = describe(doc);
        if (v.allowed()) {
          out.println(file + ": " + what + ": valid");
          v.warnings().forEach(w -> out.println(file + ": " + what + ": warning: " + w));
        } else {
          out.println(file + ": " + what + ": " + v.message());
          invalid++;
        }
      }
      if (parseError != null) {
        err.println(file + ": cannot parse: " + parseError);
        unreadable++;
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
              + (unreadable > 0 ? ", " + unreadable + " files could not be read" : ""));
      err.flush();
      return 1;
    }
    out.println(objects + " objects valid");
    out.flush();
    return 0;
  }

  private String describe(JsonNode doc) {
    String kind = doc.path("kind").asText("?");
    String ns = doc.path("metadata").path("namespace").asText("");
    String name = doc.path("metadata").path("name").asText("<unnamed>");
    return kind + " " + (ns.isEmpty() ? namespace : ns) + "/" + name;
  }

  /** Reads every document; returns why reading stopped early, or null. */
  private static String documents(String text, List<JsonNode> into) {
    try (JsonParser parser = YAML.getFactory().createParser(text);
        MappingIterator<JsonNode> it = YAML.readValues(parser, JsonNode.class)) {
      while (it.hasNextValue()) {
        JsonNode doc = it.nextValue();
        if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
          into.add(doc);
        }
      }
      return null;
    } catch (IOException | RuntimeException e) {
      String m = String.valueOf(e.getMessage());
      int nl = m.indexOf('\n');
      return nl < 0 ? m : m.substring(0, nl);
    }
  }

  private static List<Path> expand(List<Path> given, PrintWriter err) {
    List<Path> out = new ArrayList<>();
    for (Path p : given) {
      if (Files.isDirectory(p)) {
        try (Stream<Path> walk = Files.walk(p)) {
          walk.filter(Files::isRegularFile)
              .filter(
                  f -> {
                    String n = f.getFileName().toString();
                    return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
                  })
              .sorted()
              .forEach(out::add);
        } catch (IOException e) {
          err.println(p + ": cannot list: " + e.getMessage());
        }
      } else {
        out.add(p);
      }
    }
    return out;
  }
}
