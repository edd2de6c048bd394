package io.jistiod.it.support;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A missing peer fails the test that needs it (an AssertionError), naming how to build it. */
class PeersTest {
  @TempDir Path tmp;

  @Test
  void aMissingPeerFailsNamingTheScriptThatBuildsIt() {
    assertThatThrownBy(
            () ->
                Peers.require(tmp.resolve("pilot-agent"), "Istio's pilot-agent", "build-istio.sh"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Istio's pilot-agent is missing at " + tmp.resolve("pilot-agent"))
        .hasMessageContaining("integration-tests/cluster/build-istio.sh");
  }

  @Test
  void aProgramMustBeExecutableAndADataFileMustExist() throws Exception {
    Path bin = Files.writeString(tmp.resolve("tool"), "#!/bin/sh\n");
    assertThatThrownBy(() -> Peers.require(bin, "tool", "build-x.sh"))
        .isInstanceOf(AssertionError.class);
    Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThatCode(() -> Peers.require(bin, "tool", "build-x.sh")).doesNotThrowAnyException();
    Path json = Files.writeString(tmp.resolve("template.json"), "{}");
    assertThatCode(() -> Peers.require(json, "template", "build-x.sh")).doesNotThrowAnyException();
  }
}
