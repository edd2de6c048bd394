package io.jistiod.it.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** What counts as the API server refusing istiod (the check RigExtension runs after each test). */
class ForbiddenLogTest {
  @Test
  void anRbacDenialIsSeenInTheMessageOrTheException() {
    assertThat(
            ForbiddenLog.reportsForbidden(
                "Failure executing: POST at: https://127.0.0.1:6443/api/v1/namespaces/x/secrets."
                    + " Message: secrets is forbidden: User \"system:serviceaccount:x:istiod\""
                    + " cannot create resource \"secrets\" in API group \"\" in the namespace"
                    + " \"x\"."))
        .isTrue();
    assertThat(ForbiddenLog.reportsForbidden("Received status: Status(code=403, reason=Forbidden)"))
        .isTrue();

    ForbiddenLog log = ForbiddenLog.install();
    log.reset();
    KubernetesClientException e =
        new KubernetesClientException(
            new StatusBuilder()
                .withCode(403)
                .withReason("Forbidden")
                .withMessage(
                    "pods is forbidden: User \"system:serviceaccount:x:istiod\" cannot list")
                .build());
    LoggerFactory.getLogger("io.fabric8.kubernetes.client.informers.impl.cache.Reflector")
        .warn("listing failed", e);
    LoggerFactory.getLogger("io.jistiod.it.SomeTest")
        .warn("expected: pods is forbidden: User \"x\"");
    assertThat(log.lines()).hasSize(1);
    assertThat(log.lines().get(0)).contains("Reflector").contains("cannot list");
    log.reset();
  }

  @Test
  void numbersAndFieldErrorsAreNotDenials() {
    assertThat(ForbiddenLog.reportsForbidden("caBundle set (resourceVersion 403)")).isFalse();
    assertThat(ForbiddenLog.reportsForbidden("spec.x: Forbidden: may not be set")).isFalse();
    assertThat(ForbiddenLog.reportsForbidden("listening on 127.0.0.1:40300")).isFalse();
  }
}
