package io.jistiod.galley.validation;

import io.jistiod.galley.api.networking.v1alpha3.ReadinessProbe;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadGroup;
import io.jistiod.galley.config.Config;
import java.util.List;

/** Istio's rules for WorkloadGroup. The template is not checked like a WorkloadEntry. */
final class WorkloadGroupValidator implements ConfigValidator {
  @Override
  public List<ValidationMessage> validate(Config config) {
    WorkloadGroup wg = config.spec(WorkloadGroup.class);
    Findings f = new Findings();
    if (!wg.hasTemplate()) {
      // The address and other fields are filled in per workload, so only presence matters.
      f.error("spec.template", "template is required");
      return f.messages();
    }
    if (wg.hasMetadata()) {
      Labels.check(wg.getMetadata().getLabelsMap(), "spec.metadata.labels", f);
      if (f.hasErrors()) {
        return f.messages();
      }
    }
    if (wg.hasProbe()) {
      probe(wg.getProbe(), "spec.probe", f);
    }
    return f.messages();
  }

  private static void probe(ReadinessProbe p, String path, Findings f) {
    nonNegative(p.getPeriodSeconds(), path + ".periodSeconds", f);
    nonNegative(p.getInitialDelaySeconds(), path + ".initialDelaySeconds", f);
    nonNegative(p.getTimeoutSeconds(), path + ".timeoutSeconds", f);
    nonNegative(p.getSuccessThreshold(), path + ".successThreshold", f);
    nonNegative(p.getFailureThreshold(), path + ".failureThreshold", f);
    switch (p.getHealthCheckMethodCase()) {
      case HTTP_GET:
        var h = p.getHttpGet();
        Ports.number(Integer.toUnsignedLong(h.getPort()), path + ".httpGet.port", f);
        if (!h.getScheme().isEmpty()
            && !h.getScheme().equals("HTTP")
            && !h.getScheme().equals("HTTPS")) {
          f.error(path + ".httpGet.scheme", "scheme must be \"HTTP\" or \"HTTPS\"");
        }
        for (int i = 0; i < h.getHttpHeadersCount(); i++) {
          Deadline.check();
          f.errorIf(
              Findings.at(path + ".httpGet.httpHeaders", i) + ".name",
              Headers.probeNameProblem(h.getHttpHeaders(i).getName()));
        }
        break;
      case TCP_SOCKET:
        Ports.number(
            Integer.toUnsignedLong(p.getTcpSocket().getPort()), path + ".tcpSocket.port", f);
        break;
      case EXEC:
        if (p.getExec().getCommandCount() == 0) {
          f.error(path + ".exec.command", "an exec probe needs a command");
        }
        break;
      case GRPC:
        f.error(path + ".grpc", "grpc readiness probes are not supported for workload groups");
        break;
      default:
        f.error(path, "a probe needs a method: httpGet, tcpSocket or exec");
    }
  }

  private static void nonNegative(int v, String path, Findings f) {
    if (v < 0) {
      f.error(path, "must not be negative, got " + v);
    }
  }
}
