package io.jistiod.injector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.injector.template.TemplateException;
import org.junit.jupiter.api.Test;

class InjectionConfigTest {
  private static final InjectionConfig.TemplateParser ECHO = (name, text) -> data -> text;

  @Test
  void readsEveryFieldAndDefaultsToTheSidecarTemplate() throws Exception {
    InjectionConfig c =
        InjectionConfig.parse(
            """
            policy: enabled
            alwaysInjectSelector: [{matchLabels: {a: b}}]
            neverInjectSelector: []
            injectedAnnotations: {x: z}
            unknownKey: ignored
            templates:
              sidecar: "spec: {}"
              gateway: "metadata: {}"
            aliases:
              both: [sidecar, gateway]
            """,
            ECHO);
    assertThat(c.policy()).isEqualTo("enabled");
    assertThat(c.defaultTemplates()).containsExactly("sidecar");
    assertThat(c.templates()).containsOnlyKeys("sidecar", "gateway");
    assertThat(c.templates().get("gateway").render(null)).isEqualTo("metadata: {}");
    assertThat(c.aliases().get("both")).containsExactly("sidecar", "gateway");
    assertThat(c.alwaysInjectSelector()).hasSize(1);
    assertThat(c.injectedAnnotations()).containsEntry("x", "z");
  }

  @Test
  void aTemplateThatDoesNotParseNamesTheTemplate() {
    InjectionConfig.TemplateParser failing =
        (name, text) -> {
          throw new TemplateException("template: " + name + ":3: unexpected \"}\" in operand");
        };
    assertThatThrownBy(() -> InjectionConfig.parse("templates: {gw: '{{ }'}", failing))
        .isInstanceOf(InjectionConfigException.class)
        .hasMessage("template gw does not parse: template: gw:3: unexpected \"}\" in operand");
  }

  @Test
  void wrongTypesAndBadYamlAreErrors() {
    assertThatThrownBy(() -> InjectionConfig.parse("policy: [a]", ECHO))
        .hasMessageContaining("field policy")
        .hasMessageContaining("cannot unmarshal array into Go value of type string");
    assertThatThrownBy(() -> InjectionConfig.parse("templates: {a: 1}", ECHO))
        .hasMessageContaining("field templates.a");
    assertThatThrownBy(() -> InjectionConfig.parse("policy: [", ECHO))
        .hasMessageStartingWith("failed to unmarshal injection template:");
    assertThatThrownBy(() -> ValuesConfig.parse("[1]"))
        .hasMessageStartingWith("could not parse configuration values");
  }
}
