package io.jistiod.galley.parse;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Plain scalars, ':' and '?' in flow collections, and anchor names, read as go-yaml v2 (and so
 * Kubernetes) reads them. Every expectation here is what Go's sigs.k8s.io/yaml v1.5.0 returns (the
 * integration tests' kube-yaml oracle); KubeYamlAgreementTest checks the same cases against it.
 */
class GoYamlScannerTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode read(String yaml) throws Exception {
    return KubeYaml.read(yaml);
  }

  private static String error(String yaml) {
    List<KubeYaml.Document> docs = KubeYaml.documents(yaml, false);
    assertThat(docs).hasSize(1);
    assertThat(docs.get(0).failed()).as("%s reads as %s", yaml, docs.get(0).value()).isTrue();
    return docs.get(0).error();
  }

  /** YAML in, the JSON Go makes of it. */
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          # A ':' ends a plain scalar only before a blank, even before a flow indicator.
          a: [1.2.3.4, 001:db8::]       | {"a":["1.2.3.4","001:db8::"]}
          a: [a:]                       | {"a":["a:"]}
          a: [a:, b]                    | {"a":["a:","b"]}
          a: [a::]                      | {"a":["a::"]}
          a: [2001:db8::1:]             | {"a":["2001:db8::1:"]}
          a: {a:}                       | {"a":{"a:":null}}
          a: {a: b:}                    | {"a":{"a":"b:"}}
          a: {ip: 2001:db8::}           | {"a":{"ip":"2001:db8::"}}
          a: {a::, b: c}                | {"a":{"a::":null,"b":"c"}}
          a: {k: [x:], y: z}            | {"a":{"k":["x:"],"true":"z"}}
          a: [[a:], {b:}]               | {"a":[["a:"],{"b:":null}]}
          a: [&x a:, !!str b:, *x]      | {"a":["a:","b:","a:"]}
          a: [1:, true:, null:, 1e3:]   | {"a":["1:","true:","null:","1e3:"]}
          # ... also after blanks, which Go folds into the scalar.
          a: [x :]                      | {"a":["x :"]}
          a: [a b  :, c]                | {"a":["a b  :","c"]}
          a: [?x :]                     | {"a":[{"x :":null}]}
          # What YAML 1.2 and Go read alike stays as it was.
          a: [a:b, k: v, k2: v:w]       | {"a":["a:b",{"k":"v"},{"k2":"v:w"}]}
          a: {a:b, c: d}                | {"a":{"a:b":null,"c":"d"}}
          a: [http://x:8080/p, fe80::1%eth0] | {"a":["http://x:8080/p","fe80::1%eth0"]}
          a: [x:, c]                    | {"a":["x:","c"]}
          a: {"q":b}                    | {"a":{"q":"b"}}
          key:value                     | "key:value"
          a: http://x/p?q=1             | {"a":"http://x/p?q=1"}
          a: ?x                         | {"a":"?x"}
          # A leading '?' is a key indicator, with or without a blank after it.
          a: [?x]                       | {"a":[{"x":null}]}
          a: [a, ?b]                    | {"a":["a",{"b":null}]}
          a: [?x: y]                    | {"a":[{"x":true}]}
          a: {?x: 1, ?c}                | {"a":{"x":1,"c":null}}
          a: [?'q', ?&k r]              | {"a":[{"q":null},{"r":null}]}
          a: [?x:]                      | {"a":[{"x:":null}]}
          # A lone '-' is the string "-".
          a: [-]                        | {"a":["-"]}
          a: [-, x, -]                  | {"a":["-","x","-"]}
          a: {-, k: -}                  | {"a":{"-":null,"k":"-"}}
          a: [[-], "-", '[-]', -x]      | {"a":[["-"],"-","[-]","-x"]}
          # ':' and '?' end an anchor or alias name.
          a: &k:x b                     | {"a":":x b"}
          a: &k?x b                     | {"a":"?x b"}
          """)
  void readsAsGoReads(String yaml, String json) throws Exception {
    assertThat(read(yaml)).as(yaml).isEqualTo(JSON.readTree(json));
  }

  @Test
  void aKeyFromAnAliasEndsAtItsColon() throws Exception {
    assertThat(read("x: &k a\n*k: b\ny: {*k: c}\nz: [*k: d]\n"))
        .isEqualTo(
            JSON.readTree(
                "{\"x\":\"a\",\"a\":\"b\",\"true\":{\"a\":\"c\"},\"z\":[{\"a\":\"d\"}]}"));
  }

  @Test
  void blanksAndLineBreaksBeforeTheColonFoldAsGoFoldsThem() throws Exception {
    assertThat(read("a: [x\n  :]\n")).isEqualTo(JSON.readTree("{\"a\":[\"x :\"]}"));
    assertThat(read("a: [x\n\n  :]\n")).isEqualTo(JSON.readTree("{\"a\":[\"x\\n:\"]}"));
    assertThat(read("a: [x\t:]\n")).isEqualTo(JSON.readTree("{\"a\":[\"x\\t:\"]}"));
    // A comment ends the scalar: the ':' is a value indicator, where none may stand.
    assertThat(error("a: [x #c\n :]\n")).isNotBlank();
  }

  /** Go ends the scalar at a '?' and starts a key where no key may stand. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "a: {url: http://x/p?q=1}",
        "a: [a?b]",
        "a: [x?]",
        "a: {k?: v}",
        "a: [a ?b]",
        "a: [a\n  ?b]",
        "a: [x:?]"
      })
  void aQuestionMarkInsideAFlowScalarIsAnError(String yaml) {
    assertThat(error(yaml))
        .contains("found '?' in the plain scalar")
        .contains("quote the scalar")
        .contains("line 1, column ");
  }

  /** Where Go fails, so do we (the message is ours). */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "a: [a:[b]]", // a flow collection right after "a:" with no ','
        "a: {a:{b: c}}",
        "a: [??x]",
        "a: [?:]", // a null key
        "a: {k: ?v}",
        "a: [&x ?y]",
        "a: [- x]",
        "a: [-]]",
        "a: [::1]",
        "x: &k: a", // "k" then ': ': a mapping where the value was
        "x: &k? a"
      })
  void failsWhereGoFails(String yaml) {
    assertThat(error(yaml)).isNotBlank();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          x: &k+ a  | '+' in the name 'k+'
          x: &kä a  | 'ä' in the name 'kä'
          x: &k%x a | '%' in the name 'k%x'
          x: *k@    | '@' in the name 'k@'
          """)
  void anchorNamesAreAsciiLettersDigitsUnderscoresAndDashes(String yaml, String why) {
    assertThat(error(yaml))
        .contains("found character " + why)
        .contains("only ASCII letters, digits, '_' and '-'")
        .contains("line 1, column 4");
  }

  @Test
  void editsForARereadAreBounded() throws Exception {
    String many = "a: [" + "-, ".repeat(GoYamlComposer.MAX_EDITS) + "x]\n";
    assertThat(read(many).get("a")).hasSize(GoYamlComposer.MAX_EDITS + 1);
    assertThat(error("a: [" + "-, ".repeat(GoYamlComposer.MAX_EDITS + 1) + "x]\n"))
        .startsWith("more than " + GoYamlComposer.MAX_EDITS + " places");
  }

  @Test
  void positionsAfterAnEditStayRight() {
    // The stand-ins put in for '-' and ':' keep every later position.
    assertThat(error("a: [-, x?]\n")).endsWith("line 1, column 8");
    assertThat(error("a: [x :, y?]\n")).endsWith("line 1, column 10");
  }

  @Test
  void standInCharactersInTheInputAreKept() throws Exception {
    assertThat(read("a: [\uE000, \uE001, x\uE001]\n"))
        .isEqualTo(JSON.readTree("{\"a\":[\"\uE000\",\"\uE001\",\"x\uE001\"]}"));
    assertThat(read("a: [\uE000, -, \uD83D\uDE00 :, x\uE001:]\n"))
        .isEqualTo(JSON.readTree("{\"a\":[\"\uE000\",\"-\",\"\uD83D\uDE00 :\",\"x\uE001:\"]}"));
  }
}
