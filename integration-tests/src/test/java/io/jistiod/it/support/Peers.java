package io.jistiod.it.support;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real peers the e2e suite runs (Istio's programs, grpc-go's client, the rig's binaries) are
 * built by {@code integration-tests/cluster/build-*.sh}, which {@code integration-tests/e2e.sh}
 * runs before any test. A test that needs one fails when it is missing: a proof that can skip is no
 * proof.
 */
public final class Peers {
  private Peers() {}

  /**
   * Fails the calling test unless {@code file} exists (and is executable when it is a program).
   *
   * @param what the peer, as a reader knows it, e.g. "Istio's pilot-agent 1.27.0"
   * @param script the build script under integration-tests/cluster that builds it
   */
  public static void require(Path file, String what, String script) {
    boolean ok =
        file.getFileName().toString().contains(".")
            ? Files.isRegularFile(file)
            : Files.isExecutable(file);
    if (!ok) {
      throw new AssertionError(
          what
              + " is missing at "
              + file
              + ": build it with integration-tests/cluster/"
              + script
              + " (integration-tests/e2e.sh builds every peer before the tests; a missing peer"
              + " fails the e2e suite instead of skipping)");
    }
  }
}
