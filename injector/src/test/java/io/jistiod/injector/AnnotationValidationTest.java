package io.jistiod.injector;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class AnnotationValidationTest {
  @Test
  void goodValuesPass() {
    assertThatCode(
            () ->
                AnnotationValidation.validate(
                    Map.of(
                        "traffic.sidecar.istio.io/includeOutboundIPRanges",
                            "10.0.0.0/8,::ffff:0:0/96,fd00::/8",
                        "traffic.sidecar.istio.io/includeInboundPorts", "*",
                        "traffic.sidecar.istio.io/excludeInboundPorts", " 80, 443 ",
                        "sidecar.istio.io/interceptionMode", "TPROXY",
                        "status.sidecar.istio.io/port", "15020",
                        "prometheus.istio.io/merge-metrics", "F",
                        "proxy.istio.io/config", "concurrency: 2",
                        "unrelated", "anything")))
        .doesNotThrowAnyException();
  }

  @Test
  void everyBadOneIsListed() {
    assertThatThrownBy(
            () ->
                AnnotationValidation.validate(
                    Map.of(
                        "traffic.sidecar.istio.io/excludeOutboundIPRanges", "10.0.0.0",
                        "readiness.status.sidecar.istio.io/periodSeconds", "-1",
                        "proxy.istio.io/config", "concurrency: [")))
        .isInstanceOf(InjectionException.class)
        .hasMessageStartingWith("3 errors occurred:\n\t* invalid value")
        .hasMessageContaining(
            "invalid value '10.0.0.0' for annotation"
                + " 'traffic.sidecar.istio.io/excludeOutboundIPRanges': excludeIPRanges invalid:"
                + " failed parsing cidr '10.0.0.0'")
        .hasMessageContaining("'readiness.status.sidecar.istio.io/periodSeconds'")
        .hasMessageContaining("'proxy.istio.io/config': failed to convert to apply proxy config");
  }
}
