package io.jistiod.galley.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The mesh config file is applied live; a bad edit keeps the last good config. */
class MeshConfigWatcherTest {
  @TempDir Path dir;

  private MeshConfigWatcher watch(Path file) throws Exception {
    return MeshConfigWatcher.start(
        file, null, "istio-system", "istio", null, Duration.ofMillis(20));
  }

  @Test
  void anEditOfTheFileIsAppliedAndReported() throws Exception {
    Path file = dir.resolve("mesh");
    Files.writeString(file, "rootNamespace: first\n");
    List<MeshConfig> seen = new CopyOnWriteArrayList<>();
    try (MeshConfigWatcher w = watch(file)) {
      w.addListener(seen::add);
      assertThat(w.current().getRootNamespace()).isEqualTo("first");
      // the defaults stay under what the file sets
      assertThat(w.current().getTrustDomain()).isEqualTo("cluster.local");

      Files.writeString(
          file, "rootNamespace: second\noutboundTrafficPolicy: {mode: REGISTRY_ONLY}\n");
      Awaitility.await().until(() -> seen.size() == 1);
      assertThat(seen.get(0).getRootNamespace()).isEqualTo("second");
      assertThat(w.current().getOutboundTrafficPolicy().getMode())
          .isEqualTo(MeshConfig.OutboundTrafficPolicy.Mode.REGISTRY_ONLY);
    }
  }

  @Test
  void aBadEditIsRefusedWithItsReasonAndTheLastGoodConfigStays() throws Exception {
    Path file = dir.resolve("mesh");
    Files.writeString(file, "rootNamespace: good\n");
    List<MeshConfig> seen = new CopyOnWriteArrayList<>();
    try (MeshConfigWatcher w = watch(file)) {
      w.addListener(seen::add);
      Files.writeString(file, "rootNamespace: [not, a, string]\n");
      Awaitility.await().until(() -> w.lastError() != null);
      assertThat(w.lastError()).contains(file.toString()).contains("rootNamespace");
      assertThat(w.current().getRootNamespace()).isEqualTo("good");
      assertThat(seen).isEmpty();

      Files.writeString(file, "rootNamespace: fixed\n");
      Awaitility.await().until(() -> seen.size() == 1);
      assertThat(w.lastError()).isNull();
      assertThat(w.current().getRootNamespace()).isEqualTo("fixed");
    }
  }

  @Test
  void anEditThatChangesNothingIsNotReported() throws Exception {
    Path file = dir.resolve("mesh");
    Files.writeString(file, "rootNamespace: same\n");
    List<MeshConfig> seen = new CopyOnWriteArrayList<>();
    try (MeshConfigWatcher w = watch(file)) {
      w.addListener(seen::add);
      Files.writeString(file, "# a comment now\nrootNamespace: same\n");
      Files.writeString(file, "rootNamespace: other\n");
      Awaitility.await().until(() -> !seen.isEmpty());
      assertThat(seen).extracting(MeshConfig::getRootNamespace).containsExactly("other");
    }
  }

  @Test
  void aBadFileFailsTheStart() throws Exception {
    Path file = dir.resolve("mesh");
    Files.writeString(file, "rootNamespace: [x]\n");
    assertThatThrownBy(() -> watch(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(file.toString());
  }

  @Test
  void noFileAndNoClusterIsTheDefaults() throws Exception {
    try (MeshConfigWatcher w = watch(dir.resolve("absent"))) {
      assertThat(w.current()).isEqualTo(MeshConfigs.defaults());
    }
  }
}
