package io.jistiod.istiod.inject;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.injector.InjectionConfig;
import io.jistiod.injector.template.TemplateException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileInjectorConfigSourceTest {
  /** Parses any template except one containing "BROKEN", which fails naming template and line. */
  static final InjectionConfig.TemplateParser PARSER =
      (name, text) -> {
        if (text.contains("BROKEN")) {
          throw new TemplateException("template: " + name + ":1: function \"BROKEN\" not defined");
        }
        return data -> text;
      };

  @Test
  void readsTheFilesFollowsEditsAndKeepsTheLastGoodConfig(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("config"), "policy: enabled\ntemplates: {sidecar: a}");
    Files.writeString(dir.resolve("values"), "{\"global\":{\"hub\":\"h1\"}}");
    InjectorConfigHolder holder = new InjectorConfigHolder(PARSER);
    assertThat(FileInjectorConfigSource.present(dir)).isTrue();
    try (FileInjectorConfigSource s = FileInjectorConfigSource.start(dir, holder, 20)) {
      assertThat(holder.get().config().policy()).isEqualTo("enabled");
      assertThat(holder.get().values().json().at("/global/hub").asText()).isEqualTo("h1");

      Files.writeString(dir.resolve("config"), "policy: disabled\ntemplates: {sidecar: a}");
      waitFor(() -> "disabled".equals(holder.get().config().policy()));

      // A template that does not parse: refused, the last good config stays.
      Files.writeString(dir.resolve("config"), "policy: enabled\ntemplates: {sidecar: BROKEN}");
      Thread.sleep(200);
      assertThat(holder.get().config().policy()).isEqualTo("disabled");

      Files.writeString(dir.resolve("values"), "{\"global\":{\"hub\":\"h2\"}}");
      Files.writeString(dir.resolve("config"), "policy: enabled\ntemplates: {sidecar: b}");
      // both files are rewritten in place, so a poll may see one new and one old or half-written:
      // what counts is that the pair written last is what the holder ends with
      waitFor(
          () ->
              holder.get().values().json().at("/global/hub").asText().equals("h2")
                  && "b".equals(holder.get().config().rawTemplates().get("sidecar")));
      assertThat(holder.get().config().policy()).isEqualTo("enabled");
    }
  }

  @Test
  void noConfigFileMeansNoFileSource(@TempDir Path dir) {
    assertThat(FileInjectorConfigSource.present(dir)).isFalse();
    assertThat(InjectionOptions.configMapName("")).isEqualTo("istio-sidecar-injector");
    assertThat(InjectionOptions.configMapName("default")).isEqualTo("istio-sidecar-injector");
    assertThat(InjectionOptions.configMapName("canary")).isEqualTo("istio-sidecar-injector-canary");
  }

  private static void waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
    long end = System.nanoTime() + 5_000_000_000L;
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("condition not met in 5 s");
      }
      Thread.sleep(20);
    }
  }
}
