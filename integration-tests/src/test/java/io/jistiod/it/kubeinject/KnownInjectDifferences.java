package io.jistiod.it.kubeinject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The differences from the reference kube-inject that we accept ({@code
 * inject-corpus/known-differences.yaml}): each entry names a column, the cases it covers (a glob
 * over case names, {@code *} any characters), optionally the differences it covers (a glob over the
 * difference's path, e.g. {@code [*]/metadata/creationTimestamp}, or {@code exit code} or {@code
 * messages}; absent = every difference of the case) and why. An entry that covers no difference is
 * stale and reported, so the file never hides a fixed difference.
 */
public final class KnownInjectDifferences {
  /** One accepted difference. */
  public record Entry(String column, Pattern cases, Pattern path, String reason) {}

  private final List<Entry> entries;
  private final boolean[] used;

  private KnownInjectDifferences(List<Entry> entries) {
    this.entries = List.copyOf(entries);
    this.used = new boolean[entries.size()];
  }

  public static KnownInjectDifferences load(Path file) throws IOException {
    JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    List<Entry> entries = new ArrayList<>();
    for (JsonNode e : root.path("differences")) {
      String column = e.path("column").asText();
      String cases = e.path("case").asText();
      String reason = e.path("reason").asText();
      if (column.isEmpty() || cases.isEmpty() || reason.isBlank()) {
        throw new IllegalArgumentException(
            file + ": an entry needs a column, a case glob and a reason: " + e);
      }
      entries.add(new Entry(column, glob(cases), glob(e.path("path").asText("*")), reason));
    }
    return new KnownInjectDifferences(entries);
  }

  /** A glob ({@code *} any characters) as a pattern. */
  public static Pattern glob(String glob) {
    StringBuilder re = new StringBuilder();
    for (String part : glob.split("\\*", -1)) {
      if (re.length() > 0) {
        re.append(".*");
      }
      re.append(Pattern.quote(part));
    }
    return Pattern.compile(re.toString());
  }

  /**
   * The entry accepting {@code difference} (a line of {@link InjectedObjects#differences}: its
   * path, ": ", what differs) of {@code column} on {@code caseName}, marked used.
   */
  public synchronized Optional<Entry> accept(String column, String caseName, String difference) {
    int colon = difference.indexOf(": ");
    String path = colon < 0 ? difference : difference.substring(0, colon);
    for (int i = 0; i < entries.size(); i++) {
      Entry e = entries.get(i);
      if (e.column().equals(column)
          && e.cases().matcher(caseName).matches()
          && e.path().matcher(path).matches()) {
        used[i] = true;
        return Optional.of(e);
      }
    }
    return Optional.empty();
  }

  /** Entries of the given columns that accepted nothing. */
  public synchronized List<Entry> unused(List<String> columns) {
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      if (!used[i] && columns.contains(entries.get(i).column())) {
        out.add(entries.get(i));
      }
    }
    return out;
  }
}
