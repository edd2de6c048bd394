package io.jistiod.it.agreement;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Why our verdict differs from Istio's, per document ({@code agreement/explained.yaml}). An entry
 * names the document ({@code path#n}, or a prefix ending in {@code *} for a group of documents with
 * one reason), both verdicts, and why. It explains a disagreement only with the same verdicts, so a
 * disagreement that flips direction is unexplained again.
 */
final class Explanations {
  record Entry(String document, boolean istioAccepts, boolean oursAccepts, String why) {
    boolean covers(String id, Verdict istio, Verdict ours) {
      boolean name =
          document.endsWith("*")
              ? id.startsWith(document.substring(0, document.length() - 1))
              : id.equals(document);
      return name && istio.accepted() == istioAccepts && ours.accepted() == oursAccepts;
    }
  }

  private final List<Entry> entries;

  private Explanations(List<Entry> entries) {
    this.entries = entries;
  }

  static Explanations load() throws IOException {
    String resource = "/agreement/explained.yaml";
    try (InputStream in = Explanations.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException(resource + " not found on the test class path");
      }
      JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(in);
      List<Entry> entries = new ArrayList<>();
      for (JsonNode e : root == null ? List.<JsonNode>of() : root) {
        String why = e.path("why").asText("").strip();
        String doc = e.path("document").asText("");
        if (doc.isEmpty() || why.isEmpty()) {
          throw new IOException(resource + ": every entry needs a document and a why: " + e);
        }
        entries.add(
            new Entry(doc, accepts(e, "istio", resource), accepts(e, "ours", resource), why));
      }
      return new Explanations(entries);
    }
  }

  private static boolean accepts(JsonNode e, String field, String resource) throws IOException {
    String v = e.path(field).asText("");
    if (!v.equals("accept") && !v.equals("reject")) {
      throw new IOException(resource + ": " + field + " must be accept or reject: " + e);
    }
    return v.equals("accept");
  }

  /** The entry that explains this disagreement, or null. */
  Entry explain(String id, Verdict istio, Verdict ours) {
    for (Entry e : entries) {
      if (e.covers(id, istio, ours)) {
        return e;
      }
    }
    return null;
  }

  List<Entry> entries() {
    return entries;
  }
}
