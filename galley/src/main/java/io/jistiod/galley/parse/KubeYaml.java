package io.jistiod.galley.parse;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads YAML as Kubernetes and Istio do: a stream is cut into documents at lines starting with
 * {@code ---} (k8s.io/apimachinery's YAMLReader, which refuses anything but a comment after the
 * marker), and each document is converted to JSON as sigs.k8s.io/yaml does ({@link GoYamlDecoder}).
 *
 * <p>Documents are numbered as a reader counts them: from 1, one per {@code ---} section, where a
 * leading section holding only comments or blank lines (a header before the first {@code ---}) is
 * not a document. Empty and comment-only documents keep their number (so later numbers match the
 * file) and read as JSON null.
 *
 * <p>Size: a document may hold up to {@link #MAX_DOCUMENT_CODE_POINTS} code points, far above the
 * API server's 3 MiB request limit, so nothing the API server stores is refused for its size.
 */
public final class KubeYaml {
  /** The largest document read, in code points (64 Mi). */
  public static final int MAX_DOCUMENT_CODE_POINTS = 64 * 1024 * 1024;

  /**
   * One document of a stream.
   *
   * @param number its number in the stream, from 1
   * @param value its JSON (a {@code NullNode} for an empty document), or null when it failed
   * @param error why it could not be read, or null
   */
  public record Document(int number, JsonNode value, String error) {
    public boolean failed() {
      return error != null;
    }

    /** Whether the document holds nothing (empty, only comments, or {@code null}). */
    public boolean empty() {
      return value != null && (value.isNull() || value.isMissingNode());
    }
  }

  private KubeYaml() {}

  /**
   * Every document of {@code text}; after a document separator Kubernetes refuses, reading stops
   * with that error as the last document.
   *
   * @param strict whether a key set twice in a mapping is an error (as {@code istioctl validate}
   *     reads) rather than the last one winning (as the API server and Istio's file source read)
   */
  public static List<Document> documents(String text, boolean strict) {
    List<Document> out = new ArrayList<>();
    StringBuilder chunk = new StringBuilder();
    int section = 0;
    boolean headerHasContent = false;
    int start = 0;
    int length = text.length();
    while (start < length) {
      int nl = text.indexOf('\n', start);
      int end = nl < 0 ? length : nl;
      String line = text.substring(start, end);
      if (nl >= 0 && line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1); // CRLF reads as LF
      }
      start = nl < 0 ? length : nl + 1;
      if (line.startsWith("---")) {
        int number = number(section + 1, headerHasContent);
        String rest = line.substring(3).strip();
        if (!rest.isEmpty() && rest.charAt(0) != '#') {
          out.add(new Document(number, null, "invalid YAML document separator: " + rest));
          return out;
        }
        if (chunk.length() > 0 && (section > 0 || headerHasContent)) {
          out.add(read(number(section, headerHasContent), chunk.toString(), strict));
        }
        chunk.setLength(0);
        section++;
        continue;
      }
      if (section == 0 && isContent(line)) {
        headerHasContent = true;
      }
      chunk.append(line).append('\n');
    }
    if (chunk.length() > 0 && (section > 0 || headerHasContent)) {
      out.add(read(number(section, headerHasContent), chunk.toString(), strict));
    }
    return out;
  }

  /**
   * The JSON of the first document of {@code text}, read as sigs.k8s.io/yaml's {@code YAMLToJSON}
   * does (non-strict).
   */
  public static JsonNode read(String text) throws YamlException {
    return GoYamlDecoder.decode(text, false, MAX_DOCUMENT_CODE_POINTS);
  }

  private static Document read(int number, String chunk, boolean strict) {
    try {
      return new Document(
          number, GoYamlDecoder.decode(chunk, strict, MAX_DOCUMENT_CODE_POINTS), null);
    } catch (YamlException e) {
      return new Document(number, null, e.getMessage());
    } catch (RuntimeException e) {
      // A reader bug must cost only this document, never the rest of the input or the caller.
      return new Document(number, null, "cannot be read: " + e);
    }
  }

  // Section 0 is document 1 if it holds anything; otherwise section n is document n.
  private static int number(int section, boolean headerHasContent) {
    return headerHasContent ? section + 1 : section;
  }

  private static boolean isContent(String line) {
    String s = line.replace("\uFEFF", "").strip();
    return !s.isEmpty() && s.charAt(0) != '#';
  }
}
