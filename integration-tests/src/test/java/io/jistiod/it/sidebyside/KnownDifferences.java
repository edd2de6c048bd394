package io.jistiod.it.sidebyside;

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
 * The allow-list of differences from the reference istiod we know about
 * (src/test/resources/sidebyside/known-differences.yaml). Each entry matches differences by
 * scenario, proxy, type (lds/rds/cds/eds), resource, kind (missing/extra/changed/no-response) and
 * path, and for changed values the {@code reference} and {@code ours} values ({@code (absent)} when
 * a side has none), each a glob ({@code *} any characters, absent = any), and must say why in
 * {@code reason}.
 */
public final class KnownDifferences {
  /** One allow-list entry. */
  public record Entry(
      Pattern scenario,
      Pattern proxy,
      Pattern type,
      Pattern resource,
      Pattern kind,
      Pattern path,
      Pattern reference,
      Pattern ours,
      String reason,
      String source) {
    boolean matches(Comparison.Difference d) {
      return scenario.matcher(d.scenario()).matches()
          && proxy.matcher(d.proxy()).matches()
          && type.matcher(d.type()).matches()
          && resource.matcher(d.resource()).matches()
          && kind.matcher(d.kind()).matches()
          && path.matcher(d.path()).matches()
          && reference.matcher(value(d.reference())).matches()
          && ours.matcher(value(d.ours())).matches();
    }

    private static String value(String v) {
      return v == null ? "(absent)" : v;
    }
  }

  private final List<Entry> entries;
  private final boolean[] used;

  private KnownDifferences(List<Entry> entries) {
    this.entries = List.copyOf(entries);
    this.used = new boolean[entries.size()];
  }

  public static KnownDifferences load(Path file) throws IOException {
    JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
    List<Entry> entries = new ArrayList<>();
    JsonNode list = root == null ? null : root.path("differences");
    if (list != null) {
      int i = 0;
      for (JsonNode e : list) {
        String reason = e.path("reason").asText("").strip();
        if (reason.isEmpty()) {
          throw new IllegalArgumentException(
              file + ": differences[" + i + "] has no reason; every allowed difference needs one");
        }
        entries.add(
            new Entry(
                glob(e, "scenario"),
                glob(e, "proxy"),
                glob(e, "type"),
                glob(e, "resource"),
                glob(e, "kind"),
                glob(e, "path"),
                glob(e, "reference"),
                glob(e, "ours"),
                reason,
                "differences[" + i + "]"));
        i++;
      }
    }
    return new KnownDifferences(entries);
  }

  private static Pattern glob(JsonNode e, String field) {
    String g = e.path(field).asText("*");
    List<String> parts = new ArrayList<>();
    for (String part : g.split("\\*", -1)) {
      parts.add(Pattern.quote(part));
    }
    return Pattern.compile(String.join(".*", parts), Pattern.DOTALL);
  }

  /** The entry allowing {@code d}, if any. */
  public Optional<Entry> allowing(Comparison.Difference d) {
    for (int i = 0; i < entries.size(); i++) {
      if (entries.get(i).matches(d)) {
        used[i] = true;
        return Optional.of(entries.get(i));
      }
    }
    return Optional.empty();
  }

  /** Entries that matched no difference (so far): candidates for removal. */
  public List<Entry> unused() {
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      if (!used[i]) {
        out.add(entries.get(i));
      }
    }
    return out;
  }
}
