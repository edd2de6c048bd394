package io.jistiod.pilot.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HostsTest {
  @Test
  void shortNamesResolveInTheirNamespace() {
    assertThat(Hosts.resolveShortName("reviews", "default", "cluster.local"))
        .isEqualTo("reviews.default.svc.cluster.local");
    assertThat(Hosts.resolveShortName("reviews.other", "default", "cluster.local"))
        .isEqualTo("reviews.other");
    assertThat(Hosts.resolveShortName("*", "default", "cluster.local")).isEqualTo("*");
  }

  @Test
  void wildcardsMatchSuffixes() {
    assertThat(Hosts.matches("*.example.com", "a.example.com")).isTrue();
    assertThat(Hosts.matches("*.example.com", "example.com")).isFalse();
    assertThat(Hosts.matches("*", "anything")).isTrue();
    assertThat(Hosts.matches("A.example.com", "a.EXAMPLE.com")).isTrue();
  }

  @Test
  void grpcTargetsCompleteRelativeToTheProxy() {
    String domain = "default.svc.cluster.local";
    assertThat(Hosts.completeShortName("greeter", "default", domain))
        .isEqualTo("greeter.default.svc.cluster.local");
    assertThat(Hosts.completeShortName("greeter.default", "default", domain))
        .isEqualTo("greeter.default.svc.cluster.local");
    assertThat(Hosts.completeShortName("greeter.default.svc", "default", domain))
        .isEqualTo("greeter.default.svc.cluster.local");
    assertThat(Hosts.completeShortName("greeter.other", "default", domain)).isNull();
  }
}
