package io.jistiod.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Istiod's own rendering of templates: {@code integration-tests/peers/gotemplate} (Go's
 * text/template with sprig and Istio 1.27.0's inject.InjectionFuncmap), built once per JVM by
 * {@code integration-tests/cluster/build-gotemplate.sh}.
 */
public final class GoTemplatePeer {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long BUILD_TIMEOUT_MINUTES = 30;
  private static final long RUN_TIMEOUT_SECONDS = 300;

  private static GoTemplatePeer instance;
  private static RuntimeException buildFailure;

  private final Path binary;

  /**
   * One rendering request; {@code sidecar} decodes data as istiod's SidecarTemplateData, {@code
   * gateway} as the data of its Gateway deployment template (see the peer's main.go).
   */
  public record Request(
      String name, String template, boolean sidecar, boolean gateway, JsonNode data) {
    public Request(String name, String template, boolean sidecar, JsonNode data) {
      this(name, template, sidecar, false, data);
    }
  }

  /** {@code output} when ok, else {@code stage} (parse, exec, data) and Go's error text. */
  public record Result(boolean ok, String output, String stage, String error) {}

  private GoTemplatePeer(Path binary) {
    this.binary = binary;
  }

  public static synchronized GoTemplatePeer get() {
    if (instance != null) {
      return instance;
    }
    if (buildFailure != null) {
      throw buildFailure;
    }
    try {
      instance = new GoTemplatePeer(PeerBuild.run("build-gotemplate.sh", BUILD_TIMEOUT_MINUTES));
      return instance;
    } catch (RuntimeException e) {
      buildFailure = e;
      throw e;
    }
  }

  /** One result per request, in order. */
  public List<Result> render(List<Request> requests) {
    try {
      Path input = Files.createTempFile("gotemplate-", ".jsonl");
      try {
        StringBuilder b = new StringBuilder();
        for (Request r : requests) {
          ObjectNode n = JSON.createObjectNode();
          n.put("name", r.name());
          n.put("template", r.template());
          n.put("sidecar", r.sidecar());
          n.put("gateway", r.gateway());
          n.set("data", r.data());
          b.append(JSON.writeValueAsString(n)).append('\n');
        }
        Files.writeString(input, b);
        List<String> lines = run(List.of(binary.toString()), input);
        if (lines.size() != requests.size()) {
          throw new IllegalStateException(
              binary + " gave " + lines.size() + " results for " + requests.size() + " requests");
        }
        List<Result> out = new ArrayList<>();
        for (String line : lines) {
          JsonNode v = JSON.readTree(line);
          out.add(
              new Result(
                  v.path("ok").asBoolean(),
                  v.path("output").asText(""),
                  v.path("stage").asText(""),
                  v.path("error").asText("")));
        }
        return out;
      } finally {
        Files.deleteIfExists(input);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> run(List<String> command, Path stdin) {
    return PeerProcess.lines(command, stdin, RUN_TIMEOUT_SECONDS);
  }
}
