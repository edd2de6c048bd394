package io.jistiod.galley.parse;

import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import com.fasterxml.jackson.core.io.schubfach.FloatToDecimal;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Converts the first YAML document of a text to the JSON tree sigs.k8s.io/yaml's {@code YAMLToJSON}
 * produces (and Jackson would read back from it): scalars as {@link GoScalars} resolves them,
 * non-string map keys turned into strings, merge keys ({@code <<}) applied in order, aliases
 * expanded, and floats written as Go's JSON encoder writes them ({@code 1e3} becomes the integer
 * {@code 1000}). Like Go, NaN and infinities are refused, aliasing is bounded by the same
 * alias-to-node ratio, and nesting by the same depth.
 *
 * <p>In strict mode a key set twice in one mapping is an error (Go's {@code YAMLToJSONStrict},
 * which {@code istioctl validate} uses); otherwise the last one wins.
 *
 * <p>One instance per document; not thread-safe.
 */
final class GoYamlDecoder {
  /** Go's YAML scanner stops at this depth of flow or block nesting. */
  static final int MAX_DEPTH = 10_000;

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final BigDecimal JSON_EXPONENT_FROM = new BigDecimal("1e21");

  private final boolean strict;
  private final Set<Node> defined = Collections.newSetFromMap(new IdentityHashMap<>());
  private final Set<Node> inProgress = Collections.newSetFromMap(new IdentityHashMap<>());
  private final List<String> duplicates = new java.util.ArrayList<>();
  private long decodeCount;
  private long aliasCount;
  private int aliasDepth;

  private GoYamlDecoder(boolean strict) {
    this.strict = strict;
  }

  /**
   * The JSON of the first document of {@code text}, or a {@code NullNode} when it holds none.
   *
   * @param codePointLimit the largest input accepted, in code points
   */
  static JsonNode decode(String text, boolean strict, int codePointLimit) throws YamlException {
    LoadSettings settings =
        LoadSettings.builder()
            .setCodePointLimit(codePointLimit)
            .setAllowDuplicateKeys(true)
            .setAllowRecursiveKeys(true)
            .setAllowNonScalarKeys(true)
            .setMaxAliasesForCollections(Integer.MAX_VALUE)
            .build();
    Node root;
    try {
      Optional<Node> document = GoYamlComposer.firstDocument(settings, text);
      if (document.isEmpty()) {
        return NODES.nullNode();
      }
      root = document.get();
    } catch (MarkedYamlEngineException e) {
      throw new YamlException(
          oneLine(e.getProblem())
              + e.getProblemMark()
                  .map(m -> " at line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1))
                  .orElse(""));
    } catch (YamlEngineException e) {
      throw new YamlException(oneLine(e.getMessage()));
    } catch (StackOverflowError e) {
      throw new YamlException("exceeded max depth of " + MAX_DEPTH);
    }
    GoYamlDecoder d = new GoYamlDecoder(strict);
    JsonNode json;
    try {
      json = d.value(root, 0);
    } catch (StackOverflowError e) {
      throw new YamlException("exceeded max depth of " + MAX_DEPTH);
    }
    if (!d.duplicates.isEmpty()) {
      throw new YamlException(String.join("; ", d.duplicates));
    }
    return json;
  }

  private JsonNode value(Node n, int depth) throws YamlException {
    boolean alias = enter(n, depth);
    try {
      if (n instanceof ScalarNode) {
        return json(scalar((ScalarNode) n));
      }
      if (n instanceof SequenceNode) {
        ArrayNode array = NODES.arrayNode();
        for (Node child : ((SequenceNode) n).getValue()) {
          array.add(value(child, depth + 1));
        }
        return array;
      }
      Map<Object, JsonNode> entries = new LinkedHashMap<>();
      mapping((MappingNode) n, entries, depth);
      return object(entries);
    } finally {
      leave(n, alias);
    }
  }

  /** Counts the visit as Go's decoder does; returns whether {@code n} is reached via an alias. */
  private boolean enter(Node n, int depth) throws YamlException {
    if (depth > MAX_DEPTH) {
      throw new YamlException("exceeded max depth of " + MAX_DEPTH);
    }
    boolean alias = n.getAnchor().isPresent() && !defined.add(n);
    if (alias) {
      count();
      if (inProgress.contains(n)) {
        throw new YamlException(
            "anchor '" + n.getAnchor().get().getValue() + "' value contains itself");
      }
      aliasDepth++;
    }
    count();
    inProgress.add(n);
    return alias;
  }

  private void leave(Node n, boolean alias) {
    inProgress.remove(n);
    if (alias) {
      aliasDepth--;
    }
  }

  // Go's bound on alias expansion ("billion laughs"): the share of nodes decoded through aliases
  // may fall from 99% to 10% as the document grows from 400,000 to 4,000,000 nodes.
  private void count() throws YamlException {
    decodeCount++;
    if (aliasDepth > 0) {
      aliasCount++;
    }
    if (aliasCount > 100 && decodeCount > 1000 && (double) aliasCount / decodeCount > allowed()) {
      throw new YamlException("document contains excessive aliasing");
    }
  }

  private double allowed() {
    if (decodeCount <= 400_000) {
      return 0.99;
    }
    if (decodeCount >= 4_000_000) {
      return 0.10;
    }
    return 0.99 - 0.89 * ((decodeCount - 400_000) / 3_600_000.0);
  }

  private void mapping(MappingNode n, Map<Object, JsonNode> out, int depth) throws YamlException {
    for (NodeTuple t : n.getValue()) {
      if (isMerge(t.getKeyNode())) {
        merge(t.getValueNode(), out, depth + 1);
        continue;
      }
      Object key = key(t.getKeyNode(), depth + 1);
      JsonNode v = value(t.getValueNode(), depth + 1);
      if (strict && out.containsKey(key)) {
        duplicates.add(
            "line "
                + (t.getValueNode().getStartMark().map(m -> m.getLine() + 1).orElse(0))
                + ": key "
                + goQuote(key)
                + " already set in map");
        continue;
      }
      out.put(key, v);
    }
  }

  private static boolean isMerge(Node key) {
    if (!(key instanceof ScalarNode) || !"<<".equals(((ScalarNode) key).getValue())) {
      return false;
    }
    ScalarNode s = (ScalarNode) key;
    return (s.isPlain() && s.isResolved()) || GoScalars.MERGE.equals(s.getTag().getValue());
  }

  // Merged maps write into the mapping in place of the "<<" key; of a list, earlier maps win.
  private void merge(Node v, Map<Object, JsonNode> out, int depth) throws YamlException {
    if (v instanceof MappingNode) {
      boolean alias = enter(v, depth);
      try {
        mapping((MappingNode) v, out, depth);
      } finally {
        leave(v, alias);
      }
      return;
    }
    boolean aliased = v.getAnchor().isPresent() && defined.contains(v);
    if (v instanceof SequenceNode && !aliased) {
      List<Node> maps = ((SequenceNode) v).getValue();
      for (int i = maps.size() - 1; i >= 0; i--) {
        Node m = maps.get(i);
        if (!(m instanceof MappingNode)) {
          throw new YamlException("map merge requires map or sequence of maps as the value");
        }
        merge(m, out, depth + 1);
      }
      return;
    }
    throw new YamlException("map merge requires map or sequence of maps as the value");
  }

  private Object key(Node n, int depth) throws YamlException {
    boolean alias = enter(n, depth);
    try {
      if (!(n instanceof ScalarNode)) {
        throw new YamlException(
            "invalid map key at line " + n.getStartMark().map(m -> m.getLine() + 1).orElse(0));
      }
      return scalar((ScalarNode) n);
    } finally {
      leave(n, alias);
    }
  }

  private static Object scalar(ScalarNode s) throws YamlException {
    if (!s.isResolved()) {
      return GoScalars.tagged(s.getTag().getValue(), s.getValue());
    }
    return s.isPlain() ? GoScalars.plain(s.getValue()) : s.getValue();
  }

  private static ObjectNode object(Map<Object, JsonNode> entries) throws YamlException {
    ObjectNode o = NODES.objectNode();
    for (Map.Entry<Object, JsonNode> e : entries.entrySet()) {
      o.set(keyString(e.getKey(), e.getValue()), e.getValue());
    }
    return o;
  }

  /** How sigs.k8s.io/yaml names a non-string key in JSON. */
  private static String keyString(Object k, JsonNode v) throws YamlException {
    if (k instanceof String) {
      return (String) k;
    }
    if (k instanceof Long || k instanceof Boolean) {
      return k.toString();
    }
    if (k instanceof Double) {
      return float32G((Double) k);
    }
    // Go's fmt of reflect.TypeOf(nil) with %s, and of the key and value with %+#v
    String type = k == GoScalars.NULL ? "%!s(<nil>)" : "uint64";
    String key =
        k instanceof BigInteger big
            ? "0x" + big.toString(16)
            : k == GoScalars.NULL ? "<nil>" : "" + k;
    throw new YamlException(
        "unsupported map key of type: " + type + ", key: " + key + ", value: " + goSyntax(v, true));
  }

  /** A decoded YAML value as Go's {@code %#v} prints it (a nil at the top as {@code <nil>}). */
  private static String goSyntax(JsonNode v, boolean top) {
    if (v == null || v.isNull()) {
      return top ? "<nil>" : "interface {}(nil)";
    }
    if (v.isTextual()) {
      return v.toString(); // JSON's quoting, as Go's %q for what YAML text holds
    }
    if (v.isObject()) {
      List<String> entries = new ArrayList<>();
      new TreeMap<>(toMap(v))
          .forEach((name, e) -> entries.add("\"" + name + "\":" + goSyntax(e, false)));
      return "map[interface {}]interface {}{" + String.join(", ", entries) + "}";
    }
    if (v.isArray()) {
      List<String> items = new ArrayList<>();
      v.forEach(e -> items.add(goSyntax(e, false)));
      return "[]interface {}{" + String.join(", ", items) + "}";
    }
    return v.toString();
  }

  private static Map<String, JsonNode> toMap(JsonNode object) {
    Map<String, JsonNode> m = new java.util.LinkedHashMap<>();
    object.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
    return m;
  }

  private static JsonNode json(Object v) throws YamlException {
    if (v == GoScalars.NULL) {
      return NODES.nullNode();
    }
    if (v instanceof String) {
      return NODES.textNode((String) v);
    }
    if (v instanceof Boolean) {
      return NODES.booleanNode((Boolean) v);
    }
    if (v instanceof Long) {
      return integer(BigInteger.valueOf((Long) v));
    }
    if (v instanceof BigInteger) {
      return integer((BigInteger) v);
    }
    return goJsonFloat((Double) v);
  }

  /**
   * A float as Jackson reads it back from Go's JSON: without an exponent below 1e21 (so a whole
   * number is an integer node), otherwise a double; NaN and infinities cannot be JSON.
   */
  private static JsonNode goJsonFloat(double d) throws YamlException {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      throw new YamlException(
          "json: unsupported value: " + (Double.isNaN(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf"));
    }
    if (d == Math.rint(d)) {
      BigDecimal shortest = new BigDecimal(DoubleToDecimal.toString(d));
      if (shortest.abs().compareTo(JSON_EXPONENT_FROM) < 0) {
        return integer(shortest.toBigIntegerExact());
      }
    }
    return NODES.numberNode(d);
  }

  // Jackson reads a JSON integer as the smallest of int, long and BigInteger that holds it.
  private static JsonNode integer(BigInteger v) {
    if (v.bitLength() < 32) {
      return NODES.numberNode(v.intValue());
    }
    if (v.bitLength() < 64) {
      return NODES.numberNode(v.longValue());
    }
    return NODES.numberNode(v);
  }

  /** Go's {@code strconv.FormatFloat(f, 'g', -1, 32)}, with YAML's names for NaN and infinity. */
  static String float32G(double d) {
    float f = (float) d;
    if (Float.isNaN(f)) {
      return ".nan";
    }
    if (Float.isInfinite(f)) {
      return f > 0 ? ".inf" : "-.inf";
    }
    if (f == 0) {
      return 1 / f < 0 ? "-0" : "0";
    }
    BigDecimal bd = new BigDecimal(FloatToDecimal.toString(Math.abs(f))).stripTrailingZeros();
    String digits = bd.unscaledValue().toString();
    int exp = digits.length() - bd.scale() - 1;
    String sign = f < 0 ? "-" : "";
    if (exp < -4 || exp >= 6) {
      String mantissa = digits.length() > 1 ? digits.charAt(0) + "." + digits.substring(1) : digits;
      int e = Math.abs(exp);
      return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (e < 10 ? "0" : "") + e;
    }
    return sign + bd.toPlainString();
  }

  private static String goQuote(Object k) {
    return k instanceof String ? "\"" + k + "\"" : k == GoScalars.NULL ? "<nil>" : k.toString();
  }

  private static String oneLine(String s) {
    if (s == null) {
      return "malformed YAML";
    }
    return s.strip().replaceAll("\\s*\\n\\s*", " ");
  }
}
