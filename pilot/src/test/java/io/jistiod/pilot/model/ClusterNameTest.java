package io.jistiod.pilot.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClusterNameTest {
  @Test
  void roundTripsIstioNames() {
    ClusterName c = ClusterName.parse("outbound|9080|v1|reviews.default.svc.cluster.local");
    assertThat(c).isEqualTo(ClusterName.outbound("reviews.default.svc.cluster.local", 9080, "v1"));
    assertThat(c.toString()).isEqualTo("outbound|9080|v1|reviews.default.svc.cluster.local");
    assertThat(ClusterName.outbound("a.b", 80, null).toString()).isEqualTo("outbound|80||a.b");
    assertThat(ClusterName.parse("inbound|8080||"))
        .isEqualTo(new ClusterName("inbound", 8080, "", ""));
  }

  @Test
  void acceptsTheSniForm() {
    assertThat(ClusterName.parse("outbound_.9080_.v1_.reviews.default.svc.cluster.local"))
        .isEqualTo(ClusterName.outbound("reviews.default.svc.cluster.local", 9080, "v1"));
  }

  @Test
  void rejectsOtherNames() {
    assertThat(ClusterName.parse("BlackHoleCluster")).isNull();
    assertThat(ClusterName.parse("outbound|x||a")).isNull();
    assertThat(ClusterName.parse("sideways|80||a")).isNull();
    assertThat(ClusterName.parse("outbound|80|a")).isNull();
  }
}
