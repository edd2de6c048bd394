package io.jistiod.istiod.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class IstiodDnsNamesTest {
  @Test
  void defaultRevision() {
    assertThat(IstiodDnsNames.of("istio-system", "default", List.of()))
        .containsExactly(
            "istio-pilot.istio-system.svc",
            "istiod-remote.istio-system.svc",
            "istiod.istio-system.svc");
  }

  @Test
  void revisionAndCustomHostsAreAddedSortedWithoutDuplicates() {
    assertThat(
            IstiodDnsNames.of("mesh", "canary", List.of("istiod.example.com", "istiod.mesh.svc")))
        .containsExactly(
            "istio-pilot.mesh.svc",
            "istiod-canary.mesh.svc",
            "istiod-remote.mesh.svc",
            "istiod.example.com",
            "istiod.mesh.svc");
  }
}
