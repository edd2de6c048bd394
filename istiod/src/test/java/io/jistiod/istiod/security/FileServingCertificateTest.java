package io.jistiod.istiod.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileServingCertificateTest {
  @TempDir Path dir;
  private final FakeTime time = new FakeTime(TestCa.NOW);
  private final CaKeyMaterial ca = TestCa.root(time);
  private final ServingKeyManager keys = new ServingKeyManager();

  private FileServingCertificate files() {
    return new FileServingCertificate(
        dir.resolve("tls.crt"), dir.resolve("tls.key"), keys, time, Duration.ofMinutes(1));
  }

  private void write(ServingCertificate c) throws IOException {
    Files.writeString(dir.resolve("tls.crt"), Pem.encodeAll(c.chain()));
    Files.writeString(dir.resolve("tls.key"), Pem.encode(c.key()));
  }

  @Test
  void loadsAndFollowsTheFiles() throws IOException {
    ServingCertificate first = TestCa.issue(ca, time, "istiod.istio-system.svc");
    write(first);
    try (FileServingCertificate files = files()) {
      files.start();
      assertThat(keys.current().orElseThrow().leaf()).isEqualTo(first.leaf());

      ServingCertificate second = TestCa.issue(ca, time, "istiod.istio-system.svc");
      write(second);
      time.advance(Duration.ofMinutes(1));
      assertThat(keys.current().orElseThrow().leaf()).isEqualTo(second.leaf());

      // A key that does not match (half-written update): the last good pair stays.
      Files.writeString(dir.resolve("tls.key"), Pem.encode(TestCa.issue(ca, time, "x.svc").key()));
      time.advance(Duration.ofMinutes(1));
      assertThat(keys.current().orElseThrow().leaf()).isEqualTo(second.leaf());
    }
  }

  @Test
  void startFailsWithAOneLineReason() throws IOException {
    ServingCertificate first = TestCa.issue(ca, time, "istiod.istio-system.svc");
    write(first);
    Files.writeString(dir.resolve("tls.key"), Pem.encode(TestCa.issue(ca, time, "x").key()));
    assertThatThrownBy(() -> files().start())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("--tlsCertFile")
        .hasMessageContaining("does not match")
        .hasMessageNotContaining("PRIVATE KEY");
  }
}
