package io.jistiod.galley.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.validation.NetworkingValidators;
import org.junit.jupiter.api.Test;

/**
 * An object the API server accepts is never refused for its size: the API server takes requests up
 * to 3 MiB (inside a review body of up to 6 MiB). Objects used to be re-read through Jackson's YAML
 * reader, whose SnakeYAML cap of 3 MB denied them as "malformed YAML".
 */
class ConfigAdmissionSizeTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aFourMebibyteObjectIsJudgedOnItsContent() throws Exception {
    ObjectNode vs =
        (ObjectNode)
            JSON.readTree(
                "{\"apiVersion\":\"networking.istio.io/v1\",\"kind\":\"VirtualService\","
                    + "\"metadata\":{\"name\":\"big\",\"namespace\":\"ns\"},"
                    + "\"spec\":{\"hosts\":[\"a\"],\"http\":[{\"route\":[{\"destination\":{\"host\":\"a\"}}]}]}}");
    // In the spec: the API server itself caps annotations at 256 KiB.
    ((ObjectNode) vs.get("spec").get("http").get(0))
        .putObject("headers")
        .putObject("request")
        .putObject("set")
        .put("x-big", "x".repeat(4 * 1024 * 1024));
    ConfigAdmission admission =
        new ConfigAdmission(IstioKinds.ALL, NetworkingValidators.forKinds());

    Verdict v = admission.check(vs, "ns", "big");

    assertThat(v.allowed()).as(v.message()).isTrue();
  }
}
