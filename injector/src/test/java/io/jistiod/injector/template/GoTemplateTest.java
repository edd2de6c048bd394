package io.jistiod.injector.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The engine's constructs, with the outputs Go's text/template gives for them. */
class GoTemplateTest {
  static String render(String text, Object data) throws TemplateException {
    return GoTemplate.parse("t", text, Map.of()).execute(data);
  }

  static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void textAndTrimMarkers() throws Exception {
    assertThat(render("a  {{- \"b\" -}}  \n c", null)).isEqualTo("abc");
    assertThat(render("a {{/* comment */}} b", null)).isEqualTo("a  b");
    assertThat(render("a \n{{- /* comment */ -}}\n b", null)).isEqualTo("ab");
    assertThat(render("{{-3}}", null)).isEqualTo("-3");
  }

  @Test
  void constants() throws Exception {
    assertThat(render("{{1}} {{1.5}} {{1e6}} {{0x1F}} {{017}} {{0o17}} {{1_000}} {{'a'}}", null))
        .isEqualTo("1 1.5 1e+06 31 15 15 1000 97");
    assertThat(render("{{\"a\\tb\\u00e9\\x41\"}} {{`raw\\n`}} {{true}} {{false}}", null))
        .isEqualTo("a\tbéA raw\\n true false");
    assertThat(render("{{print nil}}", null)).isEqualTo("<nil>");
  }

  @Test
  void fieldsAndMissingKeys() throws Exception {
    Object data = map("a", map("b", "x", "n", null), "l", List.of(1L, "s"));
    assertThat(render("{{.a.b}} {{.missing}} {{.missing.deeper}} {{.l}} {{.a}}", data))
        .isEqualTo("x <no value> <no value> [1 s] map[b:x n:<nil>]");
    assertThat(render("{{.a.n}}", data)).isEqualTo("<no value>");
    assertThatThrownBy(() -> render("{{.a.n.x}}", data))
        .hasMessage(
            "template: t:1:4: executing \"t\" at <.a.n.x>: nil pointer evaluating interface {}.x");
    assertThatThrownBy(() -> render("{{.a.b.c}}", data))
        .hasMessageEndingWith("can't evaluate field c in type interface {}");
  }

  @Test
  void variablesAndScopes() throws Exception {
    assertThat(render("{{$x := 1}}{{if true}}{{$x = 2}}{{$y := 3}}{{end}}{{$x}}", null))
        .isEqualTo("2");
    assertThat(render("{{with $x := .a}}{{$x}}{{.}}{{end}}", map("a", "v"))).isEqualTo("vv");
    assertThatThrownBy(() -> render("{{if true}}{{$y := 3}}{{end}}{{$y}}", null))
        .hasMessage("template: t:1: undefined variable \"$y\"");
    assertThat(render("{{range $i, $v := .}}{{$i}}={{$v}};{{len $}}{{end}}", List.of("a", "b")))
        .isEqualTo("0=a;21=b;2");
  }

  @Test
  void controlStructures() throws Exception {
    String t = "{{if .a}}A{{else if .b}}B{{else}}C{{end}}";
    assertThat(render(t, map("a", 0L, "b", "x"))).isEqualTo("B");
    assertThat(render(t, map("a", List.of(), "b", ""))).isEqualTo("C");
    assertThat(render("{{with .a}}{{.}}{{else with .b}}b{{.}}{{else}}none{{end}}", map("b", 2L)))
        .isEqualTo("b2");
    Map<String, Object> m = map("z", 1L, "a", 2L);
    assertThat(render("{{range $k, $v := .}}{{$k}}{{$v}}{{end}}", m)).isEqualTo("a2z1");
    assertThat(render("{{range .}}x{{else}}empty{{end}}", List.of())).isEqualTo("empty");
    assertThat(render("{{range 3}}{{.}}{{end}}", null)).isEqualTo("012");
    assertThat(
            render(
                "{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}",
                List.of(1L, 2L, 3L, 4L, 5L)))
        .isEqualTo("13");
  }

  @Test
  void defineTemplateBlock() throws Exception {
    assertThat(render("{{define \"x\"}}[{{.}}]{{end}}{{template \"x\" 5}}", null)).isEqualTo("[5]");
    assertThat(render("{{block \"b\" .}}<{{.}}>{{end}}", "d")).isEqualTo("<d>");
    assertThatThrownBy(() -> render("{{template \"nope\"}}", null))
        .hasMessageEndingWith("template \"nope\" not defined");
  }

  @Test
  void pipelinesAndParens() throws Exception {
    assertThat(render("{{\"a\" | printf \"%s-%s\" \"b\"}}", null)).isEqualTo("b-a");
    assertThat(render("{{(index . \"a\").b}}", map("a", map("b", "c")))).isEqualTo("c");
    assertThat(render("{{len .}} {{index . 1}} {{slice . 1 2}}", List.of(1L, 2L, 3L)))
        .isEqualTo("3 2 [2]");
  }

  @Test
  void builtins() throws Exception {
    assertThat(render("{{and 1 0 2}} {{or 0 \"\" 3}} {{not 0}} {{and 1 2}}", null))
        .isEqualTo("0 3 true 2");
    assertThat(render("{{eq 1 2 1}} {{ne \"a\" \"b\"}} {{lt 1 2}} {{ge 2.5 2.5}}", null))
        .isEqualTo("true true true true");
    assertThatThrownBy(() -> render("{{eq 1 1.0}}", null))
        .hasMessageEndingWith(
            "error calling eq: incompatible types for comparison: int and float64");
    assertThat(render("{{eq .missing nil}} {{eq .s \"x\"}}", map("s", "x"))).isEqualTo("true true");
    assertThat(
            render("{{html \"<a href='x'>&\"}} {{js \"it's <b>\"}} {{urlquery \"a b&c\"}}", null))
        .isEqualTo("&lt;a href=&#39;x&#39;&gt;&amp; it\\'s \\u003Cb\\u003E a+b%26c");
    assertThat(render("{{print 1 2 \"a\" 3}}|{{println 1 \"a\"}}", null)).isEqualTo("1 2a3|1 a\n");
    assertThat(render("{{index .m \"x\"}}", map("m", map()))).isEqualTo("<no value>");
  }

  @Test
  void printf() throws Exception {
    assertThat(
            render(
                "{{printf \"%d|%5d|%-4d|%05d|%x|%X|%o|%q|%v|%+d|%c\" 42 42 42 -42 255 255 8 \"q\" 1.5 3 65}}",
                null))
        .isEqualTo("42|   42|42  |-0042|ff|FF|10|\"q\"|1.5|+3|A");
    assertThat(
            render(
                "{{printf \"%.2f|%8.3f|%e|%g|%s|%t|%%|%v\" 3.14159 2.5 1234.5678 0.00001 \"s\" true .}}",
                List.of("a", 1L)))
        .isEqualTo("3.14|   2.500|1.234568e+03|1e-05|s|true|%|[a 1]");
    assertThat(render("{{printf \"%d %s\" \"x\"}}", null)).isEqualTo("%!d(string=x) %!s(MISSING)");
    assertThat(render("{{printf \"%d\" 1 2}}", null)).isEqualTo("1%!(EXTRA int=2)");
  }

  @Test
  void floatsPrintLikeGo() throws Exception {
    List<Object> fs =
        new ArrayList<>(List.of(1e6, 0.5, 15020.0, 1e21, 123456789.0, 1e-5, 100000.0));
    assertThat(render("{{range .}}{{.}} {{end}}", fs))
        .isEqualTo("1e+06 0.5 15020 1e+21 1.23456789e+08 1e-05 100000 ");
  }

  @Test
  void parseErrors() {
    assertThatThrownBy(() -> render("line1\n{{nofunc 1}}", null))
        .hasMessage("template: t:2: function \"nofunc\" not defined");
    assertThatThrownBy(() -> render("{{if}}", null))
        .hasMessage("template: t:1: missing value for if");
    assertThatThrownBy(() -> render("{{end}}", null)).hasMessageContaining("unexpected {{end}}");
    assertThatThrownBy(() -> render("{{if true}}", null))
        .hasMessage("template: t:1: unexpected EOF");
    assertThatThrownBy(() -> render("{{break}}", null))
        .hasMessage("template: t:1: {{break}} outside {{range}}");
  }

  @Test
  void execErrors() {
    assertThatThrownBy(() -> render("{{nil}}", null)).hasMessageEndingWith("nil is not a command");
    assertThatThrownBy(() -> render("\n  {{len 1 2}}", null))
        .hasMessage(
            "template: t:2:4: executing \"t\" at <len>: wrong number of args for len: want 1 got 2");
  }
}
