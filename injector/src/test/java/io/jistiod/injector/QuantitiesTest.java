package io.jistiod.injector;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class QuantitiesTest {
  @Test
  void canonicalFormsAsGoPrintsThem() {
    // Pairs checked against istioctl kube-inject output (resource.Quantity's String).
    assertThat(Quantities.canonical("2000m")).isEqualTo("2");
    assertThat(Quantities.canonical("1024Mi")).isEqualTo("1Gi");
    assertThat(Quantities.canonical("1000Mi")).isEqualTo("1000Mi");
    assertThat(Quantities.canonical("0.5")).isEqualTo("500m");
    assertThat(Quantities.canonical("100m")).isEqualTo("100m");
    assertThat(Quantities.canonical("1500m")).isEqualTo("1500m");
    assertThat(Quantities.canonical("1000")).isEqualTo("1k");
    assertThat(Quantities.canonical("512Ki")).isEqualTo("512Ki");
    assertThat(Quantities.canonical("0.5Gi")).isEqualTo("512Mi");
    assertThat(Quantities.canonical("100Ki")).isEqualTo("100Ki");
    assertThat(Quantities.canonical("1e3")).isEqualTo("1e3");
    assertThat(Quantities.canonical("0")).isEqualTo("0");
    assertThat(Quantities.canonical("0m")).isEqualTo("0");
    assertThat(Quantities.canonical("not-a-quantity")).isEqualTo("not-a-quantity");
  }
}
