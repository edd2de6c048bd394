package io.jistiod.injector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.injector.template.InjectionFunctions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Offline injection through the real template engine with a template of our own
 * (src/test/resources/kubeinject): the whole stream compared with a golden file. {@code
 * -Djistiod.inject.update=true} rewrites the golden files.
 */
class KubeInjectGoldenTest {
  private static final Path DIR = Path.of("src/test/resources/kubeinject");

  private static KubeInject kubeInject(boolean nativeSidecar, List<String> warnings)
      throws Exception {
    InjectionConfig config =
        InjectionConfig.parse(
            Files.readString(DIR.resolve("config.yaml")),
            InjectionFunctions.all(name -> null, m -> m));
    MeshConfig mesh = MeshConfigs.parse(Files.readString(DIR.resolve("mesh.yaml")), "mesh.yaml");
    return new KubeInject(
        config.templates(),
        ValuesConfig.parse(Files.readString(DIR.resolve("values.json"))),
        mesh,
        "",
        nativeSidecar,
        warnings::add);
  }

  private static void golden(String name, String actual) throws Exception {
    Path file = DIR.resolve(name);
    if (Boolean.getBoolean("jistiod.inject.update")) {
      Files.writeString(file, actual);
    }
    assertThat(actual).isEqualTo(Files.readString(file));
  }

  @Test
  void injectsTheWorkloadsAndCopiesTheRest() throws Exception {
    List<String> warnings = new ArrayList<>();
    String out =
        kubeInject(false, warnings).intoResourceFile(Files.readString(DIR.resolve("input.yaml")));
    golden("expected.yaml", out);
    assertThat(warnings)
        .containsExactly(
            "===> Skipping injection because Pod \"host\" has host networking enabled\n");
  }

  @Test
  void nativeSidecars() throws Exception {
    String out =
        kubeInject(true, new ArrayList<>())
            .intoResourceFile(Files.readString(DIR.resolve("input.yaml")));
    golden("expected-native.yaml", out);
  }

  @Test
  void aTemplateFailureNamesTheTemplate() throws Exception {
    InjectionConfig config =
        InjectionConfig.parse(
            "templates:\n  sidecar: |\n    spec:\n      x: {{ .Nope.Deeper }}\n",
            InjectionFunctions.all(name -> null, m -> m));
    KubeInject k =
        new KubeInject(
            config.templates(), ValuesConfig.empty(), MeshConfigs.defaults(), "", false, w -> {});
    assertThatThrownBy(
            () -> k.intoResourceFile("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n"))
        .isInstanceOf(InjectionException.class)
        .hasMessageStartingWith("failed to run injection template: ")
        .hasMessageContaining("sidecar:2");
  }

  @Test
  void documentsSplitAsKubernetesSplitsThem() {
    assertThat(KubeInject.documents("a: 1\n---\n---\n# c\nb: 2\n--- # x\nc: 3"))
        .containsExactly("a: 1\n", "# c\nb: 2\n", "c: 3\n");
    assertThat(Map.of()).isEmpty();
  }
}
