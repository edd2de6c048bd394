package io.jistiod.galley.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.ConfigEvent;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.validation.NetworkingValidators;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileConfigSourceTest {
  @TempDir Path dir;
  private final MemoryConfigStore store = new MemoryConfigStore();
  private final List<ConfigEvent> events = new CopyOnWriteArrayList<>();
  private FileConfigSource source;

  @BeforeEach
  void setUp() {
    store.addHandler(events::add);
    source =
        new FileConfigSource(
            dir,
            new ConfigParser(IstioKinds.ALL, "default"),
            NetworkingValidators.forKinds(),
            store);
  }

  private static String vs(String name, String host, int weightA) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: %s, namespace: default}
        spec:
          hosts: [%s]
          http:
          - route:
            - {destination: {host: %s, subset: a}, weight: %d}
            - {destination: {host: %s, subset: b}, weight: %d}
        """
        .formatted(name, host, host, weightA, host, 100 - weightA);
  }

  private int weightA(String name) {
    return store
        .get(IstioKinds.VIRTUAL_SERVICE, "default", name)
        .orElseThrow()
        .spec(VirtualService.class)
        .getHttp(0)
        .getRoute(0)
        .getWeight();
  }

  @Test
  void aRescanParsesOnlyTheFilesThatChanged() throws IOException {
    java.util.concurrent.atomic.AtomicInteger validated =
        new java.util.concurrent.atomic.AtomicInteger();
    var validators = NetworkingValidators.forKinds();
    FileConfigSource counting =
        new FileConfigSource(
            dir,
            new ConfigParser(IstioKinds.ALL, "default"),
            c -> {
              validated.incrementAndGet();
              return validators.validate(c);
            },
            store);
    Files.writeString(dir.resolve("a.yaml"), vs("a", "a", 80));
    Files.writeString(dir.resolve("b.yaml"), vs("b", "b", 80));
    counting.rescan();
    assertThat(validated).hasValue(2);

    Files.writeString(dir.resolve("b.yaml"), vs("b", "b", 30));
    counting.rescan();
    assertThat(validated).hasValue(3); // b alone
    assertThat(weightA("a")).isEqualTo(80);
    assertThat(weightA("b")).isEqualTo(30);

    // a file deleted and written again with its old text is read again
    Files.delete(dir.resolve("a.yaml"));
    counting.rescan();
    assertThat(store.get(IstioKinds.VIRTUAL_SERVICE, "default", "a")).isEmpty();
    Files.writeString(dir.resolve("a.yaml"), vs("a", "a", 80));
    counting.rescan();
    assertThat(weightA("a")).isEqualTo(80);
    assertThat(validated).hasValue(4);
  }

  @Test
  void addChangeDelete() throws IOException {
    Files.writeString(dir.resolve("a.yaml"), vs("a", "a", 80));
    source.rescan();
    assertThat(weightA("a")).isEqualTo(80);

    Files.writeString(dir.resolve("a.yaml"), vs("a", "a", 10));
    source.rescan();
    assertThat(weightA("a")).isEqualTo(10);

    Files.delete(dir.resolve("a.yaml"));
    source.rescan();
    assertThat(store.get(IstioKinds.VIRTUAL_SERVICE, "default", "a")).isEmpty();
    assertThat(events)
        .extracting(ConfigEvent::type)
        .containsExactly(ConfigEvent.Type.ADD, ConfigEvent.Type.UPDATE, ConfigEvent.Type.DELETE);
  }

  @Test
  void unchangedFilesTriggerNothing() throws IOException {
    Files.writeString(dir.resolve("a.yaml"), vs("a", "a", 80));
    source.rescan();
    source.rescan();
    Files.writeString(dir.resolve("a.yaml"), "# a comment\n" + vs("a", "a", 80));
    source.rescan();
    assertThat(events).hasSize(1);
  }

  @Test
  void malformedFileKeepsItsLastGoodObjectsAndOthersStillLoad() throws IOException {
    Files.writeString(dir.resolve("a.yaml"), vs("a", "a", 80));
    source.rescan();
    Files.writeString(dir.resolve("a.yaml"), "apiVersion: [this is not yaml\n  kind: {");
    Files.writeString(dir.resolve("b.yaml"), vs("b", "b", 30));
    source.rescan();
    assertThat(weightA("a")).isEqualTo(80);
    assertThat(weightA("b")).isEqualTo(30);
  }

  @Test
  void halfWrittenFileIsNotTakenForADeletion() throws IOException {
    String full = vs("a", "a", 60) + "---\n" + vs("c", "c", 40);
    Files.writeString(dir.resolve("a.yaml"), full);
    source.rescan();
    // The writer has produced only part of the second object so far.
    Files.writeString(dir.resolve("a.yaml"), full.substring(0, full.length() - 60));
    source.rescan();
    assertThat(weightA("a")).isEqualTo(60);
    assertThat(weightA("c")).isEqualTo(40);
    Files.writeString(dir.resolve("a.yaml"), vs("a", "a", 60) + "---\n" + vs("c", "c", 45));
    source.rescan();
    assertThat(weightA("c")).isEqualTo(45);
  }

  @Test
  void invalidUpdateKeepsTheLastValidVersion() throws IOException {
    Files.writeString(dir.resolve("a.yaml"), vs("a", "a", 80) + "---\n" + vs("b", "b", 50));
    source.rescan();
    // A negative weight is invalid; the object keeps its previous version, the other updates.
    Files.writeString(dir.resolve("a.yaml"), vs("a", "a", -5) + "---\n" + vs("b", "b", 20));
    source.rescan();
    assertThat(weightA("a")).isEqualTo(80);
    assertThat(weightA("b")).isEqualTo(20);
  }

  @Test
  void newInvalidObjectIsNotLoaded() throws IOException {
    Files.writeString(dir.resolve("a.yaml"), vs("a", "a", 130));
    source.rescan();
    assertThat(store.get(IstioKinds.VIRTUAL_SERVICE, "default", "a")).isEmpty();
  }

  @Test
  void ignoresHiddenAndForeignFiles() throws IOException {
    Files.writeString(dir.resolve(".a.yaml.swp"), vs("swap", "s", 50));
    Files.writeString(dir.resolve("notes.txt"), vs("txt", "t", 50));
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("sub/x.yml"), vs("x", "x", 50));
    source.rescan();
    assertThat(store.keys())
        .extracting(Object::toString)
        .containsExactly("VirtualService/default/x");
  }

  @Test
  void missingFolderFailsToStart() {
    FileConfigSource missing =
        new FileConfigSource(
            dir.resolve("nope"),
            new ConfigParser(IstioKinds.ALL, "default"),
            NetworkingValidators.forKinds(),
            store);
    assertThatThrownBy(missing::start).hasMessageContaining("does not exist");
  }

  @Test
  void watchesTheFolder() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), vs("a", "a", 80));
    source.start();
    try {
      assertThat(store.hasSynced()).isTrue();
      Files.writeString(dir.resolve("a.yaml"), vs("a", "a", 0));
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(weightA("a")).isZero());
    } finally {
      source.close();
    }
  }
}
